package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// MaxFormBytes is the largest form body the token endpoints read.
const MaxFormBytes = 16 << 10

// tokenForm is a parsed request to the token, revocation or introspection
// endpoint: its parameters (each at most once) and the client's claimed
// credentials.
type tokenForm struct {
	params       map[string]string
	clientID     string
	clientSecret string
}

func (f *tokenForm) get(name string) string { return f.params[name] }

// parseTokenForm reads an application/x-www-form-urlencoded body and the
// client's credentials, from HTTP Basic or the body but not both (RFC 6749
// §2.3.1). Only the body counts: parameters in the query are ignored, so
// that no credential is taken from a URL. Errors: ErrInvalidRequest,
// ErrTooLarge, ErrInvalidClient (no credentials at all).
func parseTokenForm(header http.Header, body []byte) (*tokenForm, error) {
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, ErrInvalidRequest.WithDescription("The body must be application/x-www-form-urlencoded.")
	}
	if len(body) > MaxFormBytes {
		return nil, ErrTooLarge
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, ErrInvalidRequest.WithDescription("The body is not a valid form.")
	}
	f := &tokenForm{params: make(map[string]string, len(values))}
	for name, vs := range values {
		if len(vs) > 1 {
			return nil, ErrInvalidRequest.WithDescription("The parameter %q is repeated.", truncate(name, 40))
		}
		if vs[0] != "" { // an empty parameter is an omitted one (§3.1)
			f.params[name] = vs[0]
		}
	}
	authz := header.Values("Authorization")
	switch {
	case len(authz) > 1:
		return nil, ErrInvalidRequest.WithDescription("Only one Authorization header is allowed.")
	case len(authz) == 1:
		id, secret, ok := parseBasic(authz[0])
		if !ok {
			return nil, ErrInvalidClient.WithDescription("The Authorization header is not valid HTTP Basic.")
		}
		if _, inBody := f.params["client_secret"]; inBody {
			return nil, ErrInvalidRequest.WithDescription("Authenticate with HTTP Basic or with the body, not both.")
		}
		if bodyID, inBody := f.params["client_id"]; inBody && bodyID != id {
			return nil, ErrInvalidRequest.WithDescription("client_id differs from the HTTP Basic user.")
		}
		f.clientID, f.clientSecret = id, secret
	default:
		f.clientID, f.clientSecret = f.params["client_id"], f.params["client_secret"]
	}
	if f.clientID == "" || f.clientSecret == "" {
		return nil, ErrInvalidClient.WithDescription("Client authentication is required.")
	}
	return f, nil
}

// parseBasic reads "Basic base64(urlencode(id):urlencode(secret))".
func parseBasic(h string) (id, secret string, ok bool) {
	scheme, enc, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", false
	}
	return id, secret, id != "" && secret != ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// readForm reads the request's body (bounded) and parses it.
func readForm(r *http.Request) (*tokenForm, error) {
	if r.ContentLength > MaxFormBytes {
		return nil, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxFormBytes+1))
	if err != nil {
		return nil, ErrInvalidRequest.WithDescription("The body could not be read.")
	}
	return parseTokenForm(r.Header, body)
}

// authenticate checks the client's secret against app in constant time:
// the current secret, and the previous one until its grace period ends.
// Both comparisons always run, on SHA-256 digests so that lengths do not
// show either. A missing app still costs the same.
func authenticate(app *devhub.App, secret string, now time.Time) error {
	given := sha256.Sum256([]byte(secret))
	var cur, prev [32]byte
	inGrace := 0
	if app != nil {
		cur = sha256.Sum256([]byte(app.ClientSecret))
		if app.PreviousClientSecret != "" && now.Before(app.PreviousSecretUntil) {
			prev, inGrace = sha256.Sum256([]byte(app.PreviousClientSecret)), 1
		}
	}
	ok := subtle.ConstantTimeCompare(given[:], cur[:]) | (subtle.ConstantTimeCompare(given[:], prev[:]) & inGrace)
	if app == nil || ok != 1 {
		return ErrInvalidClient.WithDescription("Client authentication failed.")
	}
	return nil
}

// tokenResponse is a successful token response, with the platform's
// comma-separated scope and api_domain.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	APIDomain    string `json:"api_domain"`
}

// Token is POST /oauth/token.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r)
	if err == nil {
		var res *tokenResponse
		switch gt := f.get("grant_type"); gt {
		case "authorization_code":
			res, err = s.exchangeCode(r, f)
		case "refresh_token":
			res, err = s.refresh(r, f)
		case "":
			err = ErrInvalidRequest.WithDescription("grant_type is required.")
		default:
			err = ErrUnsupportedGrantType.WithDescription("Supported grant types: authorization_code, refresh_token.")
		}
		if err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) issue(r *http.Request, app *devhub.App, loc locator, grant string, scopes []string, now time.Time) (access, refresh string, at, rt *devhub.Token) {
	access, refresh = mintToken(kindAccess, loc), mintToken(kindRefresh, loc)
	base := devhub.Token{ClientID: app.ClientID, AppID: loc.AppID, CompanyID: loc.CompanyID, UserID: loc.UserID,
		Grant: grant, Scopes: scopes, IssuedAt: now}
	a, rf := base, base
	a.Hash, a.Kind, a.ExpiresAt = hash(access), devhub.AccessToken, now.Add(devhub.AccessTokenLifetime)
	rf.Hash, rf.Kind, rf.ExpiresAt = hash(refresh), devhub.RefreshToken, now.Add(devhub.RefreshTokenIdle)
	return access, refresh, &a, &rf
}

func (s *Server) respond(r *http.Request, access, refresh string, scopes []string) *tokenResponse {
	return &tokenResponse{AccessToken: access, TokenType: "Bearer", RefreshToken: refresh,
		Scope: devhub.FormatScopes(scopes), ExpiresIn: int(devhub.AccessTokenLifetime / time.Second), APIDomain: s.apiDomain(r)}
}

var errBadCode = ErrInvalidGrant.WithDescription("The authorization code is invalid, expired or already used.")

// exchangeCode is the authorization_code grant: 2 round trips (one batch
// read, one transaction); a replay costs one or two more, to revoke.
func (s *Server) exchangeCode(r *http.Request, f *tokenForm) (*tokenResponse, error) {
	code := f.get("code")
	if code == "" {
		return nil, ErrInvalidRequest.WithDescription("code is required.")
	}
	verifier := f.get("code_verifier")
	if verifier != "" && !validVerifier(verifier) {
		return nil, ErrInvalidRequest.WithDescription("code_verifier must be 43 to 128 unreserved characters (RFC 7636).")
	}
	now := s.Now()
	codeHash := hash(code)
	look, err := s.Store.LookupCode(r.Context(), codeHash, f.clientID)
	if err != nil {
		return nil, err
	}
	if err := authenticate(look.App, f.clientSecret, now); err != nil {
		return nil, err
	}
	c := look.Code
	if c == nil {
		if u := look.Used; u != nil && u.ClientID == f.clientID {
			s.revokeReplay(r, u)
		}
		return nil, errBadCode
	}
	switch {
	case c.ClientID != f.clientID:
		return nil, errBadCode
	case !now.Before(c.ExpiresAt):
		return nil, errBadCode
	case c.RedirectURI != "" && f.get("redirect_uri") != c.RedirectURI:
		return nil, ErrInvalidGrant.WithDescription("redirect_uri does not match the authorization request.")
	case c.RedirectURI == "" && f.get("redirect_uri") != "" && f.get("redirect_uri") != look.App.CallbackURL:
		return nil, ErrInvalidGrant.WithDescription("redirect_uri is not the registered callback.")
	case c.Challenge != "" && verifier == "":
		return nil, ErrInvalidGrant.WithDescription("code_verifier is required: the authorization request had a code_challenge.")
	case c.Challenge == "" && verifier != "":
		return nil, ErrInvalidGrant.WithDescription("code_verifier was sent but the authorization request had no code_challenge.")
	case c.Challenge != "" && subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(c.Challenge)) != 1:
		return nil, ErrInvalidGrant.WithDescription("code_verifier does not match the code_challenge.")
	}
	loc := locator{AppID: c.AppID, CompanyID: c.CompanyID, UserID: c.UserID}
	grant := devhub.NewID("")
	access, refresh, at, rt := s.issue(r, look.App, loc, grant, c.Scopes, now)
	err = s.Store.ExchangeCode(r.Context(), c, grant, at, rt)
	switch devhub.ErrorCode(err) {
	case "":
		return s.respond(r, access, refresh, c.Scopes), nil
	case devhub.ECONFLICT: // another exchange won: this one is a replay
		if again, err := s.Store.LookupCode(r.Context(), codeHash, f.clientID); err == nil && again.Used != nil {
			s.revokeReplay(r, again.Used)
		}
		return nil, errBadCode
	case devhub.ENOTFOUND:
		return nil, ErrInvalidGrant.WithDescription("The installation has ended.")
	}
	return nil, err
}

// revokeReplay kills the token family that a replayed code's first
// exchange started (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
func (s *Server) revokeReplay(r *http.Request, u *devhub.UsedCode) {
	s.log(r).WarnContext(r.Context(), "authorization code replayed: revoking its tokens",
		slog.String("client_id", u.ClientID), slog.String("app_id", u.AppID))
	if err := s.Store.RevokeGrant(r.Context(), u.AppID, u.CompanyID, u.UserID, u.Grant); err != nil {
		s.log(r).ErrorContext(r.Context(), "revoke replayed code's tokens", slog.String("error", err.Error()))
	}
}

var errBadRefresh = ErrInvalidGrant.WithDescription("The refresh token is invalid, expired or revoked.")

// refresh is the refresh_token grant: 2 round trips. The refresh token's
// life starts again; with the app's rotation setting a new one replaces it,
// and the old one, used again, revokes its whole family.
func (s *Server) refresh(r *http.Request, f *tokenForm) (*tokenResponse, error) {
	rtString := f.get("refresh_token")
	if rtString == "" {
		return nil, ErrInvalidRequest.WithDescription("refresh_token is required.")
	}
	now := s.Now()
	look, err := s.Store.LookupToken(r.Context(), hash(rtString), f.clientID)
	if err != nil {
		return nil, err
	}
	if err := authenticate(look.App, f.clientSecret, now); err != nil {
		return nil, err
	}
	old := look.Token
	if old == nil || old.Kind != devhub.RefreshToken || old.ClientID != f.clientID || !now.Before(old.ExpiresAt) {
		return nil, errBadRefresh
	}
	if !old.RotatedAt.IsZero() {
		s.revokeReuse(r, old)
		return nil, errBadRefresh
	}
	loc := locator{AppID: old.AppID, CompanyID: old.CompanyID, UserID: old.UserID}
	access, next, at, rt := s.issue(r, look.App, loc, old.Grant, old.Scopes, now)
	if !look.App.RefreshTokenRotation {
		next, rt = rtString, nil
	}
	err = s.Store.RefreshToken(r.Context(), old, at, rt, now.Add(devhub.RefreshTokenIdle))
	switch devhub.ErrorCode(err) {
	case "":
		return s.respond(r, access, next, old.Scopes), nil
	case devhub.ECONFLICT:
		s.revokeReuse(r, old)
		return nil, errBadRefresh
	case devhub.ENOTFOUND:
		return nil, errBadRefresh
	}
	return nil, err
}

func (s *Server) revokeReuse(r *http.Request, old *devhub.Token) {
	s.log(r).WarnContext(r.Context(), "rotated refresh token reused: revoking its family",
		slog.String("client_id", old.ClientID), slog.String("app_id", old.AppID))
	if err := s.Store.RevokeGrant(r.Context(), old.AppID, old.CompanyID, old.UserID, old.Grant); err != nil {
		s.log(r).ErrorContext(r.Context(), "revoke reused token's family", slog.String("error", err.Error()))
	}
}

// validVerifier: 43–128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// s256 is the S256 code challenge of verifier.
func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Revoke is POST /oauth/revoke (RFC 7009): 200 for any token, known or
// not. An access token ends alone; a refresh token ends its installation
// (every token of it, and the app gets its uninstall notification).
func (s *Server) Revoke(w http.ResponseWriter, r *http.Request) {
	if err := s.revoke(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	setNoStore(w.Header())
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(r *http.Request) error {
	f, err := readForm(r)
	if err != nil {
		return err
	}
	tok := f.get("token")
	if tok == "" {
		return ErrInvalidRequest.WithDescription("token is required.")
	}
	now := s.Now()
	look, err := s.Store.LookupToken(r.Context(), hash(tok), f.clientID)
	if err != nil {
		return err
	}
	if err := authenticate(look.App, f.clientSecret, now); err != nil {
		return err
	}
	t := look.Token
	if t == nil || t.ClientID != f.clientID {
		return nil // unknown, or another client's: nothing to say (RFC 7009 §2.2)
	}
	switch t.Kind {
	case devhub.AccessToken:
		return s.Store.DeleteAccessToken(r.Context(), t.Hash, f.clientID)
	case devhub.RefreshToken:
		if !t.Live(now) {
			return nil
		}
		return s.Store.EndInstallation(r.Context(), t)
	}
	return nil
}

// introspection is an RFC 7662 response. An inactive token shows nothing
// but active: false.
type introspection struct {
	Active         bool   `json:"active"`
	Scope          string `json:"scope,omitempty"`
	ClientID       string `json:"client_id,omitempty"`
	TokenType      string `json:"token_type,omitempty"`
	Exp            int64  `json:"exp,omitempty"`
	Iat            int64  `json:"iat,omitempty"`
	Sub            string `json:"sub,omitempty"`
	Iss            string `json:"iss,omitempty"`
	CompanyID      string `json:"company_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	AppID          string `json:"app_id,omitempty"`
	InstallationID string `json:"installation_id,omitempty"`
}

// Introspect is POST /oauth/introspect (RFC 7662), for the platform's
// resource servers, client-authenticated: one round trip reads the token,
// its installation and the client, so revocations and uninstalls show at
// once. A client sees only its own tokens as active.
func (s *Server) Introspect(w http.ResponseWriter, r *http.Request) {
	res, err := s.introspect(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) introspect(r *http.Request) (*introspection, error) {
	f, err := readForm(r)
	if err != nil {
		return nil, err
	}
	tok := f.get("token")
	if tok == "" {
		return nil, ErrInvalidRequest.WithDescription("token is required.")
	}
	now := s.Now()
	h := hash(tok)
	var look dynamo.TokenLookup
	kind, loc, parsed := parseToken(tok)
	if parsed {
		look, err = s.Store.IntrospectToken(r.Context(), h, f.clientID, loc.AppID, loc.CompanyID, loc.UserID)
	} else {
		look, err = s.Store.LookupToken(r.Context(), h, f.clientID) // only to authenticate
	}
	if err != nil {
		return nil, err
	}
	if err := authenticate(look.App, f.clientSecret, now); err != nil {
		return nil, err
	}
	t, inst := look.Token, look.Installation
	if !parsed || t == nil || inst == nil || t.ClientID != f.clientID || !t.Live(now) || inst.Grant != t.Grant ||
		string(t.Kind) != map[string]string{kindAccess: string(devhub.AccessToken), kindRefresh: string(devhub.RefreshToken)}[kind] {
		return &introspection{Active: false}, nil
	}
	res := &introspection{Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID,
		Exp: t.ExpiresAt.Unix(), Iat: t.IssuedAt.Unix(), Sub: t.UserID, Iss: s.issuer(r),
		CompanyID: t.CompanyID, UserID: t.UserID, AppID: t.AppID, InstallationID: inst.ID}
	if t.Kind == devhub.AccessToken {
		res.TokenType = "Bearer"
	}
	return res, nil
}

// metadata is the RFC 8414 document.
type metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods  []string `json:"introspection_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
	ServiceDocumentation              string   `json:"service_documentation"`
}

// DocumentationURL is the metadata's service_documentation: the README's
// OAuth section, a page for people (the OpenAPI document is for tools).
const DocumentationURL = "https://github.com/devhub-oss/devhub#oauth"

// Metadata is GET /.well-known/oauth-authorization-server (RFC 8414).
func (s *Server) Metadata(w http.ResponseWriter, r *http.Request) {
	iss := s.issuer(r)
	auth := []string{"client_secret_basic", "client_secret_post"}
	writeJSON(w, http.StatusOK, metadata{
		Issuer: iss, AuthorizationEndpoint: iss + "/oauth/authorize", TokenEndpoint: iss + "/oauth/token",
		RevocationEndpoint: iss + "/oauth/revoke", IntrospectionEndpoint: iss + "/oauth/introspect",
		ResponseTypesSupported: []string{"code"}, ResponseModesSupported: []string{"query"},
		GrantTypesSupported:           []string{"authorization_code", "refresh_token"},
		CodeChallengeMethodsSupported: []string{"S256"},
		TokenEndpointAuthMethods:      auth, RevocationEndpointAuthMethods: auth, IntrospectionEndpointAuthMethods: auth,
		ScopesSupported: devhub.ScopeCatalog, AuthorizationResponseIssParameter: true,
		ServiceDocumentation: DocumentationURL,
	})
}
