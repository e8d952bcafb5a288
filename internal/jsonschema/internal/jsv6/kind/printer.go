package kind

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Printer formats the messages of errors. It replaces upstream's use of
// golang.org/x/text/message.NewPrinter(language.English) (a local change,
// see the package doc of jsv6), producing the same text: like fmt.Sprintf,
// except that integers printed with %d or %v and floats printed with %v
// take English digit grouping ("1,234"), floats in exponent form read
// "1.5\u202f×\u202f10⁰⁶", and infinities "∞". Only the verbs without flags,
// width or precision that the messages use get that treatment, and only on
// numbers given as arguments themselves (not inside slices or structs);
// anything else is formatted by fmt as is.
type Printer struct{}

// Sprintf formats according to format, as described on Printer.
func (*Printer) Sprintf(format string, args ...any) string {
	if !strings.Contains(format, "%") {
		return format
	}
	var sb strings.Builder
	argi := 0
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			sb.WriteByte(c)
			i++
			continue
		}
		// a verb: '%', flags, width, precision, then the verb character.
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return fmt.Sprintf(format, args...)
		}
		verb := format[j]
		if verb == '%' && j == i+1 {
			sb.WriteByte('%')
			i = j + 1
			continue
		}
		if argi >= len(args) || strings.ContainsAny(format[i+1:j], "*[]") {
			return fmt.Sprintf(format, args...)
		}
		arg := args[argi]
		argi++
		if s, ok := localizedNumber(verb, j == i+1, arg); ok {
			sb.WriteString(s)
		} else {
			fmt.Fprintf(&sb, format[i:j+1], arg)
		}
		i = j + 1
	}
	if argi != len(args) {
		return fmt.Sprintf(format, args...)
	}
	return sb.String()
}

// localizedNumber is the English form of arg for the verb (plain: without
// flags, width or precision), and whether arg is a number the verb formats.
func localizedNumber(verb byte, plain bool, arg any) (string, bool) {
	if !plain || (verb != 'd' && verb != 'v') {
		return "", false
	}
	switch v := arg.(type) {
	case int:
		return groupDigits(strconv.FormatInt(int64(v), 10)), true
	case int8:
		return groupDigits(strconv.FormatInt(int64(v), 10)), true
	case int16:
		return groupDigits(strconv.FormatInt(int64(v), 10)), true
	case int32:
		return groupDigits(strconv.FormatInt(int64(v), 10)), true
	case int64:
		return groupDigits(strconv.FormatInt(v, 10)), true
	case uint:
		return groupDigits(strconv.FormatUint(uint64(v), 10)), true
	case uint8:
		return groupDigits(strconv.FormatUint(uint64(v), 10)), true
	case uint16:
		return groupDigits(strconv.FormatUint(uint64(v), 10)), true
	case uint32:
		return groupDigits(strconv.FormatUint(uint64(v), 10)), true
	case uint64:
		return groupDigits(strconv.FormatUint(v, 10)), true
	case float64:
		if verb == 'v' {
			return localizedFloat(v, 64), true
		}
	case float32:
		if verb == 'v' {
			return localizedFloat(float64(v), 32), true
		}
	}
	return "", false
}

// groupDigits puts a comma between each group of three digits of the
// integer part of the decimal number s (optionally signed).
func groupDigits(s string) string {
	start := 0
	if start < len(s) && (s[0] == '-' || s[0] == '+') {
		start = 1
	}
	end := start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n := end - start
	if n <= 3 {
		return s
	}
	var sb strings.Builder
	sb.WriteString(s[:start])
	for k := 0; k < n; k++ {
		if k > 0 && (n-k)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte(s[start+k])
	}
	sb.WriteString(s[end:])
	return sb.String()
}

var superscripts = [...]string{"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"}

// localizedFloat is f as fmt's %v writes it, in the English form.
func localizedFloat(f float64, bitSize int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "∞"
	case math.IsInf(f, -1):
		return "-∞"
	case f == 0:
		return "0" // negative zero too
	}
	s := strconv.FormatFloat(f, 'g', -1, bitSize)
	mant, exp, hasExp := strings.Cut(s, "e")
	mant = groupDigits(mant)
	if !hasExp {
		return mant
	}
	var sb strings.Builder
	sb.WriteString(mant)
	sb.WriteString("\u202f×\u202f10")
	for k := 0; k < len(exp); k++ {
		switch c := exp[k]; {
		case c == '-':
			sb.WriteString("⁻")
		case c >= '0' && c <= '9':
			sb.WriteString(superscripts[c-'0'])
		}
	}
	return sb.String()
}
