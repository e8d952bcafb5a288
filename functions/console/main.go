// Command console is the Lambda function behind the Developer Hub console's
// pages (/hub…, /marketplace…, /static/…; console.md): the HTML adapter
// over the same use cases (internal/hub) as the JSON API.
//
// It does not use service.NewServer: the console needs no JSON router, and
// building only what its pages call keeps the binary and its init small.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/notify"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, err := service.ConfigFromEnv()
	logger := service.NewLogger(cfg.LogLevel)
	if err != nil {
		fail(logger, err)
	}
	db, err := dynamo.NewClient(cfg.Endpoint)
	if err != nil {
		fail(logger, err)
	}
	store := dynamo.New(db, cfg.TableName)
	// The session cookie's secret: Secrets Manager, once per container.
	keys, err := cfg.JWTKeys(context.Background(), logger)
	if err != nil {
		fail(logger, err)
	}
	verifier, err := auth.NewVerifier(auth.VerifierOptions{Keys: keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	if err != nil {
		fail(logger, err)
	}
	guarded := probe.New(probe.Options{})
	h := &hub.Hub{Apps: store, Extensions: store, Installations: store, Clients: store, Manifests: store,
		Schemas: jsonschema.New(), // the App manifest tab checks extension documents
		Prober:  guarded, IssuerURL: cfg.IssuerURL, Now: time.Now,
		// the Deliveries tab lists and redelivers through the SSRF-guarded client
		Deliveries: store, Notifier: &notify.Sender{Client: guarded.Client()}}
	c := console.New(console.Options{Hub: h, Verifier: verifier, CSRFKeys: console.CSRFKeysFrom(keys.Current),
		LoginURL: os.Getenv("LOGIN_URL"), Logger: logger, RequestID: httpapi.RequestID})
	lambda.Start(service.LambdaHandler(c.Handler(c.Routes()), cfg.BasePath))
}

func fail(logger *slog.Logger, err error) {
	logger.Error("init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
