package probe

import (
	"net/netip"
)

// specialBlock is one row of an IANA special-purpose registry (or of a
// neighbouring registry named in its comment).
type specialBlock struct {
	prefix netip.Prefix
	name   string
}

func block(cidr, name string) specialBlock {
	return specialBlock{prefix: netip.MustParsePrefix(cidr), name: name}
}

// ipv4Special transcribes the IANA IPv4 Special-Purpose Address Registry
// (https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890),
// transcribed in 2025 from the registry version last updated 2020-09-04 (RFC
// 8880 for 192.0.0.170-171); its newest row is 192.0.0.10/32 (RFC 8155,
// 2017). Multicast, from the separate IPv4 Multicast Address Space Registry,
// is added at the end. Re-check the live registry when touching this table.
//
// Every row is refused, including the few the registry marks "globally
// reachable" (PCP and TURN anycast, AS112, AMT): no OAuth callback lives on
// them, and refusing whole rows is easier to audit than picking columns.
var ipv4Special = []specialBlock{
	block("0.0.0.0/8", `"This network" (RFC 791, RFC 1122)`),
	block("10.0.0.0/8", "Private-Use (RFC 1918)"),
	block("100.64.0.0/10", "Shared Address Space, CGNAT (RFC 6598)"),
	block("127.0.0.0/8", "Loopback (RFC 1122)"),
	block("169.254.0.0/16", "Link Local, incl. cloud metadata 169.254.169.254 (RFC 3927)"),
	block("172.16.0.0/12", "Private-Use (RFC 1918)"),
	block("192.0.0.0/24", "IETF Protocol Assignments (RFC 6890)"),
	block("192.0.0.0/29", "IPv4 Service Continuity Prefix, DS-Lite (RFC 7335)"),
	block("192.0.0.8/32", "IPv4 dummy address (RFC 7600)"),
	block("192.0.0.9/32", "Port Control Protocol Anycast (RFC 7723)"),
	block("192.0.0.10/32", "Traversal Using Relays around NAT Anycast (RFC 8155)"),
	block("192.0.0.170/32", "NAT64/DNS64 Discovery (RFC 8880, RFC 7050)"),
	block("192.0.0.171/32", "NAT64/DNS64 Discovery (RFC 8880, RFC 7050)"),
	block("192.0.2.0/24", "Documentation TEST-NET-1 (RFC 5737)"),
	block("192.31.196.0/24", "AS112-v4 (RFC 7535)"),
	block("192.52.193.0/24", "AMT (RFC 7450)"),
	block("192.88.99.0/24", "Deprecated 6to4 Relay Anycast (RFC 7526)"),
	block("192.168.0.0/16", "Private-Use (RFC 1918)"),
	block("192.175.48.0/24", "Direct Delegation AS112 Service (RFC 7534)"),
	block("198.18.0.0/15", "Benchmarking (RFC 2544)"),
	block("198.51.100.0/24", "Documentation TEST-NET-2 (RFC 5737)"),
	block("203.0.113.0/24", "Documentation TEST-NET-3 (RFC 5737)"),
	block("240.0.0.0/4", "Reserved (RFC 1112)"),
	block("255.255.255.255/32", "Limited Broadcast (RFC 8190, RFC 919)"),

	// IPv4 Multicast Address Space Registry: not in the special-purpose
	// registry, but never a web server.
	block("224.0.0.0/4", "Multicast (RFC 5771)"),
}

// ipv6Special transcribes the IANA IPv6 Special-Purpose Address Registry
// (https://www.iana.org/assignments/iana-ipv6-special-registry/, RFC 6890),
// transcribed in 2025; its newest rows are 3fff::/20 (RFC 9637, 2024),
// 5f00::/16 (RFC 9602, 2024) and 2001:1::3/128 (RFC 9665, 2024). Re-check the
// live registry when touching this table. The blocks the registry does not
// list but an SSRF guard must know (IPv4-compatible, IPv4-translated,
// site-local, multicast) follow at the end.
//
// isPublic refuses everything outside 2000::/3 before looking here, and judges
// 64:ff9b::/96 by its embedded IPv4 address instead of by its row; the rows
// are still listed so that the table alone documents the policy and the tests
// can walk it.
var ipv6Special = []specialBlock{
	block("::1/128", "Loopback Address (RFC 4291)"),
	block("::/128", "Unspecified Address (RFC 4291)"),
	block("::ffff:0:0/96", "IPv4-mapped Address (RFC 4291)"),
	block("64:ff9b::/96", "IPv4-IPv6 Translat. (RFC 6052)"),
	block("64:ff9b:1::/48", "IPv4-IPv6 Translat., local use (RFC 8215)"),
	block("100::/64", "Discard-Only Address Block (RFC 6666)"),
	block("2001::/23", "IETF Protocol Assignments (RFC 2928)"),
	block("2001::/32", "TEREDO (RFC 4380, RFC 8190)"),
	block("2001:1::1/128", "Port Control Protocol Anycast (RFC 7723)"),
	block("2001:1::2/128", "Traversal Using Relays around NAT Anycast (RFC 8155)"),
	block("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast (RFC 9665)"),
	block("2001:2::/48", "Benchmarking (RFC 5180)"),
	block("2001:3::/32", "AMT (RFC 7450)"),
	block("2001:4:112::/48", "AS112-v6 (RFC 7535)"),
	block("2001:10::/28", "Deprecated ORCHID (RFC 4843)"),
	block("2001:20::/28", "ORCHIDv2 (RFC 7343)"),
	block("2001:30::/28", "Drone Remote ID Protocol Entity Tags (RFC 9374)"),
	block("2001:db8::/32", "Documentation (RFC 3849)"),
	block("2002::/16", "6to4 (RFC 3056)"),
	block("2620:4f:8000::/48", "Direct Delegation AS112 Service (RFC 7534)"),
	block("3fff::/20", "Documentation (RFC 9637)"),
	block("5f00::/16", "Segment Routing (SRv6) SIDs (RFC 9602)"),
	block("fc00::/7", "Unique-Local, incl. AWS metadata fd00:ec2::254 (RFC 4193, RFC 8190)"),
	block("fe80::/10", "Link-Local Unicast (RFC 4291)"),

	// Not in the special-purpose registry, but named by the task.
	block("::/96", "IPv4-compatible, deprecated (RFC 4291 section 2.5.5.1)"),
	block("::ffff:0:0:0/96", "IPv4-translated (RFC 2765 section 2.1)"),
	block("fec0::/10", "Site-local, deprecated (RFC 3879)"),
	block("ff00::/8", "Multicast (RFC 4291)"),
}

// globalUnicast6 is the only IPv6 block the IANA IPv6 Address Space registry
// allocates as global unicast; everything else is reserved or special.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// nat64WellKnown embeds an IPv4 address in its last 32 bits (RFC 6052). Its
// translators must not reach non-global IPv4 (RFC 6052 section 3.1), yet we do
// not rely on theirs: the embedded address is checked here.
var nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")

// isPublic reports whether a may be connected to on behalf of an outsider.
func isPublic(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		// A zone only means something for link-local addresses.
		return false
	}
	// ::ffff:a.b.c.d reaches a.b.c.d: judge the IPv4 address.
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return false
	}
	if a.Is4() {
		return !inBlocks(a, ipv4Special)
	}
	if nat64WellKnown.Contains(a) {
		b := a.As16()
		return isPublic(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return globalUnicast6.Contains(a) && !inBlocks(a, ipv6Special)
}

func inBlocks(a netip.Addr, blocks []specialBlock) bool {
	for _, b := range blocks {
		if b.prefix.Contains(a) {
			return true
		}
	}
	return false
}
