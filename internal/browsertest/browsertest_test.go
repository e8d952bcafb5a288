package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
)

const testPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><main>
<h1>Test page</h1>
<form method="post" action="/sent"><label for="n">App name</label><input id="n" name="name" value="old">
<input type="checkbox" id="c" name="c" value="1"><label for="c">Check me</label>
<button type="submit">Save</button></form>
<details><summary><span aria-hidden="true">⋯</span><span class="x">More actions for A</span></summary><a href="/x">Inside</a></details>
</main></body></html>`

// TestBrowser: roles and names are found, input is typed, a form is
// posted, and axe-core passes a clean page and fails a broken one.
func TestBrowser(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/sent":
			_ = r.ParseForm()
			got = r.PostForm.Encode()
			fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>sent</title></head><body><main><h1>Sent</h1></main></body></html>`)
		case "/broken":
			fmt.Fprint(w, `<!doctype html><html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input></body></html>`)
		default:
			fmt.Fprint(w, testPage)
		}
	}))
	defer srv.Close()
	for _, noJS := range []bool{false, true} {
		t.Run(fmt.Sprintf("noJS=%v", noJS), func(t *testing.T) {
			b := browsertest.Start(t, browsertest.Options{NoJavaScript: noJS})
			b.Go(srv.URL + "/")
			b.Check("form")
			b.Get("textbox", "App name").Fill("New name")
			b.Get("checkbox", "Check me").Toggle()
			if !b.Has("DisclosureTriangle", "More actions for A") {
				t.Errorf("no disclosure named More actions for A")
			}
			b.Get("button", "Save").Click()
			if got != "name=New+name&c=1" && got != "c=1&name=New+name" {
				t.Errorf("posted %q", got)
			}
			if !strings.Contains(b.Text(), "Sent") {
				t.Errorf("page: %s", b.Text())
			}
		})
	}
	t.Run("ErrAxe", func(t *testing.T) {
		b := browsertest.Start(t, browsertest.Options{})
		b.Go(srv.URL + "/broken")
		v := b.Axe()
		if len(v) < 2 || !strings.Contains(strings.Join(v, "\n"), "image-alt") {
			t.Errorf("axe found on a page without lang, alt and label: %q", v)
		}
	})
}
