package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/golang-jwt/jwt/v5"
)

func TestAppsCRUD(t *testing.T) {
	e := newEnv(t)
	body := validApp()
	body["scopes"] = []string{"deals:full", "deals:read", "deals:read"}
	body["listing"] = map[string]any{"summary": "Sync deals", "image_urls": []string{"https://example.com/a.png"}}

	res := e.do(t, "POST", "/v1/apps", &alice, body).want(t, http.StatusCreated)
	var a devhub.App
	res.decode(t, &a)
	t.Run("Create", func(t *testing.T) {
		if got, want := res.Header.Get("Location"), "/v1/apps/"+a.ID; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if got := res.Header.Get("ETag"); got != `"1"` {
			t.Errorf("ETag: got %q", got)
		}
		if a.Status != devhub.StatusDraft || a.Version != 1 || a.OwnerCompanyID != "acme" || a.CreatedBy != "alice" {
			t.Errorf("got %+v", a)
		}
		if want := []string{"base", "deals:read", "deals:full"}; !slices.Equal(a.Scopes, want) {
			t.Errorf("scopes: got %v, want %v", a.Scopes, want)
		}
		if len(a.ClientID) < 26 || len(a.ClientSecret) < 43 {
			t.Errorf("credentials too short: %q %q", a.ClientID, a.ClientSecret)
		}
	})
	t.Run("Get", func(t *testing.T) {
		var got devhub.App
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
		if got.ClientSecret != a.ClientSecret || got.Listing.Summary != "Sync deals" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("List", func(t *testing.T) {
		var page struct {
			Data       []devhub.App `json:"data"`
			NextCursor *string      `json:"next_cursor"`
		}
		e.do(t, "GET", "/v1/apps", &alice, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != a.ID || page.NextCursor != nil {
			t.Errorf("got %+v", page)
		}
		e.do(t, "GET", "/v1/apps", &bob, nil).want(t, http.StatusOK).decode(t, &page)
		if len(page.Data) != 0 {
			t.Errorf("bob sees %d apps of acme", len(page.Data))
		}
	})
	t.Run("Patch", func(t *testing.T) {
		var got devhub.App
		res := e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice,
			`{"name":"Deal sync 2","installation_url":"https://example.com/install","listing":{"summary":null,"description":"Long"}}`,
			"Content-Type", "application/merge-patch+json", "If-Match", `"1"`).want(t, http.StatusOK)
		res.decode(t, &got)
		if got.Name != "Deal sync 2" || got.Version != 2 || got.InstallationURL == nil ||
			got.Listing.Summary != "" || got.Listing.Description != "Long" || len(got.Listing.ImageURLs) != 1 {
			t.Errorf("got %+v", got)
		}
		if res.Header.Get("ETag") != `"2"` {
			t.Errorf("ETag: got %q", res.Header.Get("ETag"))
		}
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"installation_url":null}`).want(t, http.StatusOK).decode(t, &got)
		if got.InstallationURL != nil || got.Version != 3 {
			t.Errorf("null did not reset installation_url: %+v", got)
		}
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"name":"x"}`, "If-Match", `"1"`).want(t, http.StatusPreconditionFailed)
		e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, `{"reason":"x"}`, "If-Match", `W/"3"`).want(t, http.StatusPreconditionFailed)
	})
	t.Run("ErrTypeImmutable", func(t *testing.T) {
		res := e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"type":"private"}`).want(t, http.StatusUnprocessableEntity)
		if f := res.fields(t); !slices.Equal(f, []string{"type"}) {
			t.Errorf("fields: got %v", f)
		}
	})
	t.Run("ErrReadOnly", func(t *testing.T) {
		res := e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, `{"client_secret":"mine","status":"published"}`).want(t, http.StatusUnprocessableEntity)
		f := res.fields(t)
		slices.Sort(f)
		if !slices.Equal(f, []string{"client_secret", "status"}) {
			t.Errorf("fields: got %v", f)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, `{}`).want(t, http.StatusUnprocessableEntity)
		e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, `{"reason":"Replaced by v2"}`, "If-Match", `"3"`).want(t, http.StatusNoContent)
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusNotFound)
		e.do(t, "DELETE", "/v1/apps/"+a.ID, &alice, `{"reason":"again"}`).want(t, http.StatusNotFound)
	})
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "alice", "company_id": "acme", "sandbox": true, "exp": time.Now().Add(time.Hour).Unix()}
	}
	noExp := valid()
	delete(noExp, "exp")
	expired := valid()
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	noCompany := valid()
	delete(noCompany, "company_id")
	for name, header := range map[string]string{
		"ErrMissing":      "",
		"ErrNotBearer":    "Basic YWxpY2U6cHc=",
		"ErrGarbage":      "Bearer not.a.jwt",
		"ErrWrongSecret":  "Bearer " + sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-0000"), valid()),
		"ErrHS512":        "Bearer " + sign(jwt.SigningMethodHS512, testSecret, valid()),
		"ErrNone":         "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid()),
		"ErrNoExpiry":     "Bearer " + sign(jwt.SigningMethodHS256, testSecret, noExp),
		"ErrExpired":      "Bearer " + sign(jwt.SigningMethodHS256, testSecret, expired),
		"ErrNoCompany":    "Bearer " + sign(jwt.SigningMethodHS256, testSecret, noCompany),
		"ErrEmptyBearer":  "Bearer ",
		"ErrTokenInQuery": "",
	} {
		t.Run(name, func(t *testing.T) {
			res := e.do(t, "GET", "/v1/apps/"+a.ID+"?access_token="+a.ClientSecret, nil, nil, "Authorization", header)
			res.want(t, http.StatusUnauthorized)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
			if strings.Contains(string(res.Body), a.ClientSecret) {
				t.Error("secret leaked")
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		e.do(t, "GET", "/v1/apps/"+a.ID, nil, nil, "Authorization", "bearer "+sign(jwt.SigningMethodHS256, testSecret, valid())).want(t, http.StatusOK)
	})
	t.Run("ErrNotSandbox", func(t *testing.T) {
		e.do(t, "POST", "/v1/apps", &customer, validApp()).want(t, http.StatusForbidden)
		e.do(t, "GET", "/v1/apps", &customer, nil).want(t, http.StatusForbidden)
		e.do(t, "PATCH", "/v1/apps/"+a.ID, &customer, `{"name":"x"}`).want(t, http.StatusForbidden)
	})
	t.Run("ErrOtherCompany", func(t *testing.T) {
		// Another company's app does not exist, as far as bob can tell.
		for _, c := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"name":"Mine now"}`}, {"DELETE", `{"reason":"x"}`}} {
			var body any
			if c.body != "" {
				body = c.body
			}
			res := e.do(t, c.method, "/v1/apps/"+a.ID, &bob, body).want(t, http.StatusNotFound)
			missing := e.do(t, c.method, "/v1/apps/app_00000000000000000000000000", &bob, body).want(t, http.StatusNotFound)
			if res.problem(t).Title != missing.problem(t).Title {
				t.Errorf("%s: a foreign app answers differently from a missing one", c.method)
			}
		}
		var got devhub.App
		e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
		if got.Name != a.Name || got.Version != 1 {
			t.Errorf("bob changed alice's app: %+v", got)
		}
	})
	t.Run("IssuerAudience", func(t *testing.T) {
		v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Issuer: "https://id.example", Audience: "devhub"})
		if err != nil {
			t.Fatal(err)
		}
		good, _ := auth.IssueToken(testSecret, alice, "https://id.example", "devhub", time.Now(), time.Minute)
		if _, err := v.Verify(good); err != nil {
			t.Errorf("good token refused: %v", err)
		}
		for _, iss := range [][2]string{{"https://evil.example", "devhub"}, {"https://id.example", "other"}, {"", ""}} {
			tok, _ := auth.IssueToken(testSecret, alice, iss[0], iss[1], time.Now(), time.Minute)
			if _, err := v.Verify(tok); devhub.ErrorCode(err) != devhub.EUNAUTHORIZED {
				t.Errorf("iss %q aud %q: got %v, want unauthorized", iss[0], iss[1], err)
			}
		}
		if _, err := auth.NewVerifier(auth.VerifierOptions{Secret: []byte("short")}); err == nil {
			t.Error("short secret accepted")
		}
	})
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, c := range []struct {
		name, method, path, body, ctype string
		status                          int
		fields                          []string
	}{
		{"ErrNotJSON", "POST", "/v1/apps", `{"type":`, "", 400, nil},
		{"ErrEmpty", "POST", "/v1/apps", ``, "", 400, nil},
		{"ErrArray", "POST", "/v1/apps", `[]`, "", 400, nil},
		{"ErrTwoValues", "POST", "/v1/apps", `{} {}`, "", 400, nil},
		{"ErrUnknownField", "POST", "/v1/apps", `{"type":"public","name":"A","callback_url":"https://a.example","colour":"red"}`, "", 400, []string{"colour"}},
		{"ErrUnknownNested", "POST", "/v1/apps", `{"type":"public","name":"A","callback_url":"https://a.example","listing":{"sumary":"x"}}`, "", 400, []string{"sumary"}},
		{"ErrWrongType", "POST", "/v1/apps", `{"type":"public","name":7,"callback_url":"https://a.example"}`, "", 400, []string{"name"}},
		{"ErrTooLarge", "POST", "/v1/apps", big, "", 413, nil},
		{"ErrMediaType", "POST", "/v1/apps", `{}`, "text/plain", 415, nil},
		{"ErrPatchMediaType", "PATCH", "/v1/apps/" + a.ID, `{}`, "application/xml", 415, nil},
		{"ErrRequired", "POST", "/v1/apps", `{}`, "", 422, []string{"callback_url", "name", "type"}},
		{"ErrRules", "POST", "/v1/apps", `{"type":"internal","name":"` + strings.Repeat("n", 101) + `","callback_url":"ftp://a.example/x","scopes":["deals:read","root"],"installation_url":"https://u:p@a.example/"}`, "",
			422, []string{"callback_url", "installation_url", "name", "scopes[1]", "type"}},
		{"ErrURLShapes", "POST", "/v1/apps", `{"type":"public","name":"A","callback_url":"/relative","installation_url":"https://a.example/#frag","listing":{"icon_url":"javascript:alert(1)","image_urls":["https://a.example/1","https://a.example/2","https://a.example/3","https://a.example/4","https://a.example/5","https://a.example/6"]}}`, "",
			422, []string{"callback_url", "installation_url", "listing.icon_url", "listing.image_urls"}},
		{"ErrPrivateListing", "POST", "/v1/apps", `{"type":"private","name":"A","callback_url":"https://a.example","listing":{"summary":"x"}}`, "", 422, []string{"listing"}},
		{"ErrPatchRules", "PATCH", "/v1/apps/" + a.ID, `{"name":"","callback_url":null,"listing":{"summary":"` + strings.Repeat("s", 151) + `"}}`, "", 422, []string{"callback_url", "listing.summary", "name"}},
		{"ErrLimit", "GET", "/v1/apps?limit=0", ``, "", 400, []string{"limit"}},
		{"ErrLimitHigh", "GET", "/v1/apps?limit=101", ``, "", 400, []string{"limit"}},
		{"ErrCursor", "GET", "/v1/apps?cursor=!!!", ``, "", 400, nil},
		{"ErrQuery", "GET", "/v1/apps?limit=%zz", ``, "", 400, nil},
		{"ErrBadID", "GET", "/v1/apps/" + strings.Repeat("a", 3000), ``, "", 404, nil},
		{"ErrNoRoute", "GET", "/v1/nothing", ``, "", 404, nil},
		{"ErrMethod", "PUT", "/v1/apps", `{}`, "", 405, nil},
		{"ErrIdempotencyKey", "POST", "/v1/apps", `{}`, "", 400, []string{"Idempotency-Key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			hdr := []string{}
			if c.ctype != "" {
				hdr = append(hdr, "Content-Type", c.ctype)
			}
			if c.name == "ErrIdempotencyKey" {
				hdr = append(hdr, "Idempotency-Key", strings.Repeat("k", 256))
			}
			res := e.do(t, c.method, c.path, &alice, body, hdr...).want(t, c.status)
			got := res.fields(t)
			slices.Sort(got)
			if c.fields != nil && !slices.Equal(got, c.fields) {
				t.Errorf("fields: got %v, want %v", got, c.fields)
			}
		})
	}
	var got devhub.App
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
	if got.Version != 1 {
		t.Errorf("a refused request changed the app: version %d", got.Version)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	body := `{"type":"private","name":"Once","callback_url":"https://example.com/cb"}`
	first := e.do(t, "POST", "/v1/apps", &alice, body, "Idempotency-Key", "k-1").want(t, http.StatusCreated)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again := e.do(t, "POST", "/v1/apps", &alice, body, "Idempotency-Key", "k-1")
			if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) ||
				again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") {
				t.Errorf("replay: got %d %s", again.Status, again.Body)
			}
		}()
	}
	wg.Wait()
	t.Run("ErrDifferentBody", func(t *testing.T) {
		e.do(t, "POST", "/v1/apps", &alice, strings.Replace(body, "Once", "Twice", 1), "Idempotency-Key", "k-1").want(t, http.StatusUnprocessableEntity)
	})
	t.Run("OtherCompanySameKey", func(t *testing.T) {
		e.do(t, "POST", "/v1/apps", &bob, body, "Idempotency-Key", "k-1").want(t, http.StatusCreated)
	})
	var page struct{ Data []devhub.App }
	e.do(t, "GET", "/v1/apps", &alice, nil).want(t, http.StatusOK).decode(t, &page)
	if len(page.Data) != 1 {
		t.Errorf("got %d apps, want 1", len(page.Data))
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.createApp(t, alice, map[string]any{"type": "private", "name": fmt.Sprintf("App %d", i), "callback_url": "https://example.com/cb"})
	}
	seen := map[string]bool{}
	path := "/v1/apps?limit=2"
	for pages := 1; ; pages++ {
		var page struct {
			Data       []devhub.App `json:"data"`
			NextCursor *string      `json:"next_cursor"`
		}
		e.do(t, "GET", path, &alice, nil).want(t, http.StatusOK).decode(t, &page)
		for _, a := range page.Data {
			seen[a.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		if pages > 3 {
			t.Fatal("too many pages")
		}
		path = "/v1/apps?limit=2&cursor=" + *page.NextCursor
	}
	if len(seen) != 5 {
		t.Errorf("saw %d apps, want 5", len(seen))
	}
}

// TestPatchRace: ten PATCHes with the same If-Match race; exactly one wins
// and the others get 412, never a lost update.
func TestPatchRace(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	var wg sync.WaitGroup
	statuses := make(chan int, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, fmt.Sprintf(`{"name":"Name %d"}`, i), "If-Match", `"1"`).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[412] != 9 {
		t.Errorf("got %v, want one 200 and nine 412", count)
	}
	var got devhub.App
	e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK).decode(t, &got)
	if got.Version != 2 {
		t.Errorf("version: got %d, want 2", got.Version)
	}
}

// TestRoundTrips pins the DynamoDB round trips of each request.
func TestRoundTrips(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, validApp())
	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"Create", "POST", "/v1/apps", `{"type":"public","name":"B","callback_url":"https://example.com/cb"}`, 1},
		{"Get", "GET", "/v1/apps/" + a.ID, "", 1},
		{"List", "GET", "/v1/apps", "", 1},
		{"Patch", "PATCH", "/v1/apps/" + a.ID, `{"name":"C"}`, 2},
		{"Delete", "DELETE", "/v1/apps/" + a.ID, `{"reason":"done"}`, 2},
		{"Unauthenticated", "GET", "/v1/apps", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			id := &alice
			if c.name == "Unauthenticated" {
				id = nil
			}
			e.meter.Reset()
			res := e.do(t, c.method, c.path, id, body)
			if res.Status >= 300 && c.want > 0 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			if got := e.meter.Total(); got != c.want {
				t.Errorf("got %d round trips (%v), want %d", got, e.meter.Calls(), c.want)
			}
		})
	}
}

// TestOAuthWrongMethod: OAuth endpoints answer a wrong method in RFC 6749
// form, which OAuth clients parse, not as a problem document.
func TestOAuthWrongMethod(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, "GET", "/oauth/token", nil, nil).want(t, http.StatusMethodNotAllowed)
	var body struct {
		Error string `json:"error"`
	}
	res.decode(t, &body)
	if body.Error != "invalid_request" || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Allow") == "" {
		t.Errorf("got %s %v", res.Body, res.Header)
	}
}
