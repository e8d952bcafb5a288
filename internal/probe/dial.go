package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

const (
	// connectTimeout bounds the TCP connect phase, across every address a
	// name resolves to, so that one black-holed address cannot eat the budget.
	connectTimeout = 2 * time.Second
	// maxDialAttempts bounds how many checked addresses of one name are tried.
	maxDialAttempts = 4
)

// dialTargetKey carries the checked address from dialContext to
// controlContext, so that the socket-level hook can insist on exactly it.
type dialTargetKey struct{}

// dialContext is the transport's only way to the network. It resolves the
// host once, refuses the whole host if any answer is non-public, and hands
// the underlying dialer checked IP literals only, so a second, different DNS
// answer (rebinding) is never consulted.
func (p *Prober) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, ErrNotAllowed
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, ErrNotAllowed
	}
	key := hostPortKey(host, portStr)
	if key == p.runtimeAPI {
		return nil, ErrNotAllowed
	}
	allowed := p.allowed[key]
	if !allowed && port != 443 && port != 80 {
		return nil, ErrNotAllowed
	}

	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if !allowed {
			// The transport only dials what checkURL let through, but this
			// dialer is also reachable through Client by other code.
			if err := checkHost(host); err != nil {
				return nil, err
			}
		}
		if addrs, err = p.resolve(ctx, host); err != nil {
			return nil, err
		}
	}

	targets := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !allowed && !isPublic(a) {
			return nil, ErrNotAllowed
		}
		if a.Zone() != "" {
			return nil, ErrNotAllowed
		}
		t := netip.AddrPortFrom(a, uint16(port))
		if t.String() == p.runtimeAPI {
			// Even an allowed name must not lead to the Lambda runtime API.
			return nil, ErrNotAllowed
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return nil, ErrNotAllowed
	}
	if len(targets) > maxDialAttempts {
		targets = targets[:maxDialAttempts]
	}

	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	for _, t := range targets {
		conn, err := p.rawDial(context.WithValue(ctx, dialTargetKey{}, t), network, t.String())
		if errors.Is(err, ErrNotAllowed) {
			return nil, ErrNotAllowed // controlContext: not the checked address
		}
		if err != nil {
			continue
		}
		if !remoteIs(conn, t) {
			conn.Close()
			return nil, ErrNotAllowed
		}
		return conn, nil
	}
	// Every address was checked public (or allowed) before this point, so
	// saying that none answered tells nothing about the private network;
	// why (refused, reset, unreachable, timed out) stays here all the same.
	return nil, ErrConnect
}

// resolve looks host up as an absolute name: with a trailing dot the
// resolver does not try the search list, which would turn "api.corp" into
// "api.corp.ec2.internal".
func (p *Prober) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	name := host
	if name == "" {
		return nil, ErrNotAllowed
	}
	if name[len(name)-1] != '.' {
		name += "."
	}
	ips, err := p.resolver.LookupIPAddr(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrTimeout
		}
		return nil, ErrDNS
	}
	if len(ips) == 0 {
		return nil, ErrDNS
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		a, ok := netip.AddrFromSlice(ip.IP)
		if !ok {
			return nil, ErrNotAllowed
		}
		out = append(out, a.WithZone(ip.Zone))
	}
	return out, nil
}

// controlContext runs on the default dialer's socket just before connect:
// the last point at which the address the kernel will use can be compared
// with the one dialContext checked.
func controlContext(ctx context.Context, _, address string, _ syscall.RawConn) error {
	want, ok := ctx.Value(dialTargetKey{}).(netip.AddrPort)
	if !ok {
		return ErrNotAllowed
	}
	got, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrNotAllowed
	}
	if netip.AddrPortFrom(got.Addr().Unmap(), got.Port()) != want {
		return ErrNotAllowed
	}
	return nil
}

// remoteIs compares a TCP connection's peer with the checked target; an
// injected dialer that returns something other than TCP (a pipe in a test)
// is trusted code and is not second-guessed.
func remoteIs(conn net.Conn, want netip.AddrPort) bool {
	ta, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return true
	}
	got := ta.AddrPort()
	return netip.AddrPortFrom(got.Addr().Unmap(), got.Port()) == want
}
