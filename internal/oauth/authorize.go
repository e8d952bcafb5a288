package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// SessionCookie is the cookie the platform sets for a logged-in user: the
// same JWT as the bearer token.
const SessionCookie = "devhub_session"

// csrfLifetime is how long a consent page may be answered.
const csrfLifetime = 15 * time.Minute

// authRequest is an authorization request, from the query (GET) or the
// consent form (POST).
type authRequest struct {
	ClientID, RedirectURI, State, ResponseType, Challenge, ChallengeMethod string
}

func readAuthRequest(v url.Values) authRequest {
	return authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		ResponseType: v.Get("response_type"), Challenge: v.Get("code_challenge"), ChallengeMethod: v.Get("code_challenge_method")}
}

// page is an HTML answer of the authorization endpoint.
type page struct {
	status  int
	title   string
	message string
}

func (p *page) Error() string { return "oauth page: " + p.title }

var (
	pageNoUser        = &page{http.StatusUnauthorized, "Please log in", "Log in to the platform, then open the installation link again."}
	pageUnknownClient = &page{http.StatusBadRequest, "Unknown app", "This installation link does not name an app that can be installed. Ask the app's developer for a new link."}
	pageBadRedirect   = &page{http.StatusBadRequest, "Invalid redirect", "The redirect_uri is not the callback URL registered for this app, so you will not be sent there."}
	pageBadRequest    = &page{http.StatusBadRequest, "Invalid request", "The installation request is malformed."}
	pageStale         = &page{http.StatusForbidden, "This page has expired", "The consent form is no longer valid. Open the installation link again."}
	pageInReview      = &page{http.StatusForbidden, "Not installable yet", "This app is waiting for review and cannot be installed until it is approved."}
	pageCrossSite     = &page{http.StatusForbidden, "Refused", "This form was sent from another site, so it was refused. Open the installation link again."}
	pageTooLarge      = &page{http.StatusRequestEntityTooLarge, "Invalid request", "The form is too large."}
	pageFault         = &page{http.StatusInternalServerError, "Something went wrong", "Please try again in a moment."}
)

// setPageHeaders are on every page and redirect of the consent flow:
// never framed (clickjacking), never cached, no referrer leaks the query.
// The CSP allows no script at all, the one inline stylesheet by its hash,
// and images from this site, data: (the icon) and https (the app's icon).
func setPageHeaders(h http.Header, formTarget string) {
	csp := "default-src 'none'; style-src " + styleHash + "; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	if formTarget != "" {
		csp += " " + formTarget
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// writePage answers err as an error page; a fault is logged and hidden.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := err.(*page)
	if !ok {
		s.log(r).ErrorContext(r.Context(), "authorize failed", slog.String("error", err.Error()))
		p = pageFault
		if devhub.ErrorCode(err) == devhub.EUNAVAILABLE {
			p = &page{http.StatusServiceUnavailable, pageFault.title, pageFault.message}
		}
	}
	s.render(w, r, p.status, errorPage(p), "")
}

// user is the logged-in user: the bearer token, else the session cookie.
func (s *Server) user(r *http.Request) (devhub.Identity, error) {
	tok := ""
	if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(t)
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		tok = c.Value
	}
	if tok == "" {
		return devhub.Identity{}, pageNoUser
	}
	id, err := s.Verifier.Verify(tok)
	if err != nil {
		return devhub.Identity{}, pageNoUser
	}
	return id, nil
}

// client reads the app and checks what must hold before anything may be
// sent to its callback: the client exists (for this user: a draft only for
// its owner company), and redirect_uri, when given, is byte for byte the
// registered callback. Until both hold, errors are pages, never redirects.
// checkedClient resolves the request's client for the user and checks the
// rest of the request, answering itself (an error page, or a redirect with
// the error once the redirect URI is known to be the registered one) when
// either fails.
func (s *Server) checkedClient(w http.ResponseWriter, r *http.Request, ar authRequest, id devhub.Identity) (*devhub.App, bool) {
	app, err := s.client(r, ar, id)
	if err != nil {
		s.writePage(w, r, err)
		return nil, false
	}
	if e := checkRequest(ar); e != nil {
		s.redirect(w, r, app, ar, redirectError(e))
		return nil, false
	}
	return app, true
}

func (s *Server) client(r *http.Request, ar authRequest, id devhub.Identity) (*devhub.App, error) {
	if ar.ClientID == "" || len(ar.ClientID) > 64 {
		return nil, pageUnknownClient
	}
	app, err := s.Store.GetAppByClientID(r.Context(), ar.ClientID)
	if devhub.ErrorCode(err) == devhub.ENOTFOUND {
		return nil, pageUnknownClient
	}
	if err != nil {
		return nil, err
	}
	if ar.RedirectURI != "" && ar.RedirectURI != app.CallbackURL {
		return nil, pageBadRedirect
	}
	switch devhub.ErrorCode(app.CanInstall(id.CompanyID)) {
	case "":
	case devhub.ENOTFOUND:
		return nil, pageUnknownClient
	default:
		return nil, pageInReview
	}
	return app, nil
}

// checkRequest validates what may be reported to the callback (RFC 6749
// §4.1.2.1): response_type, and PKCE (S256 only).
func checkRequest(ar authRequest) *Error {
	switch {
	case ar.ResponseType != "" && ar.ResponseType != "code":
		return ErrUnsupportedResponseType.WithDescription("response_type must be code.")
	case ar.ChallengeMethod != "" && ar.Challenge == "":
		return ErrInvalidRequest.WithDescription("code_challenge_method without code_challenge.")
	case ar.Challenge != "" && ar.ChallengeMethod != "S256":
		return ErrInvalidRequest.WithDescription("code_challenge_method must be S256; plain is not supported.")
	case ar.Challenge != "" && !validChallenge(ar.Challenge):
		return ErrInvalidRequest.WithDescription("code_challenge must be the base64url SHA-256 of the verifier (43 characters).")
	case len(ar.State) > 2048:
		return ErrInvalidRequest.WithDescription("state is too long.")
	}
	return nil
}

func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// redirect sends the browser to the callback with params, state and iss
// (RFC 9207). 303: the POST becomes a GET.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, app *devhub.App, ar authRequest, params url.Values) {
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	params.Set("iss", s.issuer(r))
	target := app.CallbackURL
	if strings.Contains(target, "?") {
		target += "&" + params.Encode()
	} else {
		target += "?" + params.Encode()
	}
	setPageHeaders(w.Header(), "")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusSeeOther)
}

func redirectError(e *Error) url.Values {
	v := url.Values{"error": {e.Name}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	return v
}

// Authorize is GET /oauth/authorize: the consent page. It never grants.
// One round trip (the app by client_id).
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.writePage(w, r, pageBadRequest)
		return
	}
	ar := readAuthRequest(q)
	id, err := s.user(r)
	if err == pageNoUser && s.LoginURL != "" {
		// As every page of console.md: no session, to the login and back.
		setPageHeaders(w.Header(), "")
		w.Header().Set("Location", s.loginURL(r))
		w.WriteHeader(http.StatusFound)
		return
	}
	if err != nil {
		s.writePage(w, r, err)
		return
	}
	app, ok := s.checkedClient(w, r, ar, id)
	if !ok {
		return
	}
	cb, _ := url.Parse(app.CallbackURL)
	s.render(w, r, http.StatusOK, consentPage(s.consentView(r, app, id, ar, cb)), origin(cb))
}

// consentView is the page's content: names fall back to ids, links and the
// icon are shown only when they are https URLs.
func (s *Server) consentView(r *http.Request, app *devhub.App, id devhub.Identity, ar authRequest, cb *url.URL) *consentView {
	v := &consentView{
		AppName: app.Name, Developer: app.OwnerDisplayName(),
		IconURL:    devhub.HTTPSURL(app.Listing.IconURL),
		PrivacyURL: devhub.HTTPSURL(app.Listing.PrivacyPolicyURL), SupportURL: devhub.HTTPSURL(app.Listing.SupportURL),
		UserName: id.DisplayName(), UserCompany: id.DisplayCompany(), NotYouURL: basepath.Link(r.Context(), s.loginURL(r)),
		ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, State: ar.State,
		CodeChallenge: ar.Challenge, CodeChallengeMethod: ar.ChallengeMethod,
		CSRF: s.csrfToken(id, ar, s.Now().Add(csrfLifetime)), CallbackHost: cb.Host,
	}
	if v.IconURL == "" {
		v.Monogram = devhub.Monogram(app.Name)
	}
	v.Read, v.Full = scopeGroups(app.Scopes)
	return v
}

func origin(u *url.URL) string {
	if u == nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Decide is POST /oauth/authorize: the consent form's answer. The CSRF
// token binds it to the user and to the very request shown. Two round
// trips: the app, then one transaction (installation and code).
func (s *Server) Decide(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		s.writePage(w, r, pageCrossSite)
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		s.writePage(w, r, pageBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFormBytes+1))
	if err != nil {
		s.writePage(w, r, pageBadRequest)
		return
	}
	if len(body) > MaxFormBytes {
		s.writePage(w, r, pageTooLarge)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.writePage(w, r, pageBadRequest)
		return
	}
	ar := readAuthRequest(form)
	ar.ResponseType = "code"
	id, err := s.user(r)
	if err != nil {
		s.writePage(w, r, err)
		return
	}
	if !s.checkCSRF(form.Get("csrf_token"), id, ar) {
		s.writePage(w, r, pageStale)
		return
	}
	app, ok := s.checkedClient(w, r, ar, id)
	if !ok {
		return
	}
	switch form.Get("decision") {
	case "deny":
		s.redirect(w, r, app, ar, redirectError(ErrUserDenied.WithDescription("The user cancelled the installation.")))
	case "allow":
		now := s.Now()
		code := randomString()
		err := s.Store.Consent(r.Context(), app, id.CompanyID, id.UserID, &devhub.AuthCode{
			Hash: hash(code), ClientID: app.ClientID, AppID: app.ID, CompanyID: id.CompanyID, UserID: id.UserID,
			RedirectURI: ar.RedirectURI, Challenge: ar.Challenge, Scopes: app.Scopes,
			IssuedAt: now, ExpiresAt: now.Add(devhub.CodeLifetime),
		})
		if devhub.ErrorCode(err) == devhub.ENOTFOUND {
			err = pageUnknownClient
		}
		if err != nil {
			s.writePage(w, r, err)
			return
		}
		s.redirect(w, r, app, ar, url.Values{"code": {code}})
	default:
		s.writePage(w, r, pageBadRequest)
	}
}

// crossSite reports a POST that a browser says came from another site:
// Sec-Fetch-Site when sent (browsers set it, pages cannot), else an Origin
// of another host. It is refused before the form is read, whatever its
// token. Origin "null" is no evidence: under Referrer-Policy: no-referrer a
// browser sends it for this page's own form. Clients that send neither
// header are judged by the token alone.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err != nil || u.Host != r.Host
	}
	return false
}

// csrfToken is base64url(expiry ‖ HMAC-SHA256(key, user, company, request,
// expiry)): only this server can make one, only for this user and exactly
// this request, and only until it expires. Fields are length-prefixed so
// that no two field lists sign alike.
func (s *Server) csrfToken(id devhub.Identity, ar authRequest, until time.Time) string {
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(until.Unix()))
	return base64.RawURLEncoding.EncodeToString(append(exp[:], s.csrfMAC(s.csrfKeys()[0], exp[:], id, ar)...))
}

func (s *Server) csrfMAC(key, exp []byte, id devhub.Identity, ar authRequest) []byte {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{id.UserID, id.CompanyID, ar.ClientID, ar.RedirectURI, ar.State, ar.Challenge, ar.ChallengeMethod} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	m.Write(exp)
	return m.Sum(nil)
}

func (s *Server) checkCSRF(tok string, id devhub.Identity, ar authRequest) bool {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 8+sha256.Size {
		return false
	}
	if time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0).Before(s.Now()) {
		return false
	}
	for _, key := range s.csrfKeys() {
		if hmac.Equal(raw[8:], s.csrfMAC(key, raw[:8], id, ar)) {
			return true
		}
	}
	return false
}
