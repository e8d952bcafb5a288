package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/service"
)

const placeholderID = "app_00000000000000000000000000"

// loadEvent reads a sam local invoke fixture, with the app id replaced.
func loadEvent(t *testing.T, name, appID string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("../../infra/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(raw), placeholderID, appID)), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestLambdaEvents feeds the API Gateway v2 fixtures of infra/events through
// the Lambda handler exactly as main wires it, against DynamoDB Local.
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
	handler := service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["apps"]), "")
	invoke := func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
		t.Helper()
		res, err := handler(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	created := invoke(loadEvent(t, "apps-create.json", placeholderID))
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", created.StatusCode, created.Body)
	}
	var app devhub.App
	if err := json.Unmarshal([]byte(created.Body), &app); err != nil {
		t.Fatal(err)
	}
	if got := created.Headers["Location"]; got != "/v1/apps/"+app.ID {
		t.Errorf("Location: got %q", got)
	}
	if created.Headers["X-Request-Id"] != "JKJaXmPLvHcESHA=" {
		t.Errorf("request id not API Gateway's: %q", created.Headers["X-Request-Id"])
	}

	for _, c := range []struct {
		file   string
		status int
		check  func(body string) bool
	}{
		{"apps-get.json", 200, func(b string) bool { return strings.Contains(b, app.ClientSecret) }},
		{"apps-list.json", 200, func(b string) bool { return strings.Contains(b, `"data":[{`) }},
		{"apps-patch.json", 200, func(b string) bool { return strings.Contains(b, "Renamed through sam local") }},
		{"apps-delete.json", 204, func(string) bool { return true }},
		{"apps-get.json", 404, func(b string) bool { return strings.Contains(b, `"status":404`) }},
	} {
		res := invoke(loadEvent(t, c.file, app.ID))
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
		h := service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["apps"]), "/devhub/")
		ev := loadEvent(t, "apps-list.json", app.ID)
		ev.RequestContext.Stage, ev.RawPath = "$default", "/devhub/v1/apps"
		if res, err := h(context.Background(), ev); err != nil || res.StatusCode != 200 {
			t.Errorf("got %d %s %v", res.StatusCode, res.Body, err)
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
