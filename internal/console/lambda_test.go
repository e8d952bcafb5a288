package console_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestLambdaEvents feeds the console's API Gateway v2 fixtures (the files
// `sam local invoke ConsoleFunction -e` uses) through its Lambda handler,
// wired as functions/console/main.go wires it: the stage prefix is
// stripped, the session cookie is read from the event's cookies, and
// /static is served by its hashed name.
func TestLambdaEvents(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: []byte(service.DevJWTSecret)})
	if err != nil {
		t.Fatal(err)
	}
	h := &hub.Hub{Apps: store, Extensions: store, Installations: store, Clients: store, Now: time.Now}
	c := console.New(console.Options{Hub: h, Verifier: v, CSRFKeys: console.CSRFKeysFrom(auth.StaticKeys([]byte(service.DevJWTSecret)).Current)})
	handler := service.LambdaHandler(c.Handler(c.Routes()), "")
	load := func(name string) events.APIGatewayV2HTTPRequest {
		raw, err := os.ReadFile("../../infra/events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	dev := devhub.Identity{UserID: "dev-user", CompanyID: "dev-company", Sandbox: true}
	if _, _, err := h.CreateApp(context.Background(), dev, devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Fixture app",
		CallbackURL: "https://example.com/cb"}, hub.Idempotency[*devhub.App]{}); err != nil {
		t.Fatal(err)
	}
	res, err := handler(context.Background(), load("console-dashboard.json"))
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.Body, "Fixture app") || res.Headers["X-Frame-Options"] != "DENY" {
		t.Fatalf("dashboard: %v %d %v %s", err, res.StatusCode, res.Headers, res.Body)
	}
	ev := load("console-static.json")
	ev.RawPath = "/prod" + console.AssetURL("console.css") // the fixture names the file by its plain name
	res, err = handler(context.Background(), ev)
	if err != nil || res.StatusCode != 200 || !strings.Contains(res.Body, ".btn") {
		t.Fatalf("static: %v %d %s", err, res.StatusCode, res.Body)
	}
	plain, _ := handler(context.Background(), load("console-static.json"))
	if plain.StatusCode != 404 {
		t.Errorf("an unhashed asset name: %d", plain.StatusCode)
	}
}
