package devlogin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/infra/devlogin"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestUnderBasePath serves the login under /prod as the runner does with
// RUNNER_BASE_PATH (service.ServeUnder): the form posts to /prod/dev/login,
// the default return_to is /prod/hub, and a return_to the console sent
// (the browser's path, /prod/hub/…) is where the login goes — once, not
// /prod/prod/…; an unprefixed one goes under the prefix.
func TestUnderBasePath(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(devlogin.Path, devlogin.Handler(devlogin.Options{Secret: []byte(secret), Issuer: "dev-iss", Audience: "dev-aud"}))
	srv := httptest.NewServer(service.ServeUnder("/prod", mux))
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + "/prod" + devlogin.Path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`action="/prod/dev/login"`, `name="return_to" value="/prod/hub"`} {
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("form: %d, want %s in %s", res.StatusCode, want, body)
		}
	}
	if res, _ := http.Get(srv.URL + devlogin.Path); res == nil || res.StatusCode != 404 {
		t.Errorf("outside the prefix: %v", res)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for returnTo, want := range map[string]string{"/prod/hub/apps/app_1/oauth?x=1": "/prod/hub/apps/app_1/oauth?x=1",
		"/prod/oauth/authorize?client_id=c": "/prod/oauth/authorize?client_id=c", "/hub": "/prod/hub", "": "/prod/hub"} {
		form := url.Values{"user_id": {"u"}, "company_id": {"c"}, "return_to": {returnTo}}
		res, err := c.Post(srv.URL+"/prod"+devlogin.Path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("return_to %q: %d Location %q, want %q", returnTo, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}
