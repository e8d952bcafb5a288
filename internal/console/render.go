package console

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/a-h/templ"
)

// Page is what the layout needs around a page's body.
type Page struct {
	Title   string
	Session *Session // nil on pages without a session
	Notice  string   // the one-time notice of the last POST, "" when none
	// Narrow pages hold one form (GOV.UK: one thing per page).
	Narrow bool
	// Script names one more script of /static/ that this page loads (the
	// extension forms' preview.js), "" for none.
	Script string
}

// noticeCookie carries a one-time notice across a POST-redirect-GET. It
// holds a key of notices, never text: nothing a third party sets can put
// words on a page.
const noticeCookie = "devhub_notice"

var notices = map[string]string{
	"created":            "App saved. Its client ID and client secret are below.",
	"saved":              "Your changes are saved.",
	"held":               "Saved. Changes to the callback URL, scopes or installation URL wait for review: see the Review tab.",
	"live":               "The app is live. Share its installation link to let other companies install it.",
	"review":             "Sent to review. A marketplace reviewer will approve or reject it.",
	"changes":            "Changes sent to review.",
	"approved":           "Approved.",
	"rejected":           "Rejected. The developer sees your reason.",
	"published":          "Published: the app is listed in the marketplace.",
	"unpublished":        "Unpublished: the app is hidden from the marketplace. Nobody was uninstalled.",
	"deleted":            "App deleted. It is being uninstalled from every company that had it.",
	"rotated":            "A new client secret was created. The previous one keeps working until the time shown below.",
	"manifest-applied":   "The manifest is applied: the app matches it.",
	"manifest-unchanged": "The manifest already matched the app: nothing changed.",
	"redelivered":        "Sent again: the app's callback URL accepted it.",
	"redeliver-failed":   "Sent again, but the app's callback URL did not accept it: see the delivery's last status or error.",
	"uninstalled":        "The app was uninstalled. Its access has ended, and the app is being notified.",
}

// redirect ends a successful POST: 303 to target, with a one-time notice.
func redirect(w http.ResponseWriter, r *http.Request, target, notice string) error {
	if notice != "" {
		http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: notice, Path: "/", MaxAge: 120,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// takeNotice reads the one-time notice and clears it.
func takeNotice(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: noticeCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return notices[ck.Value]
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes body inside the layout. Pages are rendered into a buffer
// first, so that a failure half-way is a clean error page, not half a page.
// Pages that show no secret may be kept by the browser for back/forward
// navigation but are revalidated (private, no-cache); a handler that shows
// a secret sets no-store first.
func render(w http.ResponseWriter, r *http.Request, status int, s *Session, title string, body templ.Component) {
	renderPage(w, r, status, &Page{Title: title, Session: s}, body)
}

func renderPage(w http.ResponseWriter, r *http.Request, status int, p *Page, body templ.Component) {
	if p.Notice == "" {
		p.Notice = takeNotice(w, r)
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	ctx := templ.WithChildren(r.Context(), body)
	if err := layout(p).Render(ctx, buf); err != nil {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Something went wrong.\n"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
