// Package service builds what every function and the local runner share from
// the environment: configuration, the store, the token verifier, the HTTP
// server, and the adapter from API Gateway HTTP API events (payload 2.0) to
// net/http. It only wires; it holds no business logic, and it does no I/O at
// build time beyond reading the environment, so cold starts stay short.
package service

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/lambdalog"
	"github.com/devhub-oss/devhub/internal/metrics"
	"github.com/devhub-oss/devhub/internal/notify"
	"github.com/devhub-oss/devhub/internal/probe"
)

// Config is the environment every function reads. README.md documents each
// variable.
type Config struct {
	TableName string // TABLE_NAME
	Endpoint  string // DYNAMODB_ENDPOINT: DynamoDB Local; empty on AWS
	JWTSecret []byte // AUTH_JWT_SECRET: local runner, sam local, tests
	// JWTSecretID (AUTH_JWT_SECRET_ID) names the Secrets Manager secret
	// read at runtime on AWS (see JWTSecrets); AUTH_JWT_SECRET wins when set.
	JWTSecretID string
	// JWTSecretGrace (AUTH_JWT_SECRET_GRACE): how long the previous secret
	// verifies after a rotation.
	JWTSecretGrace time.Duration
	// JWTKeySource, when set (by MustInit: c.JWTKeys), supplies the secrets
	// instead of JWTSecret. Not from the environment.
	JWTKeySource auth.KeySource
	JWTIssuer    string // AUTH_JWT_ISSUER: checked when set
	JWTAudience  string // AUTH_JWT_AUDIENCE: checked when set
	IssuerURL    string // ISSUER_URL: public base URL of the API
	BasePath     string // BASE_PATH: prefix a custom domain mapping adds
	APIDomain    string // API_DOMAIN: api_domain of OAuth token responses (default: ISSUER_URL)
	// ProbeAllowedHosts (PROBE_ALLOWED_HOSTS, host:port list) may be probed
	// although private or loopback: local runs and tests only.
	ProbeAllowedHosts []string
	// ProbeRootCAs, when set, are the roots the guarded client (callback
	// probe, redeliveries) trusts instead of the system's (the local runner
	// adds its sample app's CA). Not from the environment.
	ProbeRootCAs *x509.CertPool
	LogLevel     slog.Level
}

// ConfigFromEnv reads Config; it fails when a required variable is missing.
func ConfigFromEnv() (Config, error) {
	c := Config{
		TableName:   os.Getenv("TABLE_NAME"),
		Endpoint:    os.Getenv("DYNAMODB_ENDPOINT"),
		JWTSecret:   []byte(os.Getenv("AUTH_JWT_SECRET")),
		JWTSecretID: os.Getenv("AUTH_JWT_SECRET_ID"),
		JWTIssuer:   os.Getenv("AUTH_JWT_ISSUER"),
		JWTAudience: os.Getenv("AUTH_JWT_AUDIENCE"),
		IssuerURL:   strings.TrimRight(os.Getenv("ISSUER_URL"), "/"),
		BasePath:    os.Getenv("BASE_PATH"),
		APIDomain:   strings.TrimRight(os.Getenv("API_DOMAIN"), "/"),
	}
	for _, h := range strings.Split(os.Getenv("PROBE_ALLOWED_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.ProbeAllowedHosts = append(c.ProbeAllowedHosts, h)
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(envOr("LOG_LEVEL", "INFO"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	c.JWTSecretGrace = DefaultSecretGrace
	if v := os.Getenv("AUTH_JWT_SECRET_GRACE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("AUTH_JWT_SECRET_GRACE: want a Go duration such as 1h, got %q", v)
		}
		c.JWTSecretGrace = d
	}
	if c.TableName == "" {
		return c, errors.New("missing environment: TABLE_NAME")
	}
	return c, nil
}

// JWTKeys returns the developer-token secrets: AUTH_JWT_SECRET when set,
// else the Secrets Manager secret AUTH_JWT_SECRET_ID, whose first read it
// starts (once per container: call it at init; see JWTSecrets.Prefetch).
func (c Config) JWTKeys(ctx context.Context, logger *slog.Logger) (auth.KeySource, error) {
	switch {
	case len(c.JWTSecret) > 0:
		return auth.StaticKeys(c.JWTSecret), nil
	case c.JWTSecretID == "":
		return nil, errors.New("missing environment: AUTH_JWT_SECRET_ID (or AUTH_JWT_SECRET)")
	}
	client, err := NewSecretsClient()
	if err != nil {
		return nil, err
	}
	s := NewJWTSecrets(client.GetSecretValue, c.JWTSecretID, logger)
	s.Grace = c.JWTSecretGrace
	s.Prefetch()
	return s, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// NewLogger returns the JSON logger every function uses: stdout, each line
// tagged with the Lambda request id (internal/lambdalog).
func NewLogger(level slog.Level) *slog.Logger {
	return lambdalog.New(os.Stdout, level)
}

// NewServer builds the DynamoDB client, the store, the verifier and the HTTP
// server from c. It does not touch the network: the verifier uses
// c.JWTKeySource (read beforehand, see MustInit) or c.JWTSecret; without
// either the server has no Verifier (oauth-token: its routes are all
// public, and its binary does not link the Secrets Manager client).
func NewServer(ctx context.Context, c Config, logger *slog.Logger, dbOpts ...func(*dynamodb.Options)) (*httpapi.Server, *dynamo.Store, error) {
	db, err := dynamo.NewClient(c.Endpoint, dbOpts...)
	if err != nil {
		return nil, nil, err
	}
	keys := c.JWTKeySource
	if keys == nil && len(c.JWTSecret) > 0 {
		keys = auth.StaticKeys(c.JWTSecret)
	}
	var verifier *auth.Verifier
	if keys != nil {
		verifier, err = auth.NewVerifier(auth.VerifierOptions{Keys: keys, Issuer: c.JWTIssuer, Audience: c.JWTAudience})
		if err != nil {
			return nil, nil, err
		}
	}
	store := dynamo.New(db, c.TableName)
	// Schemas is left to the functions that check extension documents, so
	// that the others do not link the JSON Schema compiler.
	guarded := probe.New(probe.Options{AllowedHosts: c.ProbeAllowedHosts, RootCAs: c.ProbeRootCAs})
	prober := countingProber{prober: guarded, metrics: metrics.FromEnv()}
	h := &hub.Hub{Apps: store, Extensions: store, Installations: store, Clients: store, Manifests: store, Prober: prober,
		Deliveries: store, Notifier: &notify.Sender{Client: guarded.Client()}, IssuerURL: c.IssuerURL, Now: time.Now}
	srv := &httpapi.Server{Hub: h, Logger: logger}
	if verifier != nil {
		srv.Verifier = verifier
	}
	return srv, store, nil
}

// The store and the prober are what the use cases consume.
var (
	_ hub.AppStore          = (*dynamo.Store)(nil)
	_ hub.ExtensionStore    = (*dynamo.Store)(nil)
	_ hub.InstallationStore = (*dynamo.Store)(nil)
	_ hub.ClientStore       = (*dynamo.Store)(nil)
	_ hub.ManifestStore     = (*dynamo.Store)(nil)
	_ hub.DeliveryStore     = (*dynamo.Store)(nil)
	_ hub.DeliverySender    = (*notify.Sender)(nil)
	_ hub.Prober            = (*probe.Prober)(nil)
)

// MustInit builds the server for a Lambda function, or exits: a function
// that cannot be configured must fail its init, loudly, not serve errors.
func MustInit() (Config, *httpapi.Server) {
	c, err := ConfigFromEnv()
	logger := NewLogger(c.LogLevel)
	if err == nil {
		c.JWTKeySource, err = c.JWTKeys(context.Background(), logger)
	}
	if err == nil {
		var srv *httpapi.Server
		if srv, _, err = NewServer(context.Background(), c, logger); err == nil {
			return c, srv
		}
	}
	logger.Error("init failed", slog.String("error", err.Error()))
	os.Exit(1)
	return c, nil
}

// LambdaHandler adapts h to API Gateway HTTP API events, so that routes
// match the same paths as locally. It strips the prefix the client's URL
// had in front of them, and only that one:
//   - through the stage's own path (the execute-api domain of this API), the
//     stage ("/prod"), unless it is $default;
//   - through any other domain (a custom domain's API mapping), basePath
//     (BASE_PATH) when the path starts with it, and never the stage: a
//     custom domain in front of a stage named "v1" keeps its "/v1".
//
// The prefix it stripped is the request's httpapi.BasePath, and every
// Location header naming one of the API's paths gets it back (so it is the
// path the client used, not one the API does not route). It also hands API
// Gateway's request id to the logs.
func LambdaHandler(h http.Handler, basePath string) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(prefixLocation(h))
	basePath = basepath.Clean(basePath)
	return lambdalog.Wrap(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if ev.RawPath == "" {
			ev.RawPath = ev.RequestContext.HTTP.Path
		}
		prefix := basePath
		if viaStagePath(ev.RequestContext) {
			prefix = ""
			if st := ev.RequestContext.Stage; st != "" && st != "$default" {
				prefix = "/" + st
			}
		}
		if rest, ok := basepath.Cut(ev.RawPath, prefix); ok {
			ev.RawPath = rest
		} else {
			prefix = ""
		}
		ctx = httpapi.WithRequestID(ctx, ev.RequestContext.RequestID)
		ctx = httpapi.WithBasePath(ctx, prefix)
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			// The event could not become a request (e.g. bad base64 body):
			// the client sent it, so it gets a 400, not a gateway error.
			var empty events.APIGatewayV2HTTPResponse
			if errors.Is(err, context.Canceled) {
				return empty, err
			}
			return events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusBadRequest,
				Headers:    map[string]string{"Content-Type": "application/problem+json"},
				Body:       `{"type":"/problems/malformed","title":"Malformed request","status":400,"detail":"The request could not be read."}`,
			}, nil
		}
		return resp, nil
	})
}

// viaStagePath: the request came to this API's own execute-api domain
// (https://<api id>.execute-api.<region>.amazonaws.com/<stage>/…), whose
// paths start with the stage. An event without a domain (sam local, old
// fixtures) counts as one.
func viaStagePath(rc events.APIGatewayV2HTTPRequestContext) bool {
	d := rc.DomainName
	return d == "" || rc.APIID != "" && strings.HasPrefix(d, rc.APIID+".execute-api.")
}

// ServeUnder serves h under prefix as LambdaHandler does behind a stage
// or custom domain: the request's path loses prefix (a path not under it
// is 404, as API Gateway answers), its context carries it
// (httpapi.BasePath), and Location headers naming the API's paths get it
// back. The local runner uses it for RUNNER_BASE_PATH; "" is h itself.
func ServeUnder(prefix string, h http.Handler) http.Handler {
	prefix = basepath.Clean(prefix)
	if prefix == "" {
		return h
	}
	h = prefixLocation(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := basepath.Cut(r.URL.Path, prefix)
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Not Found"}`)
			return
		}
		r2 := r.Clone(httpapi.WithBasePath(r.Context(), prefix))
		r2.URL.Path, r2.URL.RawPath = rest, ""
		if raw, ok := basepath.Cut(r.URL.RawPath, prefix); ok {
			r2.URL.RawPath = raw
		}
		h.ServeHTTP(w, r2)
	})
}

// prefixLocation puts the request's httpapi.BasePath in front of a
// Location header that names a path of the API ("/v1/apps/…"); absolute
// URLs (install links, redirects to an app) are left alone. Handlers set
// Location as locally; this is the one place that knows the front door.
func prefixLocation(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := httpapi.BasePath(r.Context()); p != "" {
			w = &locationWriter{ResponseWriter: w, prefix: p}
		}
		h.ServeHTTP(w, r)
	})
}

type locationWriter struct {
	http.ResponseWriter
	prefix string
	done   bool
}

func (w *locationWriter) fix() {
	if w.done {
		return
	}
	w.done = true
	if loc := w.Header().Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
		w.Header().Set("Location", w.prefix+loc)
	}
}

func (w *locationWriter) WriteHeader(code int) { w.fix(); w.ResponseWriter.WriteHeader(code) }

func (w *locationWriter) Write(b []byte) (int, error) { w.fix(); return w.ResponseWriter.Write(b) }

func (w *locationWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// DevJWTSecret signs developer tokens in local runs when AUTH_JWT_SECRET is
// not set. It is public: never use it on AWS (the SAM template has no default).
const DevJWTSecret = "devhub-local-dev-secret-not-for-production-use"
