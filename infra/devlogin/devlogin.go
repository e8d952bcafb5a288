// Package devlogin is the local runner's /dev/login (console.md, "Who sees
// what"): a form choosing user id, company id, display names, sandbox and
// reviewer, which sets the devhub_session cookie — the same HS256 JWT as a
// dev bearer token, plus the display claims name and company_name — and
// goes back to return_to (same-origin paths only; /hub by default).
//
// Behind a base path (the runner's RUNNER_BASE_PATH, as a stage's "/prod"),
// return_to is the path the browser used ("/prod/hub/…", as the console and
// the consent page send it), the form posts to the prefixed Path, and the
// default return_to is the prefixed /hub.
//
// It is dev tooling: only the local runner serves it, and a test in
// infra/local proves no functions/* binary links it. Cross-site POSTs are
// refused (Sec-Fetch-Site, Origin), so another site cannot log a browser in
// as someone else.
package devlogin

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/golang-jwt/jwt/v5"
)

// Path is where the runner mounts the handler.
const Path = "/dev/login"

// CookieName is the platform's session cookie (oauth.SessionCookie).
const CookieName = "devhub_session"

// DefaultReturnTo is where a login goes without return_to.
const DefaultReturnTo = "/hub"

// Options configure the handler.
type Options struct {
	// Secret signs the session (AUTH_JWT_SECRET).
	Secret []byte
	// Issuer and Audience go into iss and aud when set (AUTH_JWT_ISSUER,
	// AUTH_JWT_AUDIENCE), as the verifier wants them.
	Issuer, Audience string
	// TTL is the session's lifetime; 0 means 12 hours.
	TTL    time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// claims are the bearer token's claims (internal/auth.Claims) plus the
// display names.
type claims struct {
	CompanyID   string   `json:"company_id"`
	Sandbox     bool     `json:"sandbox"`
	Roles       []string `json:"roles,omitempty"`
	Name        string   `json:"name,omitempty"`
	CompanyName string   `json:"company_name,omitempty"`
	jwt.RegisteredClaims
}

// Handler serves GET (the form) and POST (the login) on Path.
func Handler(o Options) http.Handler {
	if o.TTL <= 0 {
		o.TTL = 12 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w.Header())
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			returnTo, ok := SafeReturnTo(r.URL.Query().Get("return_to"))
			if !ok || returnTo == DefaultReturnTo {
				returnTo = basepath.Link(r.Context(), DefaultReturnTo)
			}
			render(w, r, http.StatusOK, form{ReturnTo: returnTo, UserID: "dev-user", CompanyID: "dev-company", Sandbox: true})
		case http.MethodPost:
			o.login(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			render(w, r, http.StatusMethodNotAllowed, form{Error: "Use the form."})
		}
	})
}

type form struct {
	ReturnTo, UserID, CompanyID, Name, CompanyName string
	Sandbox, Reviewer                              bool
	Error, Action                                  string
}

func (o Options) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		render(w, r, http.StatusForbidden, form{Error: "Cross-site logins are refused.", ReturnTo: DefaultReturnTo, UserID: "dev-user", CompanyID: "dev-company"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		render(w, r, http.StatusBadRequest, form{Error: "The form could not be read.", ReturnTo: DefaultReturnTo})
		return
	}
	f := form{
		UserID: strings.TrimSpace(r.PostForm.Get("user_id")), CompanyID: strings.TrimSpace(r.PostForm.Get("company_id")),
		Name: strings.TrimSpace(r.PostForm.Get("name")), CompanyName: strings.TrimSpace(r.PostForm.Get("company_name")),
		Sandbox: r.PostForm.Get("sandbox") != "", Reviewer: r.PostForm.Get("reviewer") != "",
		ReturnTo: r.PostForm.Get("return_to"),
	}
	returnTo, ok := SafeReturnTo(f.ReturnTo)
	var problems []string
	if !ok {
		problems = append(problems, "Return to must be a path on this site, such as /hub.")
		f.ReturnTo = DefaultReturnTo
	}
	for _, c := range []struct{ label, v string }{{"User ID", f.UserID}, {"Company ID", f.CompanyID}} {
		if !validID(c.v) {
			problems = append(problems, c.label+" is required: 1 to 128 letters, digits, '-', '_', '.', '@' or ':'.")
		}
	}
	for _, c := range []struct{ label, v string }{{"Display name", f.Name}, {"Company name", f.CompanyName}} {
		if len(c.v) > 200 || strings.IndexFunc(c.v, unicode.IsControl) >= 0 {
			problems = append(problems, c.label+" must be at most 200 characters, without control characters.")
		}
	}
	if len(problems) > 0 {
		f.Error = strings.Join(problems, " ")
		render(w, r, http.StatusBadRequest, f)
		return
	}
	now := o.Now()
	c := claims{CompanyID: f.CompanyID, Sandbox: f.Sandbox, Name: f.Name, CompanyName: f.CompanyName,
		RegisteredClaims: jwt.RegisteredClaims{Subject: f.UserID, Issuer: o.Issuer,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(o.TTL))}}
	if f.Reviewer {
		c.Roles = []string{"marketplace_reviewer"}
	}
	if o.Audience != "" {
		c.Audience = jwt.ClaimStrings{o.Audience}
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(o.Secret)
	if err != nil {
		o.Logger.Error("dev login: sign", slog.String("error", err.Error()))
		render(w, r, http.StatusInternalServerError, form{Error: "The session could not be signed.", ReturnTo: DefaultReturnTo})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: int(o.TTL / time.Second)})
	o.Logger.Info("dev login", slog.String("user_id", f.UserID), slog.String("company_id", f.CompanyID),
		slog.Bool("sandbox", f.Sandbox), slog.Bool("reviewer", f.Reviewer))
	// return_to is the browser's path; under a base path, the adapter's
	// Location fix (service.ServeUnder) puts the prefix back on what is
	// left once it is cut (a path outside it goes under it).
	if p := basepath.From(r.Context()); p != "" {
		if rest, ok := basepath.Cut(returnTo, p); ok {
			returnTo = rest
		}
	}
	w.Header().Set("Location", returnTo)
	w.WriteHeader(http.StatusSeeOther)
}

// SafeReturnTo returns p if it is a path on this site ("/…", not "//…",
// no backslash, no control character, no scheme or host), "/hub" when p is
// empty; ok is false for anything else.
func SafeReturnTo(p string) (string, bool) {
	if p == "" {
		return DefaultReturnTo, true
	}
	if len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") ||
		strings.IndexFunc(p, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return "", false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", false
	}
	return p, true
}

// sameOrigin refuses cross-site POSTs: a browser sends Sec-Fetch-Site (and
// Origin); curl sends neither and is let through.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host && (u.Scheme == "http" || u.Scheme == "https")
}

func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.@:", c)) {
			return false
		}
	}
	return true
}

// setPageHeaders are console.md's "Security of the pages" headers.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

func render(w http.ResponseWriter, r *http.Request, status int, f form) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if f.ReturnTo == DefaultReturnTo {
		f.ReturnTo = basepath.Link(r.Context(), DefaultReturnTo)
	}
	f.Action = basepath.Link(r.Context(), Path)
	_ = page.Execute(w, f)
}

var page = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in (local development) · Developer Hub</title></head>
<body><main>
<h1>Log in (local development)</h1>
<p>This page exists only in the local runner (<code>make run</code>). It sets the <code>devhub_session</code> cookie for whoever you choose.</p>
{{if .Error}}<p role="alert" id="login-error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="return_to" value="{{.ReturnTo}}">
<p><label for="user_id">User ID</label><br><input id="user_id" name="user_id" value="{{.UserID}}" required maxlength="128" autocomplete="username"></p>
<p><label for="company_id">Company ID</label><br><input id="company_id" name="company_id" value="{{.CompanyID}}" required maxlength="128"></p>
<p><label for="name">Display name</label><br><input id="name" name="name" value="{{.Name}}" maxlength="200" autocomplete="name"></p>
<p><label for="company_name">Company name</label><br><input id="company_name" name="company_name" value="{{.CompanyName}}" maxlength="200" autocomplete="organization"></p>
<p><input type="checkbox" id="sandbox" name="sandbox" value="true"{{if .Sandbox}} checked{{end}}> <label for="sandbox">Developer sandbox company</label></p>
<p><input type="checkbox" id="reviewer" name="reviewer" value="true"{{if .Reviewer}} checked{{end}}> <label for="reviewer">Marketplace reviewer</label></p>
<p><button type="submit">Log in</button></p>
</form>
</main></body></html>
`))
