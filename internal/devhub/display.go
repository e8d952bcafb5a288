package devhub

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Monogram is what the pages (consent page, marketplace, installed apps)
// draw in place of a missing icon: the first letter or digit of the name's
// first two words ("Deal sync" → "DS"), upper case; "?" when it has none.
func Monogram(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// HTTPSURL is u when it is an absolute https URL with a host and no user
// information, else "". The pages show a listing's icon, images and links
// only then: an http image is mixed content their CSP refuses, and a link
// a person follows from a consent decision must not be downgraded.
func HTTPSURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil {
		return ""
	}
	return u
}
