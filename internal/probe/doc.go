// Package probe checks that a developer-supplied HTTP(S) URL — an app's OAuth
// callback URL — is answered by a public web server, without ever letting that
// URL be used to reach the platform's own network (server-side request
// forgery, SSRF).
//
// The backend runs in AWS Lambda, where a URL chosen by an outsider could
// otherwise reach the Lambda runtime API on loopback, the instance metadata
// service (169.254.169.254, fd00:ec2::254), VPC-private services, or whatever
// else sits on a private or special-purpose address. The package guards
// against that in three layers:
//
//  1. Static checks on the URL, before any I/O: only http and https (https
//     only, if asked), no user info, ports 80 and 443 only, no special-use
//     host names (localhost, *.internal, *.local, single-label names that a
//     resolver search list would complete, …), and no IP literal other than
//     a canonical dotted quad or a bracketed IPv6 address that is public.
//     Every other numeric spelling (2130706433, 0177.0.0.1, 0x7f.1, 127.1,
//     trailing dots, zones, …) is refused outright, because libc resolvers,
//     proxies and other parsers disagree on what they mean.
//  2. A guarded dialer: the host name is resolved once, every address it
//     resolves to must be public (one private answer refuses the whole
//     host), and only a checked IP literal is handed to the underlying
//     dialer. The default underlying dialer checks the socket address again
//     in net.Dialer.ControlContext, and the connection's remote address is
//     compared with the checked one, so DNS rebinding between check and
//     connect cannot redirect the connection.
//  3. A restricted transport: no proxy (never from the environment), TLS 1.2
//     or later with a verified certificate, no redirects followed, small
//     header limit, at most 4 KiB of body read, and a total budget of at most
//     five seconds.
//
// "Public" is decided by net/netip's predicates plus tables transcribed from
// the IANA IPv4 Special-Purpose Address Registry and the IANA IPv6
// Special-Purpose Address Registry (snapshot and dates in iana.go), plus the
// IANA IPv6 Address Space registry's global unicast block 2000::/3 and the
// multicast blocks. Go's standard library has no maintained list of its own.
//
// What the package must not do: tell its caller anything about non-public
// destinations. Every refusal reads the same (ErrNotAllowed, category
// not_allowed, never naming the address), and a non-public destination is
// refused before any connection is attempted, so the result cannot be used
// as a port scanner for the private network. Everything else a Result says
// in words, under a Category (errors.go): dns (the name does not resolve),
// connect (no checked address accepted a connection), timeout, tls (with the
// verification reason: unknown authority, expired, wrong name), status (an
// answer of 500 or more, with the status) and redirect (an answer that is a
// redirect, never followed; it counts as working). Those describe public
// servers only. The one thing dns adds is whether a name resolves at all,
// which the public DNS tells anyone. It never returns or logs the response
// body.
//
// Options.AllowedHosts lets exact host:port pairs on private addresses through
// for local runs and tests; the Lambda runtime API address
// (AWS_LAMBDA_RUNTIME_API) stays refused even then.
package probe
