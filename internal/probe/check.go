package probe

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// maxURLLen bounds the work a hostile URL can cause before it is refused.
const maxURLLen = 2048

// specialNames are name suffixes that never denote a public web server: the
// special-use names of RFC 6761 (localhost, test, invalid, example), RFC 6762
// (local), RFC 7686 (onion), RFC 8375 (home.arpa), RFC 9476 (alt), ICANN's
// private-use TLD .internal (2024, also used by AWS and GCP for instance and
// metadata names), the reverse-DNS tree, and the pseudo-TLDs that routers and
// corporate networks use for themselves.
var specialNames = []string{
	"localhost", "local", "internal", "test", "invalid", "example",
	"onion", "alt", "arpa", "localdomain", "lan", "home", "corp", "intranet",
	"private",
}

// CheckURL reports whether rawURL passes the static checks: scheme, user
// info, port, host name and IP-literal rules. It does no I/O, so it cannot
// know what a name resolves to; Probe and Client check that at dial time.
// Every refusal is ErrNotAllowed.
func (p *Prober) CheckURL(rawURL string) error {
	_, err := p.parse(rawURL)
	return err
}

func (p *Prober) parse(rawURL string) (*url.URL, error) {
	if len(rawURL) > maxURLLen {
		return nil, ErrNotAllowed
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, ErrNotAllowed
	}
	if err := p.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// checkURL is shared by CheckURL and the client's RoundTripper, so that a
// request built by other code gets the same refusals.
func (p *Prober) checkURL(u *url.URL) error {
	if u == nil {
		return ErrNotAllowed
	}
	switch u.Scheme { // url.Parse lower-cases the scheme.
	case "https":
	case "http":
		if p.httpsOnly {
			return ErrNotAllowed
		}
	default:
		return ErrNotAllowed
	}
	// User info is how "http://trusted@evil/" fools people and parsers alike;
	// an opaque URL ("http:host") has no authority to check.
	if u.Opaque != "" || u.User != nil {
		return ErrNotAllowed
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return ErrNotAllowed
	}
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	key := hostPortKey(host, port)
	if key == p.runtimeAPI {
		return ErrNotAllowed
	}
	if p.allowed[key] {
		return nil
	}
	if port != "443" && port != "80" {
		return ErrNotAllowed
	}
	bracketed := strings.HasPrefix(u.Host, "[")
	if bracketed != strings.Contains(host, ":") {
		// "[name]" or an unbracketed colon: not something we mean to support.
		return ErrNotAllowed
	}
	return checkHost(host)
}

// checkHost applies the name and IP-literal rules to a host without a port.
func checkHost(host string) error {
	if len(host) > 253 {
		return ErrNotAllowed
	}
	for i := 0; i < len(host); i++ {
		// Non-ASCII hosts would be IDNA-mapped by net/http after this check
		// ("１２７.０.０.１" becomes 127.0.0.1); punycode is the way in.
		if c := host[i]; c <= ' ' || c >= 0x7f {
			return ErrNotAllowed
		}
	}
	if strings.ContainsAny(host, ":%") {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || !isPublic(a) {
			return ErrNotAllowed
		}
		return nil
	}
	if endsInNumber(host) {
		// The only numeric spelling accepted is the canonical dotted quad:
		// libc's inet_aton, browsers and proxies read 0177.1, 0x7f000001 or
		// 127.1 as 127.0.0.1, while a naive check sees a name or nothing.
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is4() || a.String() != host || !isPublic(a) {
			return ErrNotAllowed
		}
		return nil
	}
	return checkName(host)
}

// endsInNumber follows the WHATWG URL standard: a host whose last label is a
// decimal or 0x-prefixed hexadecimal number is an IPv4 address, whatever the
// other labels look like; no real top-level domain is numeric.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) > 1 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if isDigits(last) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		for _, c := range last[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
		return true
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkName accepts only LDH host names of at least two labels outside the
// special-use suffixes.
func checkName(host string) error {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		// A single label ("metadata", "intranet") is completed by the
		// resolver's search list into an internal name.
		return ErrNotAllowed
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return ErrNotAllowed
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return ErrNotAllowed
			}
		}
	}
	for _, s := range specialNames {
		if name == s || strings.HasSuffix(name, "."+s) {
			return ErrNotAllowed
		}
	}
	return nil
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}

// hostPortKey is the form AllowedHosts and AWS_LAMBDA_RUNTIME_API are
// compared in: lower-case host, brackets around IPv6, explicit port.
func hostPortKey(host, port string) string {
	return net.JoinHostPort(strings.ToLower(host), port)
}

// normHostPort turns a configured "host:port" into hostPortKey form, or ""
// when it has no port and so could never match.
func normHostPort(s string) string {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil || host == "" || port == "" {
		return ""
	}
	return hostPortKey(host, port)
}
