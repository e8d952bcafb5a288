package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// FuzzTokenForm: the token endpoint's form and client-credential parsing
// never panics, and what it accepts is consistent: one value per parameter,
// credentials from exactly one place, errors that are RFC 6749 values.
func FuzzTokenForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "", "grant_type=authorization_code&code=abc&client_id=c&client_secret=s")
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", "Basic Yzpz", "grant_type=refresh_token&refresh_token=dhr.x.y")
	f.Add("application/x-www-form-urlencoded", "Basic Yzpz", "client_secret=s&grant_type=x")
	f.Add("application/json", "", `{"grant_type":"authorization_code"}`)
	f.Add("application/x-www-form-urlencoded", "Basic %%%", "a=1&a=2")
	f.Add("application/x-www-form-urlencoded", "bearer x", "code=%zz")
	f.Fuzz(func(t *testing.T, contentType, authz, body string) {
		h := http.Header{}
		h.Set("Content-Type", contentType)
		if authz != "" {
			h.Set("Authorization", authz)
		}
		form, err := parseTokenForm(h, []byte(body))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Name == "" || e.Status < 400 {
				t.Fatalf("error %v is not an RFC 6749 error value", err)
			}
			return
		}
		if form.clientID == "" || form.clientSecret == "" {
			t.Fatalf("accepted without credentials: %+v", form)
		}
		values, perr := url.ParseQuery(body)
		if perr != nil {
			t.Fatalf("accepted an unparsable body %q", body)
		}
		for name, vs := range values {
			if len(vs) > 1 {
				t.Fatalf("accepted repeated %q", name)
			}
		}
		if authz != "" && form.params["client_secret"] != "" {
			t.Fatalf("accepted Basic and a body secret")
		}
		_, _, _ = parseToken(form.get("refresh_token"))
		_ = validVerifier(form.get("code_verifier"))
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add(mintToken(kindAccess, locator{"app_0123456789abcdefghijklmnop", "acme", "alice"}))
	f.Add("dhr.AAAA.bbbb")
	f.Fuzz(func(t *testing.T, tok string) {
		kind, loc, ok := parseToken(tok)
		if ok && (loc.AppID == "" || loc.CompanyID == "" || loc.UserID == "" || (kind != kindAccess && kind != kindRefresh)) {
			t.Fatalf("accepted %q as %v %+v", tok, kind, loc)
		}
	})
}
