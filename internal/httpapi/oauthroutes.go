package httpapi

import (
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// OAuthHandlers is the authorization server (internal/oauth.Server). Its
// handlers write their own responses — HTML pages, RFC 6749 JSON errors
// with Cache-Control: no-store — never problem documents; this package
// gives them their routes, the request id, the access log and recovery.
type OAuthHandlers interface {
	Authorize(w http.ResponseWriter, r *http.Request)  // GET /oauth/authorize: the consent page
	Decide(w http.ResponseWriter, r *http.Request)     // POST /oauth/authorize: the form's decision
	Token(w http.ResponseWriter, r *http.Request)      // POST /oauth/token
	Revoke(w http.ResponseWriter, r *http.Request)     // POST /oauth/revoke (RFC 7009)
	Introspect(w http.ResponseWriter, r *http.Request) // POST /oauth/introspect (RFC 7662)
	Metadata(w http.ResponseWriter, r *http.Request)   // GET /.well-known/oauth-authorization-server
	Favicon(w http.ResponseWriter, r *http.Request)    // GET /favicon.ico
}

// OAuthAuthorizeRoutes are the routes of the oauth-authorize function.
func (s *Server) OAuthAuthorizeRoutes() []Route {
	return []Route{
		{Method: http.MethodGet, Pattern: "/oauth/authorize", Public: true, Handle: s.oauth(OAuthHandlers.Authorize)},
		{Method: http.MethodPost, Pattern: "/oauth/authorize", Public: true, Handle: s.oauth(OAuthHandlers.Decide)},
		{Method: http.MethodGet, Pattern: "/favicon.ico", Public: true, Handle: s.oauth(OAuthHandlers.Favicon)},
	}
}

// OAuthTokenRoutes are the routes of the oauth-token function.
func (s *Server) OAuthTokenRoutes() []Route {
	return []Route{
		{Method: http.MethodPost, Pattern: "/oauth/token", Public: true, Handle: s.oauth(OAuthHandlers.Token)},
		{Method: http.MethodPost, Pattern: "/oauth/revoke", Public: true, Handle: s.oauth(OAuthHandlers.Revoke)},
		{Method: http.MethodPost, Pattern: "/oauth/introspect", Public: true, Handle: s.oauth(OAuthHandlers.Introspect)},
		{Method: http.MethodGet, Pattern: "/.well-known/oauth-authorization-server", Public: true, Handle: s.oauth(OAuthHandlers.Metadata)},
	}
}

// oauth adapts an OAuthHandlers method to a route. The server is looked up
// per request, so the route table exists (for tests and the template check)
// in processes that do not serve OAuth.
func (s *Server) oauth(h func(OAuthHandlers, http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.OAuth == nil {
			return devhub.Errorf(devhub.EINTERNAL, "the OAuth server is not configured in this process")
		}
		h(s.OAuth, w, r)
		return nil
	}
}
