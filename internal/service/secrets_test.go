package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/mototest"
	"github.com/devhub-oss/devhub/internal/service"
)

// motoFetch is devhub's own GetSecretValue on moto_server.
func motoFetch(t *testing.T) service.GetSecretValueFunc {
	t.Helper()
	c := &service.SecretsClient{Endpoint: mototest.Endpoint(t), Region: mototest.Region,
		Credentials: credentials.NewStaticCredentialsProvider(mototest.AccessKey, mototest.SecretKey, "")}
	return c.GetSecretValue
}

// motoSecrets is the SDK's Secrets Manager client on moto_server, for the
// tests' own writes.
func motoSecrets(t *testing.T) *secretsmanager.Client {
	t.Helper()
	ep := mototest.Endpoint(t)
	return secretsmanager.New(secretsmanager.Options{Region: mototest.Region, BaseEndpoint: aws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(mototest.AccessKey, mototest.SecretKey, "")})
}

const (
	secretV1 = "first-secret-of-the-identity-service-0123456789"
	secretV2 = "second-secret-of-the-identity-service-987654321"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func devToken(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	tok, err := auth.IssueToken([]byte(secret), devhub.Identity{UserID: "u1", CompanyID: "c1"}, "", "", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestJWTSecretsRotation walks a rotation against moto_server's Secrets
// Manager: one read per container, the new secret picked up without a
// redeploy (at the first token signed with it), both versions accepted
// during the grace period, only the new one after it, and a failed read
// keeps the secret held.
func TestJWTSecretsRotation(t *testing.T) {
	sm := motoSecrets(t)
	ctx := context.Background()
	name := mototest.Name(t, "devhub-jwt")
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(secretV1)}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	newSecrets := func() *service.JWTSecrets {
		s := service.NewJWTSecrets(motoFetch(t), name, nil)
		s.Now = clk.Now
		return s
	}
	keys := newSecrets()
	if err := keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// The secret was created a moment ago, so AWSPREVIOUS was asked for
	// too (there is none yet).
	if n := keys.Fetches.Load(); n != 2 {
		t.Errorf("init read the secret %d times, want 2 (current, and previous within the grace period)", n)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Keys: keys, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok1 := devToken(t, secretV1, clk.Now())
	for range 20 {
		if _, err := v.Verify(tok1); err != nil {
			t.Fatal(err)
		}
	}
	if n := keys.Fetches.Load(); n != 2 {
		t.Errorf("verifying read the secret: %d reads", n)
	}

	// Rotation: AWSCURRENT is v2, AWSPREVIOUS v1.
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(secretV2)}); err != nil {
		t.Fatal(err)
	}
	tok2 := devToken(t, secretV2, clk.Now())
	if _, err := v.Verify(tok2); err == nil {
		t.Fatal("a token of the new secret verified within the renew gap, before any read")
	}
	clk.Add(service.DefaultSecretRenewGap)
	if _, err := v.Verify(tok2); err != nil {
		t.Fatalf("new secret not picked up: %v", err)
	}
	fresh := devToken(t, secretV1, clk.Now()) // the cache must not decide
	if _, err := v.Verify(fresh); err != nil {
		t.Fatalf("previous secret refused during the grace period: %v", err)
	}
	// A new container during the grace period reads both versions.
	cold := newSecrets()
	if err := cold.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cold.Current(); len(got) != 2 || string(got[0]) != secretV2 || string(got[1]) != secretV1 {
		t.Errorf("new container holds %q, want [v2 v1]", got)
	}

	// Bad tokens do not drive reads: at most one per renew gap.
	before := keys.Fetches.Load()
	bad := devToken(t, "an-attackers-secret-of-sufficient-length-000", clk.Now())
	for range 50 {
		if _, err := v.Verify(bad); err == nil {
			t.Fatal("a token of an unknown secret verified")
		}
	}
	if n := keys.Fetches.Load() - before; n > 1 {
		t.Errorf("50 bad tokens caused %d reads, want at most 1", n)
	}

	// After the grace period only v2 verifies.
	clk.Add(service.DefaultSecretGrace)
	if _, err := v.Verify(devToken(t, secretV1, clk.Now())); err == nil {
		t.Error("previous secret still accepted after the grace period")
	}
	if _, err := v.Verify(devToken(t, secretV2, clk.Now())); err != nil {
		t.Errorf("current secret refused: %v", err)
	}

	// Refresh: after DefaultSecretRefresh one request reads again; if the
	// read fails, the secret held still verifies.
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Add(service.DefaultSecretRefresh)
	before = keys.Fetches.Load()
	if _, err := v.Verify(devToken(t, secretV2, clk.Now())); err != nil {
		t.Errorf("a failed refresh lost the secret: %v", err)
	}
	if n := keys.Fetches.Load() - before; n != 1 {
		t.Errorf("stale secrets: %d reads, want 1", n)
	}
	if err := newSecrets().Load(ctx); err == nil {
		t.Error("Load of a deleted secret succeeded")
	}
}

// TestJWTSecretsConcurrent: requests racing on stale secrets read them
// once, and all verify.
func TestJWTSecretsConcurrent(t *testing.T) {
	sm := motoSecrets(t)
	ctx := context.Background()
	name := mototest.Name(t, "devhub-jwt")
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(secretV1)}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().Add(2 * service.DefaultSecretGrace)} // long after creation
	keys := service.NewJWTSecrets(motoFetch(t), name, nil)
	keys.Now = clk.Now
	if err := keys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if n := keys.Fetches.Load(); n != 1 {
		t.Errorf("init of an old secret: %d reads, want 1", n)
	}
	v, _ := auth.NewVerifier(auth.VerifierOptions{Keys: keys, Now: clk.Now})
	clk.Add(service.DefaultSecretRefresh)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _ := auth.IssueToken([]byte(secretV1), devhub.Identity{UserID: "u" + string(rune('a'+i)), CompanyID: "c"}, "", "", clk.Now(), time.Hour)
			if _, err := v.Verify(tok); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of 32 racing requests failed", failed.Load())
	}
	if n := keys.Fetches.Load(); n != 2 {
		t.Errorf("32 racing requests on stale secrets: %d reads in all, want 2 (init and one refresh)", n)
	}
}

// TestLambdaSecretFromSecretsManager: a function configured as on AWS
// (AUTH_JWT_SECRET_ID, no AUTH_JWT_SECRET) reads the secret at init and
// serves a request signed with it, through the real handler.
func TestLambdaSecretFromSecretsManager(t *testing.T) {
	sm := motoSecrets(t)
	mototest.Env(t, "SECRETS_MANAGER")
	ctx := context.Background()
	name := mototest.Name(t, "devhub-jwt")
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(service.DevJWTSecret)}); err != nil {
		t.Fatal(err)
	}
	store := dynamotest.MustOpenStore(t)
	t.Setenv("TABLE_NAME", store.Table())
	t.Setenv("DYNAMODB_ENDPOINT", dynamotest.Endpoint(t))
	t.Setenv("AUTH_JWT_SECRET", "")
	t.Setenv("AUTH_JWT_SECRET_ID", name)
	cfg, err := service.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JWTKeySource, err = cfg.JWTKeys(ctx, nil); err != nil {
		t.Fatal(err)
	}
	srv, _, err := service.NewServer(ctx, cfg, service.NewLogger(cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	h := service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["apps"]), "")
	res, err := h(ctx, loadEvent(t, "apps-list.json", placeholderApp))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("got %d %s, %v", res.StatusCode, res.Body, err)
	}
	var page struct{ Data []json.RawMessage }
	if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
		t.Fatal(err)
	}

	if n := cfg.JWTKeySource.(*service.JWTSecrets).Fetches.Load(); n != 2 {
		// current, and previous (none) as the secret is new: at init only
		t.Errorf("%d reads of the secret for init and one request, want 2", n)
	}

	// A secret that cannot be read: init does not wait for it (nor fail),
	// requests answer 503 (not 401: the caller is not at fault), and each
	// tries again.
	t.Setenv("AUTH_JWT_SECRET_ID", name+"-missing")
	cfg, _ = service.ConfigFromEnv()
	if cfg.JWTKeySource, err = cfg.JWTKeys(ctx, nil); err != nil {
		t.Fatal(err)
	}
	srv, _, err = service.NewServer(ctx, cfg, service.NewLogger(cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	h = service.LambdaHandler(srv.Handler(srv.FunctionRoutes()["apps"]), "")
	res, err = h(ctx, loadEvent(t, "apps-list.json", placeholderApp))
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("missing secret: got %d %s, %v; want 503", res.StatusCode, res.Body, err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name + "-missing"), SecretString: aws.String(service.DevJWTSecret)}); err != nil {
		t.Fatal(err)
	}
	res, err = h(ctx, loadEvent(t, "apps-list.json", placeholderApp))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("once the secret exists: got %d %s, %v; want 200", res.StatusCode, res.Body, err)
	}
	t.Setenv("AUTH_JWT_SECRET_ID", "")
	cfg, _ = service.ConfigFromEnv()
	if _, err := cfg.JWTKeys(ctx, nil); err == nil {
		t.Error("init without any JWT secret succeeded")
	}
}
