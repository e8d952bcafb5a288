package service_test

import (
	"context"
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

// TestConsentPageBasePath renders the consent page through the
// oauth-authorize function's Lambda handler behind three front doors (the
// execute-api URL's stage "prod", a custom domain mapped at /devhub,
// $default): every same-origin URL it renders carries the prefix (its form
// posts to the relative "authorize", which the browser resolves under the
// prefix), "Not you?" and the no-session redirect go to the prefixed
// LOGIN_URL with return_to = the path the browser used, and the decision
// posted to the resolved action answers 303 to the callback.
func TestConsentPageBasePath(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("AUTH_JWT_SECRET", service.DevJWTSecret)
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	logger := service.NewLogger(cfg.LogLevel)
	srv, st, err := service.NewServer(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.OAuth = oauth.New(oauth.Options{Store: st, Verifier: srv.Verifier, Issuer: cfg.IssuerURL, APIDomain: cfg.APIDomain,
		Secret: cfg.JWTSecret, LoginURL: "/dev/login", Logger: logger, RequestID: httpapi.RequestID})
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Prefix app", CallbackURL: "https://example.com/cb"},
		devhub.Identity{UserID: "dev-user", CompanyID: "dev-company", Sandbox: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	load := func(name string, repl ...string) events.APIGatewayV2HTTPRequest {
		t.Helper()
		raw, err := os.ReadFile("../../infra/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(raw), "client00000000000000000000", a.ClientID)
		for i := 0; i+1 < len(repl); i += 2 {
			s = strings.ReplaceAll(s, repl[i], repl[i+1])
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal([]byte(s), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	urlAttr := regexp.MustCompile(`\s(href|src|action|formaction|data-[a-z-]+)="([^"]*)"`)
	for _, d := range []struct{ name, domain, stage, basePath, prefix string }{
		{"execute-api stage prod", "abc123.execute-api.us-east-1.amazonaws.com", "prod", "", "/prod"},
		{"custom domain mapped at /devhub", "crm.example.com", "prod", "/devhub", "/devhub"},
		{"execute-api $default stage", "abc123.execute-api.us-east-1.amazonaws.com", "$default", "", ""},
	} {
		t.Run(d.name, func(t *testing.T) {
			h := service.LambdaHandler(srv.Handler(srv.OAuthAuthorizeRoutes()), d.basePath)
			at := func(ev events.APIGatewayV2HTTPRequest, path string) events.APIGatewayV2HTTPResponse {
				t.Helper()
				ev.RawPath, ev.RequestContext.HTTP.Path = path, path
				ev.RequestContext.DomainName, ev.RequestContext.Stage, ev.Headers["host"] = d.domain, d.stage, d.domain
				res, err := h(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			ev := load("oauth-authorize-consent.json")
			page := at(ev, d.prefix+"/oauth/authorize")
			if page.StatusCode != 200 || !strings.Contains(page.Body, "Prefix app") {
				t.Fatalf("consent: %d %s", page.StatusCode, page.Body)
			}
			browserPath := d.prefix + "/oauth/authorize?" + ev.RawQueryString
			base, _ := url.Parse("https://" + d.domain + browserPath)
			var action string
			n := 0
			for _, m := range urlAttr.FindAllStringSubmatch(page.Body, -1) {
				v := html.UnescapeString(m[2])
				u, err := base.Parse(v)
				if err != nil {
					t.Fatalf("%s=%q: %v", m[1], v, err)
				}
				if u.Scheme != "https" || u.Host != d.domain {
					continue // data: icon, the app's https links
				}
				n++
				if !strings.HasPrefix(u.Path, d.prefix+"/") {
					t.Errorf("%s=%q resolves to %s, outside %q", m[1], v, u.Path, d.prefix)
				}
				if m[1] == "action" {
					action = u.Path
				}
			}
			notYou := d.prefix + "/dev/login?return_to=" + url.QueryEscape(browserPath)
			if !strings.Contains(page.Body, `href="`+html.EscapeString(notYou)+`"`) {
				t.Errorf("Not you? is not %q", notYou)
			}
			if action != d.prefix+"/oauth/authorize" || n < 2 {
				t.Errorf("form action %q (want %q), %d same-origin URLs", action, d.prefix+"/oauth/authorize", n)
			}
			ev.Cookies = nil
			if res := at(ev, d.prefix+"/oauth/authorize"); res.StatusCode != 302 || res.Headers["Location"] != notYou {
				t.Errorf("no session: %d Location %q, want %q", res.StatusCode, res.Headers["Location"], notYou)
			}
			csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
			if csrf == nil {
				t.Fatal("no csrf_token")
			}
			dec := at(load("oauth-authorize-decide.json", "csrf-placeholder", url.QueryEscape(html.UnescapeString(csrf[1]))), action)
			if loc, _ := url.Parse(dec.Headers["Location"]); dec.StatusCode != 303 || loc.Host != "example.com" || loc.Query().Get("code") == "" {
				t.Errorf("decision at %s: %d %v %s", action, dec.StatusCode, dec.Headers, dec.Body)
			}
			t.Logf("%s: %d same-origin URLs on the consent page, all under %q", d.name, n, d.prefix)
		})
	}
}
