package probe

import (
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.216.34", true},
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"100.63.255.255", true},  // just below CGNAT
		{"100.128.0.0", true},     // just above CGNAT
		{"172.15.255.255", true},  // just below 172.16/12
		{"172.32.0.0", true},      // just above 172.16/12
		{"198.17.255.255", true},  // just below benchmarking
		{"198.20.0.0", true},      // just above benchmarking
		{"223.255.255.255", true}, // just below multicast
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"::ffff:93.184.216.34", true}, // mapped public: judged as the IPv4
		{"64:ff9b::5db8:d822", true},   // NAT64 of 93.184.216.34

		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.0.1", false},
		{"169.254.169.254", false},
		{"169.254.170.2", false}, // ECS task metadata
		{"100.64.0.1", false},
		{"100.100.100.200", false}, // Alibaba metadata, inside CGNAT
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"192.0.0.1", false},
		{"192.0.0.171", false},
		{"192.0.2.1", false},
		{"192.88.99.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.1", false},
		{"203.0.113.1", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:7f00:1", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false},     // IPv4-compatible
		{"::ffff:0:7f00:1", false}, // IPv4-translated
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b::7f00:1", false},
		{"64:ff9b::a00:1", false},
		{"64:ff9b:1::5db8:d822", false}, // local-use NAT64: refused whatever it embeds
		{"2002:7f00:1::", false},
		{"2002:5db8:d822::", false}, // 6to4 refused whatever it embeds
		{"2001::1", false},          // Teredo
		{"2001:0:5db8:d822::", false},
		{"2001:db8::1", false},
		{"3fff::1", false},
		{"5f00::1", false},
		{"100::1", false},
		{"fd00:ec2::254", false},
		{"fc00::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"2606:4700:4700::1111%eth0", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"ff0e::1", false},
		{"4000::1", false}, // outside 2000::/3: not allocated
		{"1::1", false},
	}
	for _, tt := range tests {
		if got := isPublic(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("isPublic(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if isPublic(netip.Addr{}) {
		t.Error("isPublic(zero Addr) = true, want false")
	}
}

// Every block in the tables is refused at both ends and in the middle.
func TestSpecialBlocksRefused(t *testing.T) {
	for _, blocks := range [][]specialBlock{ipv4Special, ipv6Special} {
		for _, b := range blocks {
			first := b.prefix.Masked().Addr()
			for _, a := range []netip.Addr{first, lastAddr(b.prefix), first.Next()} {
				if a.IsValid() && b.prefix.Contains(a) && isPublic(a) {
					t.Errorf("isPublic(%s) = true, want false (%s, %s)", a, b.prefix, b.name)
				}
			}
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
