package oauth

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the stylesheet and the icon
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// The pages are generated Go (pages.templ, github.com/a-h/templ): no
// reflection at run time, so the binary keeps only the methods it calls
// (html/template's reflect.Value.MethodByName kept every exported method of
// every type in an interface: every DynamoDB operation).

// consentCSS is the one stylesheet of the consent and error pages. It is
// inline, allowed by its SHA-256 in the CSP: the page is seen once per
// install, so a cacheable file would cost a render-blocking request on
// nearly every view and save nothing (README, "OAuth").
//
//go:embed consent.css
var consentCSS string

var (
	styleElement = "<style>" + consentCSS + "</style>"
	styleHash    = func() string {
		sum := sha256.Sum256([]byte(consentCSS))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}()
)

// faviconDataURL is the platform's icon (the console's favicon.svg), inline,
// so that the page asks for nothing more.
const faviconDataURL = `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='6' fill='%231f5fbf'/%3E%3Cpath d='M9 8h7a8 8 0 010 16H9zm4 4v8h3a4 4 0 000-8z' fill='%23fff'/%3E%3C/svg%3E`

// faviconICO is GET /favicon.ico: the same icon at 16, 32 and 48 px (PNG
// in an ICO), for every browser that asks the site root.
//
//go:embed favicon.ico
var faviconICO []byte

// Favicon is GET /favicon.ico. It may be cached for a day: its name is not
// content-hashed.
func (s *Server) Favicon(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "image/x-icon")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(faviconICO)
	}
}

// consentView is what the consent page shows and posts back.
type consentView struct {
	AppName, Developer     string
	IconURL, Monogram      string // IconURL "" draws Monogram
	Read, Full             []devhub.ScopeInfo
	PrivacyURL, SupportURL string // https only; "" hides the link
	UserName, UserCompany  string
	NotYouURL              string // LOGIN_URL?return_to=…; "" hides "Not you?"
	ClientID, RedirectURI  string
	State, CSRF            string
	CodeChallenge          string
	CodeChallengeMethod    string
	CallbackHost           string
}

// scopeGroups splits the app's scopes into what the page shows apart: full
// access (change and delete) and the rest, each in catalog order. A scope
// the catalog does not know (none should be stored) is shown by its
// identifier, with full access: the person must see all that is granted.
func scopeGroups(scopes []string) (rest, full []devhub.ScopeInfo) {
	for _, s := range scopes {
		info, ok := devhub.LookupScope(s)
		if !ok {
			info = devhub.ScopeInfo{Scope: s, Label: s, Access: devhub.AccessFull}
		}
		if info.Access == devhub.AccessFull {
			full = append(full, info)
		} else {
			rest = append(rest, info)
		}
	}
	return rest, full
}

// loginURL is LOGIN_URL with return_to = this request as the browser
// asked for it (its path behind the API's base path, and its query), ""
// when LOGIN_URL is unset. A LOGIN_URL that is a path of this site (the
// runner's /dev/login) gets the base path from the Lambda adapter's
// Location fix, or from basepath.Link where a page renders it.
func (s *Server) loginURL(r *http.Request) string {
	if s.LoginURL == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(s.LoginURL, "?") {
		sep = "&"
	}
	return s.LoginURL + sep + "return_to=" + url.QueryEscape(basepath.Link(r.Context(), r.URL.RequestURI()))
}

var pageBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes c with the pages' headers; formTarget is the callback's
// origin, which form-action must allow for the decision's redirect.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component, formTarget string) {
	buf := pageBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer pageBufs.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		s.log(r).ErrorContext(r.Context(), "render page", "error", err.Error())
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong.</p>")
	}
	h := w.Header()
	setPageHeaders(h, formTarget)
	h.Set("Content-Type", "text/html; charset=utf-8")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="devhub"`)
	}
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
