package kind

import (
	"fmt"
	"math"
	"testing"
)

// TestPrinter: the wants are what golang.org/x/text/message.NewPrinter(
// language.English).Sprintf produced for the same arguments, which Printer
// replaces (see the package doc of jsv6).
func TestPrinter(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{"minProperties: got %d, want %d", []any{1234567, 3}, "minProperties: got 1,234,567, want 3"},
		{"items at %d and %d are equal", []any{-1000, 999}, "items at -1,000 and 999 are equal"},
		{"last %d additionalItem(s) not allowed", []any{int64(math.MinInt64)}, "last -9,223,372,036,854,775,808 additionalItem(s) not allowed"},
		{"%d %v", []any{uint64(math.MaxUint64), uint8(255)}, "18,446,744,073,709,551,615 255"},
		{"minimum: got %v, want %v", []any{1234.5, -0.25}, "minimum: got 1,234.5, want -0.25"},
		{"maximum: got %v, want %v", []any{123456.5, 1234567.0}, "maximum: got 123,456.5, want 1.234567\u202f×\u202f10⁰⁶"},
		{"multipleOf: got %v, want %v", []any{1e21, -1.5e-7}, "multipleOf: got 1\u202f×\u202f10²¹, want -1.5\u202f×\u202f10⁻⁰⁷"},
		{"exclusiveMinimum: got %v, want %v", []any{math.MaxFloat64, 0.0001}, "exclusiveMinimum: got 1.7976931348623157\u202f×\u202f10³⁰⁸, want 0.0001"},
		{"exclusiveMaximum: got %v, want %v", []any{math.Inf(1), math.Inf(-1)}, "exclusiveMaximum: got ∞, want -∞"},
		{"%v %v %v", []any{math.NaN(), math.Copysign(0, -1), float32(1e6)}, "NaN 0 1\u202f×\u202f10⁰⁶"},
		{"invalid character %q in pre-release identifier", []any{'é'}, "invalid character 'é' in pre-release identifier"},
		{"%s does not match pattern %s", []any{"'1000'", "'^a%'"}, "'1000' does not match pattern '^a%'"},
		{"invalid jsonType %T", []any{1000}, "invalid jsonType int"},
		{"invalid ipv4 address: %v", []any{fmt.Errorf("decimal %d", 1000)}, "invalid ipv4 address: decimal 1000"},
		{"min %d items required to match contains schema, but matched %d items at %v", []any{1000, 2, "1000, 2000"}, "min 1,000 items required to match contains schema, but matched 2 items at 1000, 2000"},
		{"100%% of %d", []any{5000}, "100% of 5,000"},
		{"'oneOf' failed", []any{}, "'oneOf' failed"},
	} {
		if got := (&Printer{}).Sprintf(tc.format, tc.args...); got != tc.want {
			t.Errorf("Sprintf(%q, %v) = %q, want %q", tc.format, tc.args, got, tc.want)
		}
	}
}
