package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestOAuthLambdaEvents feeds the oauth-* fixtures of infra/events through
// the two functions' Lambda handlers, wired as their mains wire them: the
// consent page, the decision, the exchange, introspection, revocation and
// the metadata, against DynamoDB Local.
func TestOAuthLambdaEvents(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("AUTH_JWT_SECRET", service.DevJWTSecret)
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("ISSUER_URL", "https://abc123.execute-api.us-east-1.amazonaws.com/prod")
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	logger := service.NewLogger(cfg.LogLevel)
	srv, st, err := service.NewServer(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.OAuth = oauth.New(oauth.Options{Store: st, Verifier: srv.Verifier, Issuer: cfg.IssuerURL,
		APIDomain: cfg.APIDomain, Secret: cfg.JWTSecret, Logger: logger, RequestID: httpapi.RequestID})
	authorize := service.LambdaHandler(srv.Handler(srv.OAuthAuthorizeRoutes()), cfg.BasePath)
	token := service.LambdaHandler(srv.Handler(srv.OAuthTokenRoutes()), cfg.BasePath)

	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Fixture app", CallbackURL: "https://example.com/cb"},
		devhub.Identity{UserID: "dev-user", CompanyID: "dev-company", Sandbox: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(a.ClientID+":"+a.ClientSecret))
	load := func(name string, repl ...string) events.APIGatewayV2HTTPRequest {
		t.Helper()
		raw, err := os.ReadFile("../../infra/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(raw), "client00000000000000000000", a.ClientID)
		s = regexp.MustCompile(`Basic [A-Za-z0-9+/=]+`).ReplaceAllString(s, basic)
		for i := 0; i+1 < len(repl); i += 2 {
			s = strings.ReplaceAll(s, repl[i], repl[i+1])
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(s), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	invoke := func(h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		res, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	meta := invoke(token, load("oauth-token-metadata.json"))
	if meta.StatusCode != 200 || !strings.Contains(meta.Body, `"token_endpoint":"https://abc123.execute-api.us-east-1.amazonaws.com/prod/oauth/token"`) {
		t.Fatalf("metadata: %d %s", meta.StatusCode, meta.Body)
	}
	page := invoke(authorize, load("oauth-authorize-consent.json"))
	if page.StatusCode != 200 || !strings.Contains(page.Body, "Fixture app") {
		t.Fatalf("consent: %d %s", page.StatusCode, page.Body)
	}
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if csrf == nil {
		t.Fatal("no csrf_token")
	}
	dec := invoke(authorize, load("oauth-authorize-decide.json", "csrf-placeholder", url.QueryEscape(html.UnescapeString(csrf[1]))))
	loc, _ := url.Parse(dec.Headers["Location"])
	if dec.StatusCode != 303 || loc.Query().Get("code") == "" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("decision: %d %v %s", dec.StatusCode, dec.Headers, dec.Body)
	}
	ex := invoke(token, load("oauth-token-exchange.json", "code-placeholder", loc.Query().Get("code")))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(ex.Body), &tok); ex.StatusCode != 200 || err != nil || ex.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("exchange: %d %v %s", ex.StatusCode, ex.Headers, ex.Body)
	}
	if in := invoke(token, load("oauth-token-introspect.json", "token-placeholder", url.QueryEscape(tok.AccessToken))); !strings.Contains(in.Body, `"active":true`) {
		t.Fatalf("introspect: %d %s", in.StatusCode, in.Body)
	}
	if rv := invoke(token, load("oauth-token-revoke.json", "token-placeholder", url.QueryEscape(tok.AccessToken))); rv.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", rv.StatusCode, rv.Body)
	}
	if in := invoke(token, load("oauth-token-introspect.json", "token-placeholder", url.QueryEscape(tok.AccessToken))); in.Body != `{"active":false}` {
		t.Fatalf("introspect after revoke: %d %s", in.StatusCode, in.Body)
	}
	// The unmodified fixtures answer as a client with a made-up code would get.
	if res := invoke(token, load("oauth-token-exchange.json")); res.StatusCode != 400 || !strings.Contains(res.Body, "invalid_grant") {
		t.Errorf("fixture exchange: %d %s", res.StatusCode, res.Body)
	}
}
