package probe

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

const (
	// UserAgent identifies the probe to the app's server.
	UserAgent = "devhub-callback-probe/1"
	// MaxTimeout is the default and largest total budget of one probe.
	MaxTimeout = 5 * time.Second
	// maxBodyBytes is how much of an answer is read before closing it: the
	// status is what counts, the body only has to start.
	maxBodyBytes = 4 << 10
	// maxHeaderBytes keeps a hostile server from making us buffer megabytes
	// of headers.
	maxHeaderBytes = 16 << 10
)

// Result is the outcome of one Probe. It never contains the response body.
type Result struct {
	// OK is true when the server answered with any status below 500 within
	// the budget; a redirect counts as an answer and is not followed.
	OK bool
	// StatusCode is the status the server answered with, 0 if none.
	StatusCode int
	// Latency is the time until the response headers arrived, measured on the
	// monotonic clock; 0 when there was no answer.
	Latency time.Duration
	// Category says why the probe failed, or Redirect for an answer that
	// is a redirect; "" for any other answer below 500.
	Category Category
	// Error is the failure in words, starting with the category ("status:
	// the server answered 503 Service Unavailable; …"); "" when OK. It
	// never names the address, and is the text of an *Error.
	Error string
	// Note is the words for a Redirect answer, "" otherwise.
	Note string
	// CheckedAt is when the probe started, from Options.Now.
	CheckedAt time.Time
}

// Resolver is the subset of *net.Resolver the guard needs.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Options configures a Prober. The zero value is the production setting.
type Options struct {
	// AllowedHosts lists exact "host:port" pairs (e.g. "127.0.0.1:8443",
	// "localhost:9000") that may be reached although private or loopback,
	// for local runs and tests only. Entries without a port are ignored. The
	// Lambda runtime API address stays refused even if listed.
	AllowedHosts []string
	// HTTPSOnly refuses http URLs (live and review checks).
	HTTPSOnly bool
	// Timeout is the total budget of one Probe and of one request made with
	// Client; 0 or anything above MaxTimeout means MaxTimeout.
	Timeout time.Duration
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// DialContext makes the raw connection to an already checked IP literal;
	// nil means a net.Dialer that checks the address once more just before
	// connecting.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs verifies server certificates; nil means the system pool, which
	// honours SSL_CERT_FILE and SSL_CERT_DIR.
	RootCAs *x509.CertPool
	// Now stamps Result.CheckedAt; nil means time.Now.
	Now func() time.Time
	// IdleConnsPerHost is how many idle connections to one host are kept
	// for reuse; 0 means 2. The uninstall notifier, which sends many
	// requests to one app's server at once, sets it to its concurrency.
	IdleConnsPerHost int
}

// Prober checks callback URLs. It is safe for concurrent use and keeps a
// small pool of idle connections, so make one and reuse it.
type Prober struct {
	allowed    map[string]bool
	runtimeAPI string
	httpsOnly  bool
	timeout    time.Duration
	resolver   Resolver
	rawDial    func(ctx context.Context, network, addr string) (net.Conn, error)
	now        func() time.Time
	client     *http.Client
}

// New returns a Prober configured by opts.
func New(opts Options) *Prober {
	p := &Prober{
		allowed:    make(map[string]bool, len(opts.AllowedHosts)),
		runtimeAPI: normHostPort(os.Getenv("AWS_LAMBDA_RUNTIME_API")),
		httpsOnly:  opts.HTTPSOnly,
		timeout:    opts.Timeout,
		resolver:   opts.Resolver,
		rawDial:    opts.DialContext,
		now:        opts.Now,
	}
	for _, h := range opts.AllowedHosts {
		if k := normHostPort(h); k != "" {
			p.allowed[k] = true
		}
	}
	if p.timeout <= 0 || p.timeout > MaxTimeout {
		p.timeout = MaxTimeout
	}
	if p.resolver == nil {
		p.resolver = net.DefaultResolver
	}
	if p.rawDial == nil {
		d := &net.Dialer{Timeout: connectTimeout, ControlContext: controlContext}
		p.rawDial = d.DialContext
	}
	if p.now == nil {
		p.now = time.Now
	}
	tr := &http.Transport{
		Proxy:       nil, // Never HTTP(S)_PROXY: a proxy would do the dialing unguarded.
		DialContext: p.dialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    opts.RootCAs,
		},
		TLSHandshakeTimeout:    p.timeout,
		ResponseHeaderTimeout:  p.timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		DisableCompression:     true,
		MaxIdleConns:           max(16, opts.IdleConnsPerHost),
		MaxIdleConnsPerHost:    cmp.Or(opts.IdleConnsPerHost, 2),
		IdleConnTimeout:        30 * time.Second,
		// ForceAttemptHTTP2 stays false: with its own dialer and TLS config the
		// transport speaks HTTP/1.1 only, which every callback server accepts
		// and whose limits above are the ones that apply.
	}
	p.client = &http.Client{
		Transport: &guardedTransport{p: p, next: tr},
		// A redirect is an answer; following it would let the app's server
		// choose a second destination after our checks.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       p.timeout,
	}
	return p
}

// Client returns the guarded client Probe uses, for other requests to
// developer-supplied URLs: the same static and dial-time checks, no proxy,
// no redirects followed, no cookie jar, and the same total timeout. A refused
// request fails with an error that wraps ErrNotAllowed; show callers
// ErrNotAllowed's message, not the error, which quotes the URL.
func (p *Prober) Client() *http.Client { return p.client }

// Probe sends one GET to rawURL, as the OAuth flow would hit the callback
// without a code, and reports whether a public server answered.
func (p *Prober) Probe(ctx context.Context, rawURL string) Result {
	res := Result{CheckedAt: p.now()}
	u, err := p.parse(rawURL)
	if err != nil {
		return res.failed(err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return res.failed(ErrNotAllowed)
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "*/*")

	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return res.failed(classify(err))
	}
	res.Latency = time.Since(start)
	// The status is known; the body is only sipped so the server sees a
	// normal client, and the connection is dropped rather than drained.
	_, _ = io.CopyN(io.Discard, resp.Body, maxBodyBytes)
	resp.Body.Close()

	res.StatusCode = resp.StatusCode
	res.OK = resp.StatusCode < 500
	switch {
	case !res.OK:
		return res.failed(statusError(resp.StatusCode))
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "":
		res.Category, res.Note = Redirect, redirectNote(resp.StatusCode)
	}
	return res
}

func (r Result) failed(err error) Result {
	r.OK = false
	r.Category = CategoryOf(err)
	r.Error = err.Error()
	return r
}

// guardedTransport repeats the static checks for every request, because
// Client hands the transport to code that builds its own requests.
type guardedTransport struct {
	p    *Prober
	next http.RoundTripper
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.p.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}
