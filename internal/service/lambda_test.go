package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/service"
)

const (
	placeholderApp = "app_00000000000000000000000000"
	placeholderExt = "ext_00000000000000000000000000"
)

// loadEvent reads a sam local invoke fixture, with the placeholder ids
// replaced by real ones.
func loadEvent(t *testing.T, name, appID string, extID ...string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("../../infra/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(raw), placeholderApp, appID)
	if len(extID) > 0 {
		s = strings.ReplaceAll(s, placeholderExt, extID[0])
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestEveryFunctionHasEvents: each function has sample events to invoke.
func TestEveryFunctionHasEvents(t *testing.T) {
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if m, _ := filepath.Glob("../../infra/events/" + d.Name() + "-*.json"); len(m) == 0 {
			t.Errorf("no infra/events/%s-*.json for functions/%s", d.Name(), d.Name())
		}
	}
}

// TestLambdaEvents feeds the API Gateway v2 fixtures of infra/events through
// each function's Lambda handler, wired as its main wires it, against
// DynamoDB Local.
func TestLambdaEvents(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("AUTH_JWT_SECRET", service.DevJWTSecret) // the fixtures carry a dev token
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	srv, _, err := service.NewServer(context.Background(), cfg, service.NewLogger(cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	srv.Hub.Schemas = jsonschema.New() // as functions/extensions/main.go does
	handlers := map[string]func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error){}
	for name, routes := range srv.FunctionRoutes() {
		handlers[name] = service.LambdaHandler(srv.Handler(routes), "")
	}
	invoke := func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		// The function is named by the fixture's route: /v1/apps/{id}/extensions… is extensions.
		fn := "apps"
		if strings.Contains(ev.RouteKey, "/extensions") {
			fn = "extensions"
		}
		res, err := handlers[fn](context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	created := invoke(loadEvent(t, "apps-create.json", placeholderApp))
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", created.StatusCode, created.Body)
	}
	var app devhub.App
	if err := json.Unmarshal([]byte(created.Body), &app); err != nil {
		t.Fatal(err)
	}
	// Through the stage's path the client's URL was /prod/v1/apps: the
	// Location is under /prod too, where the API routes it.
	if got := created.Headers["Location"]; got != "/prod/v1/apps/"+app.ID {
		t.Errorf("Location: got %q, want /prod/v1/apps/%s", got, app.ID)
	}
	if created.Headers["X-Request-Id"] != "JKJaXmPLvHcESHA=" {
		t.Errorf("request id not API Gateway's: %q", created.Headers["X-Request-Id"])
	}

	extRes := invoke(loadEvent(t, "extensions-create.json", app.ID))
	var ext devhub.Extension
	if err := json.Unmarshal([]byte(extRes.Body), &ext); extRes.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("create extension: %d %s", extRes.StatusCode, extRes.Body)
	}
	if got, want := extRes.Headers["Location"], "/prod/v1/apps/"+app.ID+"/extensions/"+ext.ID; got != want {
		t.Errorf("extension Location %q, want %q", got, want)
	}

	for _, c := range []struct {
		file   string
		status int
		check  func(body string) bool
	}{
		{"extensions-get.json", 200, func(b string) bool { return strings.Contains(b, ext.ID) }},
		{"extensions-list.json", 200, func(b string) bool { return strings.Contains(b, ext.ID) }},
		{"extensions-patch.json", 200, func(b string) bool { return strings.Contains(b, `"version":2`) }},
		{"extensions-delete.json", 204, func(string) bool { return true }},
		{"extensions-get.json", 404, func(string) bool { return true }},
		{"apps-get.json", 200, func(b string) bool { return strings.Contains(b, app.ClientSecret) }},
		{"apps-list.json", 200, func(b string) bool { return strings.Contains(b, `"data":[{`) }},
		{"apps-patch.json", 200, func(b string) bool { return strings.Contains(b, "Renamed through sam local") }},
		{"apps-delete.json", 204, func(string) bool { return true }},
		{"apps-get.json", 404, func(b string) bool { return strings.Contains(b, `"status":404`) }},
	} {
		res := invoke(loadEvent(t, c.file, app.ID, ext.ID))
		if res.StatusCode != c.status || !c.check(res.Body) {
			t.Errorf("%s: got %d %s, want %d", c.file, res.StatusCode, res.Body, c.status)
		}
	}

	t.Run("DefaultStage", func(t *testing.T) {
		ev := loadEvent(t, "apps-list.json", app.ID)
		ev.RequestContext.Stage, ev.RawPath = "$default", "/v1/apps"
		if res := invoke(ev); res.StatusCode != 200 {
			t.Errorf("got %d %s", res.StatusCode, res.Body)
		}
	})
	t.Run("CustomDomainBasePath", func(t *testing.T) {
		// api.example.com/devhub mapped to a stage named v1 (BASE_PATH
		// /devhub): /devhub is cut, /v1 is the route's, and the Location is
		// under /devhub.
		h := service.LambdaHandler(srv.Handler(srv.AppsRoutes()), "/devhub/")
		res, err := h(context.Background(), loadEvent(t, "apps-create-custom-domain.json", app.ID))
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("got %d %s %v", res.StatusCode, res.Body, err)
		}
		var made devhub.App
		_ = json.Unmarshal([]byte(res.Body), &made)
		if got := res.Headers["Location"]; made.ID == "" || got != "/devhub/v1/apps/"+made.ID {
			t.Errorf("Location %q, want /devhub/v1/apps/%s", got, made.ID)
		}
		ev := loadEvent(t, "apps-list.json", app.ID)
		ev.RequestContext.Stage, ev.RawPath = "$default", "/devhub/v1/apps"
		ev.RequestContext.DomainName = "api.example.com"
		if res, err := h(context.Background(), ev); err != nil || res.StatusCode != 200 {
			t.Errorf("$default stage: got %d %s %v", res.StatusCode, res.Body, err)
		}
		// Through the execute-api URL the same function cuts the stage,
		// not BASE_PATH.
		if res, err := h(context.Background(), loadEvent(t, "apps-list.json", app.ID)); err != nil || res.StatusCode != 200 {
			t.Errorf("stage path: got %d %s %v", res.StatusCode, res.Body, err)
		}
	})
	t.Run("CustomDomainStageNamedLikeAPath", func(t *testing.T) {
		// devhub.example.com mapped at its root to a stage named v1: the
		// path /v1/apps is the route's; cutting the stage would leave /apps.
		res := invoke(loadEvent(t, "apps-list-custom-domain-root.json", app.ID))
		if res.StatusCode != http.StatusOK {
			t.Errorf("got %d %s", res.StatusCode, res.Body)
		}
		ev := loadEvent(t, "apps-create-custom-domain.json", app.ID)
		ev.RawPath = "/v1/apps" // the same domain, mapped at its root
		res = invoke(ev)
		var made devhub.App
		_ = json.Unmarshal([]byte(res.Body), &made)
		if got := res.Headers["Location"]; res.StatusCode != http.StatusCreated || got != "/v1/apps/"+made.ID {
			t.Errorf("got %d, Location %q", res.StatusCode, got)
		}
	})
	t.Run("Base64Body", func(t *testing.T) {
		ev := loadEvent(t, "apps-create.json", app.ID)
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(ev.Body)), true
		if res := invoke(ev); res.StatusCode != http.StatusCreated {
			t.Errorf("got %d %s", res.StatusCode, res.Body)
		}
	})
	t.Run("ErrBadBase64", func(t *testing.T) {
		ev := loadEvent(t, "apps-create.json", app.ID)
		ev.Body, ev.IsBase64Encoded = "%%%", true
		if res := invoke(ev); res.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d %s", res.StatusCode, res.Body)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		ev := loadEvent(t, "apps-list.json", app.ID)
		delete(ev.Headers, "authorization")
		if res := invoke(ev); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("got %d %s", res.StatusCode, res.Body)
		}
	})
}
