package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/service"
	"github.com/devhub-oss/devhub/internal/sweep"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

const (
	installPlaceholderClient = "client00000000000000000000"
	fixtureIssuer            = "https://hub.devhub.test"
)

// devCaller is who the fixtures' token names.
var devCaller = devhub.Identity{UserID: "dev-user", CompanyID: "dev-company", Sandbox: true}

// loadRawEvent reads a fixture of infra/events with placeholders replaced.
func loadRawEvent(t *testing.T, name string, replace ...string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("../../infra/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(strings.NewReplacer(replace...).Replace(string(raw)))
}

// newFunctionServer wires the server as the functions' mains do, from the
// environment, on a table of the test's own; its prober reaches only the
// given loopback servers.
func newFunctionServer(t *testing.T, reach ...*testprobe.Server) (service.Config, *httpapi.Server, *dynamo.Store) {
	t.Helper()
	table := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", table.Table())
	t.Setenv("AUTH_JWT_SECRET", service.DevJWTSecret) // the fixtures carry a dev token
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("ISSUER_URL", fixtureIssuer+"/")
	t.Setenv("PROBE_ALLOWED_HOSTS", "")
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	srv, store, err := service.NewServer(context.Background(), cfg, service.NewLogger(cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	srv.Hub.Prober = testprobe.New(t, reach...)
	return cfg, srv, store
}

func putFixtureApp(t *testing.T, store *dynamo.Store, typ devhub.AppType, st devhub.AppStatus, callback string) *devhub.App {
	t.Helper()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: typ, Name: "Fixture app", CallbackURL: callback}, devCaller, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.Status = st
	if _, err := store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCallbackProbeLambda feeds the callback-probe fixtures through the
// function's handler, built as functions/callback-probe/main.go builds it:
// the HTTP event probes one app, the scheduled event runs the sweep, and
// anything else runs nothing.
func TestCallbackProbeLambda(t *testing.T) {
	ok := testprobe.NewServer(t, http.StatusOK, 0)
	cfg, srv, store := newFunctionServer(t, ok)
	handler := service.CallbackProbeHandler(cfg, srv, store)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "c0ffee00-0000-4000-8000-000000000000"})

	probed := putFixtureApp(t, store, devhub.AppPrivate, devhub.StatusLive, ok.URL+"/cb")
	out, err := handler(ctx, loadRawEvent(t, "callback-probe-run.json", placeholderApp, probed.ID))
	if err != nil {
		t.Fatal(err)
	}
	res, isHTTP := out.(events.APIGatewayV2HTTPResponse)
	if !isHTTP || res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"ok":true`) || !strings.Contains(res.Body, `"status_code":200`) {
		t.Fatalf("HTTP event: got %#v", out)
	}
	if res.Headers["X-Request-Id"] != "JKJaXmPLvHcESHA=" {
		t.Errorf("request id: %q", res.Headers["X-Request-Id"])
	}

	other := putFixtureApp(t, store, devhub.AppPublic, devhub.StatusPublished, ok.URL+"/other")
	putFixtureApp(t, store, devhub.AppPrivate, devhub.StatusDraft, "https://example.test/never")
	t.Run("ScheduledEvent", func(t *testing.T) {
		out, err := handler(ctx, loadRawEvent(t, "callback-probe-sweep.json"))
		st, isStats := out.(sweep.Stats)
		// probed was checked a moment ago (fresh); other is due; the draft is not swept.
		if err != nil || !isStats || st.Probed != 1 || st.Fresh != 1 || st.Stored != 1 {
			t.Fatalf("got %#v, %v", out, err)
		}
		if a, _ := store.GetApp(ctx, other.ID); a.CallbackHealth == nil || !a.CallbackHealth.OK {
			t.Errorf("other: %+v", a.CallbackHealth)
		}
	})
	t.Run("TemplateScheduleInput", func(t *testing.T) {
		// What the deployed schedule sends is a sweep, too.
		input := templateNode(t, "Resources", "CallbackProbeSweepSchedule", "Properties", "Target", "Input").Value
		out, err := handler(ctx, json.RawMessage(input))
		if st, isStats := out.(sweep.Stats); err != nil || !isStats || st.Fresh != 2 {
			t.Errorf("got %#v, %v", out, err)
		}
	})
	t.Run("ErrUnknownEvent", func(t *testing.T) {
		hits := ok.Hits()
		for _, ev := range []string{
			`{}`, `null`, `[]`, `"Scheduled Event"`, `{"detail-type":"Object Created","source":"aws.s3"}`,
			`{"Records":[{"eventSource":"aws:dynamodb"}]}`, `{"requestContext":{"http":null}}`, `{"requestContext":{}}`,
		} {
			if out, err := handler(ctx, json.RawMessage(ev)); !errors.Is(err, service.ErrUnknownEvent) || out != nil {
				t.Errorf("%s: got %#v, %v; want ErrUnknownEvent", ev, out, err)
			}
		}
		if ok.Hits() != hits {
			t.Error("an unknown event probed something")
		}
	})
}

// TestInstallLinksLambda feeds the install-links fixtures through the
// function's handler, wired as functions/install-links/main.go wires it.
func TestInstallLinksLambda(t *testing.T) {
	cfg, srv, store := newFunctionServer(t)
	h := service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["install-links"]), cfg.BasePath)
	invoke := func(raw json.RawMessage) events.APIGatewayV2HTTPResponse {
		t.Helper()
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		res, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	live := putFixtureApp(t, store, devhub.AppPrivate, devhub.StatusLive, "https://app.vendor.test/cb")
	draft := putFixtureApp(t, store, devhub.AppPrivate, devhub.StatusDraft, "https://app.vendor.test/draft-cb")
	authorize := func(a *devhub.App) string {
		return fixtureIssuer + "/oauth/authorize?client_id=" + a.ClientID + "&redirect_uri=" + url.QueryEscape(a.CallbackURL) + "&response_type=code"
	}

	for _, c := range []struct {
		name   string
		raw    json.RawMessage
		status int
		check  func(res events.APIGatewayV2HTTPResponse) bool
	}{
		{"Link", loadRawEvent(t, "install-links-link.json", placeholderApp, live.ID), 200, func(r events.APIGatewayV2HTTPResponse) bool {
			return r.Body == `{"url":"`+fixtureIssuer+`/install/`+live.ClientID+`"}`
		}},
		{"LinkOfDraft", loadRawEvent(t, "install-links-link.json", placeholderApp, draft.ID), 409, func(r events.APIGatewayV2HTTPResponse) bool {
			return strings.Contains(r.Body, "draft")
		}},
		{"Test", loadRawEvent(t, "install-links-test.json", placeholderApp, draft.ID), 200, func(r events.APIGatewayV2HTTPResponse) bool {
			var v struct{ URL string }
			return json.Unmarshal([]byte(r.Body), &v) == nil && v.URL == authorize(draft)
		}},
		{"TestOfLive", loadRawEvent(t, "install-links-test.json", placeholderApp, live.ID), 409, func(events.APIGatewayV2HTTPResponse) bool { return true }},
		{"Install", loadRawEvent(t, "install-links-install.json", installPlaceholderClient, live.ClientID), 302, func(r events.APIGatewayV2HTTPResponse) bool {
			return r.Headers["Location"] == authorize(live) && r.Headers["Cache-Control"] == "no-store"
		}},
		{"InstallDraft", loadRawEvent(t, "install-links-install.json", installPlaceholderClient, draft.ClientID), 404, func(r events.APIGatewayV2HTTPResponse) bool {
			return strings.HasPrefix(r.Headers["Content-Type"], "text/html") && strings.Contains(r.Body, "App not found")
		}},
		{"InstallUnknown", loadRawEvent(t, "install-links-install.json"), 404, func(r events.APIGatewayV2HTTPResponse) bool {
			return strings.HasPrefix(r.Headers["Content-Type"], "text/html")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := invoke(c.raw)
			if res.StatusCode != c.status || !c.check(res) {
				t.Errorf("got %d %v %s, want %d", res.StatusCode, res.Headers, res.Body, c.status)
			}
		})
	}
}
