package httpapi

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// FuzzAppRequest feeds arbitrary bodies through the decoding and validation
// of POST and PATCH /v1/apps: no input may panic or yield anything but a
// client error or a valid app.
func FuzzAppRequest(f *testing.F) {
	for _, s := range []string{
		`{"type":"public","name":"A","callback_url":"https://a.example/cb"}`,
		`{"type":"private","name":"B","callback_url":"http://b.example","scopes":["deals:read","base"],"installation_url":"https://b.example/i"}`,
		`{"listing":{"summary":null,"image_urls":["https://x.example/1"]},"name":"C"}`,
		`{"type":null,"installation_url":null,"scopes":null}`,
		`{"name":"\u0000","callback_url":"https://[::1]:99999/"}`,
		`[]`, `null`, `{"a":1}`, `{"name":1e999}`, `{"listing":[]}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	base := &devhub.App{ID: "app_x", Type: devhub.AppPublic, Status: devhub.StatusDraft, Name: "Base",
		CallbackURL: "https://a.example/cb", Scopes: []string{"base"}, Version: 1}
	now := time.Now()
	f.Fuzz(func(t *testing.T, body []byte) {
		var in devhub.NewAppInput
		if err := decodeJSON(body, &in); err != nil {
			wantCode(t, err, devhub.EMALFORMED)
		} else if a, err := devhub.NewApp(in, devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true}, now); err != nil {
			wantCode(t, err, devhub.EINVALID)
		} else {
			checkApp(t, a)
		}
		var patch devhub.AppPatch
		if err := decodeJSON(body, &patch); err != nil {
			wantCode(t, err, devhub.EMALFORMED)
		} else if a, err := patch.Apply(base, now); err != nil {
			wantCode(t, err, devhub.EINVALID)
		} else {
			checkApp(t, a)
			if a.Type != base.Type || a.Version != 2 || a.ID != base.ID {
				t.Errorf("patch changed what it may not: %+v", a)
			}
		}
	})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := devhub.ErrorCode(err); got != code {
		t.Fatalf("got %q (%v), want %q", got, err, code)
	}
	if devhub.ErrorStatus(err) >= 500 {
		t.Fatalf("status %d for %v", devhub.ErrorStatus(err), err)
	}
}

func checkApp(t *testing.T, a *devhub.App) {
	t.Helper()
	if n := utf8.RuneCountInString(a.Name); n == 0 || n > devhub.MaxAppNameLen {
		t.Errorf("name of %d characters accepted", n)
	}
	if len(a.Scopes) == 0 || a.Scopes[0] != devhub.ScopeBase {
		t.Errorf("scopes without base: %v", a.Scopes)
	}
	if a.Type != devhub.AppPublic && a.Type != devhub.AppPrivate {
		t.Errorf("type %q accepted", a.Type)
	}
	if a.CallbackURL == "" || len(a.Listing.ImageURLs) > devhub.MaxImageURLs {
		t.Errorf("invalid app accepted: %+v", a)
	}
}
