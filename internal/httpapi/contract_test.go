package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/httpapi"
)

// TestJSONNotHTMLEscaped: &, < and > reach the client as they were sent,
// in resources, lists and problems alike.
func TestJSONNotHTMLEscaped(t *testing.T) {
	e := newEnv(t)
	body := validApp()
	body["name"] = "Deals & leads"
	body["listing"] = map[string]any{"description": "Sync <deals> & leads"}
	res := e.do(t, "POST", "/v1/apps", &alice, body).want(t, http.StatusCreated)
	var a devhub.App
	res.decode(t, &a)
	for _, raw := range [][]byte{res.Body,
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).Body,
		e.do(t, "GET", "/v1/apps", &alice, nil).want(t, http.StatusOK).Body} {
		if !bytes.Contains(raw, []byte(`"Deals & leads"`)) || !bytes.Contains(raw, []byte(`"Sync <deals> & leads"`)) {
			t.Errorf("not as sent: %s", raw)
		}
		if bytes.Contains(raw, []byte(`\u0026`)) || bytes.Contains(raw, []byte(`\u003c`)) {
			t.Errorf("HTML-escaped: %s", raw)
		}
	}
	t.Run("ErrProblem", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/apps", &alice, `{"type": "private", "name": "x", "callback_url": "https://example.com/cb", "a&b": 1}`).
			want(t, http.StatusBadRequest)
		if !bytes.Contains(res.Body, []byte("a&b")) || bytes.Contains(res.Body, []byte(`\u0026`)) {
			t.Errorf("problem HTML-escaped: %s", res.Body)
		}
	})
}

// TestArraysNeverNull: an array member is [] when empty, after any write.
func TestArraysNeverNull(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	for name, patch := range map[string]string{
		"listing summary": `{"listing": {"summary": "Deals in sync"}}`,
		"image_urls null": `{"listing": {"image_urls": null}}`,
		"image_urls []":   `{"listing": {"image_urls": []}}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, patch).want(t, http.StatusOK)
			var m struct {
				Listing  map[string]json.RawMessage `json:"listing"`
				Scopes   json.RawMessage            `json:"scopes"`
				Warnings json.RawMessage            `json:"warnings"`
			}
			res.decode(t, &m)
			if got := string(m.Listing["image_urls"]); got != "[]" {
				t.Errorf("listing.image_urls: got %s, want []", got)
			}
			if string(m.Warnings) != "[]" || string(m.Scopes) == "null" {
				t.Errorf("warnings %s, scopes %s", m.Warnings, m.Scopes)
			}
		})
	}
	if res := e.do(t, "GET", "/v1/apps", &alice, nil).want(t, http.StatusOK); bytes.Contains(res.Body, []byte("null]")) ||
		bytes.Contains(res.Body, []byte(`"image_urls":null`)) {
		t.Errorf("a null array in the list: %s", res.Body)
	}
}

// TestListOmitsClientSecret: lists never show a client secret; one app read
// by its owner does.
func TestListOmitsClientSecret(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	var list struct{ Data []map[string]any }
	e.do(t, "GET", "/v1/apps", &alice, nil).want(t, http.StatusOK).decode(t, &list)
	if len(list.Data) != 1 {
		t.Fatalf("got %d apps", len(list.Data))
	}
	if _, ok := list.Data[0]["client_secret"]; ok {
		t.Errorf("the list shows client_secret")
	}
	var one map[string]any
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &one)
	if one["client_secret"] != a.ClientSecret || a.ClientSecret == "" {
		t.Errorf("GET one: client_secret %v, want the app's", one["client_secret"])
	}
}

// TestDeleteAppNeedsReason: a DELETE without a reason, body or not, says
// that a reason is required, and deletes nothing.
func TestDeleteAppNeedsReason(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	for name, body := range map[string]any{"no body": nil, "{}": `{}`, "empty reason": `{"reason": ""}`} {
		t.Run("Err"+name, func(t *testing.T) {
			res := e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, body).want(t, http.StatusUnprocessableEntity)
			if got := res.fields(t); !slices.Equal(got, []string{"reason"}) {
				t.Errorf("fields: got %v, want [reason]", got)
			}
		})
	}
	t.Run("ErrMalformed", func(t *testing.T) {
		e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, `{"reason": `).want(t, http.StatusBadRequest)
	})
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK)
	e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, map[string]string{"reason": "Done"}).want(t, http.StatusNoContent)
}

// TestMethodNotAllowedProblem: a 405 on /v1 is a problem with the same type
// scheme as every other, and Allow; /oauth keeps RFC 6749 errors.
func TestMethodNotAllowedProblem(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, "PUT", "/v1/apps", &alice, `{}`).want(t, http.StatusMethodNotAllowed)
	p := res.problem(t)
	if p.Type != "/problems/method_not_allowed" || p.Title != "Method not allowed" || !strings.Contains(p.Detail, "PUT") {
		t.Errorf("got %+v", p)
	}
	if allow := res.Header.Get("Allow"); allow != "GET, HEAD, POST" {
		t.Errorf("Allow: got %q", allow)
	}
	if other := e.do(t, "GET", "/v1/apps/nope", &alice, nil).want(t, http.StatusNotFound).problem(t); !strings.HasPrefix(other.Type, "/problems/") {
		t.Errorf("404 type %q", other.Type)
	}
	res = e.do(t, "GET", "/oauth/token", nil, nil).want(t, http.StatusMethodNotAllowed)
	var oe map[string]string
	res.decode(t, &oe)
	if oe["error"] != "invalid_request" {
		t.Errorf("/oauth 405: %s", res.Body)
	}
}

// TestHTTPCallbackWarning: a draft may keep an http:// callback, with a
// warning that going live and review need https; https has none.
func TestHTTPCallbackWarning(t *testing.T) {
	e := newEnv(t)
	warnings := func(res *response) []string {
		var v struct{ Warnings []string }
		res.decode(t, &v)
		return v.Warnings
	}
	body := map[string]any{"type": "private", "name": "Local test", "callback_url": "http://localhost:8080/callback"}
	res := e.do(t, "POST", "/v1/apps", &alice, body).want(t, http.StatusCreated)
	if got := warnings(res); !slices.Equal(got, []string{httpapi.WarningHTTPCallback}) {
		t.Errorf("create: got warnings %q", got)
	}
	var a devhub.App
	res.decode(t, &a)
	if got := warnings(e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK)); len(got) != 1 {
		t.Errorf("get: got warnings %q", got)
	}
	t.Run("ErrLive", func(t *testing.T) {
		e.do(t, "POST", "/v1/apps/"+a.ID+"/live", &alice, nil).want(t, http.StatusUnprocessableEntity)
	})
	res = e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"callback_url": "https://example.com/callback"}`).want(t, http.StatusOK)
	if got := warnings(res); len(got) != 0 {
		t.Errorf("https: got warnings %q", got)
	}
	res = e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"callback_url": "HTTP://example.com/callback"}`).want(t, http.StatusOK)
	if got := warnings(res); len(got) != 1 {
		t.Errorf("back to http: got warnings %q", got)
	}
}
