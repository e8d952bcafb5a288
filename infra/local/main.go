// Command local runs every devhub function in one process on 127.0.0.1, the
// way they run on AWS: the same handlers, a real DynamoDB (DynamoDB Local,
// started here unless DYNAMODB_ENDPOINT is set), the table created from the
// same definition as template.yaml. `make run` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/devhub-oss/devhub/infra/devlogin"
	"github.com/devhub-oss/devhub/infra/sampleapp"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/basepath"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/ddblocal"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devhub:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	port := envOr("PORT", "3000")
	// RUNNER_BASE_PATH=/prod serves everything under /prod, as the
	// execute-api URL of the default stage does (service.ServeUnder).
	prefix := basepath.Clean(os.Getenv("RUNNER_BASE_PATH"))
	setDefault("TABLE_NAME", "devhub")
	setDefault("ISSUER_URL", "http://127.0.0.1:"+port+prefix)
	devSecret := setDefault("AUTH_JWT_SECRET", service.DevJWTSecret)
	// Pages without a session send the browser to the runner's own login.
	setDefault("LOGIN_URL", devlogin.Path)

	dir := mkdir(envOr("LOCAL_DATA_DIR", ".local"))
	if os.Getenv("DYNAMODB_ENDPOINT") == "" {
		logFile, err := os.OpenFile(filepath.Join(mkdir(dir), "dynamodb-local.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer logFile.Close()
		ddb, err := ddblocal.Start(ctx, ddblocal.Options{DBPath: filepath.Join(dir, "dynamodb"), Log: logFile})
		if err != nil {
			return err
		}
		defer ddb.Stop()
		os.Setenv("DYNAMODB_ENDPOINT", ddb.Endpoint)
		fmt.Fprintf(out, "DynamoDB Local at %s (data in %s)\n", ddb.Endpoint, filepath.Join(dir, "dynamodb"))
	}
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		return err
	}
	logger := service.NewLogger(cfg.LogLevel)
	sample, err := startSampleApp(dir, cfg.IssuerURL, logger)
	if err != nil {
		return err
	}
	defer sample.stop(context.Background())
	// The prober may reach the sample app (its CA, its host:port), here only.
	po := sample.proberOptions(cfg.ProbeAllowedHosts)
	cfg.ProbeAllowedHosts, cfg.ProbeRootCAs = po.AllowedHosts, po.RootCAs
	srv, store, err := service.NewServer(ctx, cfg, logger)
	if err != nil {
		return err
	}
	srv.Hub.Schemas = jsonschema.New()
	srv.OAuth = oauth.New(oauth.Options{Store: store, Verifier: srv.Verifier, Issuer: cfg.IssuerURL,
		APIDomain: cfg.APIDomain, Secret: cfg.JWTSecret, LoginURL: os.Getenv("LOGIN_URL"), Logger: logger, RequestID: httpapi.RequestID})
	if err := store.EnsureTable(ctx); err != nil {
		return err
	}
	hint := ""
	if sample != nil {
		hint = sample.base + sampleapp.PathOtherCallback
	}
	srv.Hub.Prober = &hintingProber{next: srv.Hub.Prober, logger: logger, sample: hint}
	groups := [][]httpapi.Route{httpapi.HealthRoutes()}
	for _, g := range srv.FunctionRoutes() {
		groups = append(groups, g)
	}
	mux := http.NewServeMux()
	mux.Handle(devlogin.Path, devlogin.Handler(devlogin.Options{Secret: cfg.JWTSecret, Issuer: cfg.JWTIssuer,
		Audience: cfg.JWTAudience, Logger: logger}))
	mux.Handle("/", srv.Handler(groups...))
	mountConsole(mux, console.New(console.Options{Hub: srv.Hub, Verifier: srv.Verifier,
		CSRFKeys: console.CSRFKeysFrom(auth.StaticKeys(cfg.JWTSecret).Current), LoginURL: os.Getenv("LOGIN_URL"), Logger: logger}))
	handler := service.ServeUnder(prefix, mux)
	sweepCtx, stopSweeps := context.WithCancel(ctx)
	sweeps, err := startSweeps(sweepCtx, store, srv.Hub.Prober, logger)
	if err != nil {
		stopSweeps()
		return err
	}
	defer func() { stopSweeps(); <-sweeps }()
	streamCtx, stopStream := context.WithCancel(ctx)
	stream, err := startStream(streamCtx, store, filepath.Join(dir, "stream-"+store.Table()+".json"), sample, logger)
	if err != nil {
		stopStream()
		return err
	}
	defer func() { stopStream(); <-stream }()

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	base := "http://127.0.0.1:" + port + prefix
	tok := devToken(cfg)
	if sample != nil {
		regCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		start := time.Now()
		err := sample.register(regCtx, &api{base: base, token: tok, client: &http.Client{Timeout: 20 * time.Second}})
		cancel()
		if err != nil {
			logger.Error("sample app not registered", slog.String("error", err.Error()))
		} else {
			logger.Info("sample app registered", slog.String("app_id", sample.appID),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
		}
	}
	printWelcome(out, cfg, base, tok, devSecret, sample)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// devToken is the dev user's bearer token (sandbox company dev-company).
func devToken(cfg service.Config) string {
	tok, err := auth.IssueToken(cfg.JWTSecret, devhub.Identity{UserID: "dev-user", CompanyID: "dev-company", Sandbox: true},
		cfg.JWTIssuer, cfg.JWTAudience, time.Now(), 12*time.Hour)
	if err != nil {
		return "(could not sign: " + err.Error() + ")"
	}
	return tok
}

func printWelcome(out io.Writer, cfg service.Config, base, tok string, devSecret bool, sample *sampleApp) {
	fmt.Fprintf(out, "devhub is serving on %s (table %q)\n", base, cfg.TableName)
	if devSecret {
		fmt.Fprintf(out, "AUTH_JWT_SECRET is the public dev secret %q\n", service.DevJWTSecret)
	}
	fmt.Fprintf(out, "Dev token (user dev-user, sandbox company dev-company, 12 h; more with `make token`):\n\n  export TOKEN=%s\n\n", tok)
	fmt.Fprintf(out, "Console:     %s/hub\nLog in:      %s%s (sets the session cookie for any user and company)\n", base, base, devlogin.Path)
	if sample != nil {
		fmt.Fprintf(out, "Sample app:  %s (CA: %s)\n", sample.base, sample.caPath)
		if sample.install != "" {
			fmt.Fprintf(out, "  install link of %q (%s): %s\n", SampleAppName, sample.appID, sample.install)
		}
		fmt.Fprintf(out, "  callback URL any draft may use: %s%s\n", sample.base, sampleapp.PathOtherCallback)
	}
	fmt.Fprintln(out)
	callback := "https://example.com/callback"
	if sample != nil {
		callback = sample.base + sampleapp.PathOtherCallback // works for live and review, too
	}
	fmt.Fprintf(out, "Try (README.md, \"Try it locally\", walks both stories):\n\n  curl -s -X POST %s/v1/apps -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{\"type\":\"private\",\"name\":\"My first app\",\"callback_url\":\"%s\"}'\n\n", base, callback)
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
}

// mountConsole serves the console function's paths (/hub, /marketplace,
// /static) with its handler, as API Gateway routes them to it.
func mountConsole(mux *http.ServeMux, c *console.Console) {
	pages := c.Handler(c.Routes())
	for _, p := range console.Prefixes {
		mux.Handle(p, pages)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// setDefault sets name to def when it is unset, and reports whether it did.
func setDefault(name, def string) bool {
	if os.Getenv(name) != "" {
		return false
	}
	os.Setenv(name, def)
	return true
}

func mkdir(dir string) string {
	_ = os.MkdirAll(dir, 0o755)
	return dir
}
