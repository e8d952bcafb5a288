// Command oauth-token is the Lambda function behind POST /oauth/token, /oauth/revoke, /oauth/introspect and GET
// /.well-known/oauth-authorization-server.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, err := service.ConfigFromEnv()
	logger := service.NewLogger(cfg.LogLevel)
	if err == nil {
		// No JWT secret (no JWTKeys): the token endpoints authenticate
		// clients, not developers, and the consent page's CSRF key is not
		// needed here.
		cfg.JWTSecret = nil
		srv, store, err := service.NewServer(context.Background(), cfg, logger)
		if err == nil {
			srv.OAuth = oauth.New(oauth.Options{Store: store, Verifier: srv.Verifier, Issuer: cfg.IssuerURL,
				APIDomain: cfg.APIDomain, Logger: logger, RequestID: httpapi.RequestID})
			lambda.Start(service.LambdaHandler(srv.Handler(srv.OAuthTokenRoutes()), cfg.BasePath))
			return
		}
		logger.Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	logger.Error("init failed", slog.String("error", err.Error()))
	os.Exit(1)
}
