// Command oauth-authorize is the Lambda function behind GET/POST
// /oauth/authorize: the consent page and its decision.
//
// Unlike the other functions it does not use service.NewServer: that hands
// the *dynamo.Store to the server's interfaces, and html/template's
// reflection would then keep every DynamoDB client operation in the binary
// (12 MB instead of under 10; see oauth.ConsentStore).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/oauth"
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
	// The developer-token secret: Secrets Manager, once per container.
	keys, err := cfg.JWTKeys(context.Background(), logger)
	if err != nil {
		fail(logger, err)
	}
	verifier, err := auth.NewVerifier(auth.VerifierOptions{Keys: keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	if err != nil {
		fail(logger, err)
	}
	srv := &httpapi.Server{Verifier: verifier, Logger: logger}
	srv.OAuth = oauth.New(oauth.Options{Store: oauth.ConsentStore(store.GetAppByClientID, store.Consent),
		Verifier: verifier, Issuer: cfg.IssuerURL, APIDomain: cfg.APIDomain, Secrets: keys,
		Logger: logger, RequestID: httpapi.RequestID})
	lambda.Start(service.LambdaHandler(srv.Handler(srv.OAuthAuthorizeRoutes()), cfg.BasePath))
}

func fail(logger *slog.Logger, err error) {
	logger.Error("init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
