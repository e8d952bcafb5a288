package devhub_test

import (
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func TestMonogram(t *testing.T) {
	for name, want := range map[string]string{
		"Deal sync": "DS", "deal": "D", "élan vital": "ÉV", "日本 アプリ": "日ア", "  --  ": "?", "": "?",
		"3D printer pro": "3P", "Acme-CRM sync": "AC", "🚀 Launch": "L",
	} {
		if got := devhub.Monogram(name); got != want {
			t.Errorf("Monogram(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestHTTPSURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://example.test/privacy": true, "https://example.test": true, "http://example.test/privacy": false,
		"javascript:alert(1)": false, "//example.test/x": false, "/privacy": false, "https://u:p@example.test/": false,
		"https:///nohost": false, "HTTPS://example.test/": true, "data:text/html,x": false, "": false,
	} {
		if got := devhub.HTTPSURL(u); (got != "") != ok || (ok && got != u) {
			t.Errorf("HTTPSURL(%q) = %q, want ok=%v", u, got, ok)
		}
	}
}
