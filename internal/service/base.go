package service

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// Base is what the functions that wire their own handlers (console,
// oauth-authorize) build first: configuration, logger, store, and the
// developer-token verifier over the JWT secret's keys. They skip NewServer
// to keep their binaries small.
type Base struct {
	Config   Config
	Logger   *slog.Logger
	Store    *dynamo.Store
	Keys     auth.KeySource // the JWT secret: Secrets Manager, once per container
	Verifier *auth.Verifier
}

// MustBase builds a Base, or logs why it cannot and ends the process (a
// Lambda init error).
func MustBase() Base {
	cfg, err := ConfigFromEnv()
	b := Base{Config: cfg, Logger: NewLogger(cfg.LogLevel)}
	var db *dynamodb.Client
	if err == nil {
		db, err = dynamo.NewClient(cfg.Endpoint)
	}
	if err == nil {
		b.Store = dynamo.New(db, cfg.TableName)
		b.Keys, err = cfg.JWTKeys(context.Background(), b.Logger)
	}
	if err == nil {
		b.Verifier, err = auth.NewVerifier(auth.VerifierOptions{Keys: b.Keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
	}
	if err != nil {
		b.Logger.Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	return b
}
