package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/devhub-oss/devhub/internal/service"
)

// TestSecretsClient: the request is the service's JSON protocol, signed for
// secretsmanager in the client's region over exactly what arrives; answers
// and errors are read as the SDK reads them; throttling and 5xx are retried,
// other errors are not.
func TestSecretsClient(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
	var calls atomic.Int64
	answers := map[string]func(w http.ResponseWriter){
		"ok": func(w http.ResponseWriter) {
			io.WriteString(w, `{"ARN":"arn","Name":"n","VersionId":"v-2","SecretString":"s3cr3t","VersionStages":["AWSCURRENT"],"CreatedDate":1.7648e9}`)
		},
		"binary": func(w http.ResponseWriter) { io.WriteString(w, `{"VersionId":"v-1","SecretBinary":"AAAA"}`) },
		"missing": func(w http.ResponseWriter) {
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}`)
		},
		"denied": func(w http.ResponseWriter) {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException:http://internal")
			w.WriteHeader(400)
			io.WriteString(w, `{"Message":"not allowed"}`)
		},
		"flaky": func(w http.ResponseWriter) {
			if calls.Load()%3 != 0 {
				w.WriteHeader(503)
				return
			}
			io.WriteString(w, `{"VersionId":"v-3","SecretString":"late"}`)
		},
		"throttled": func(w http.ResponseWriter) {
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
			r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("X-Amz-Security-Token") != "session-token" {
			t.Errorf("request %s %s %v", r.Method, r.URL, r.Header)
		}
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, "/eu-west-1/secretsmanager/aws4_request") || !strings.Contains(auth, "x-amz-target") {
			t.Errorf("Authorization %q", auth)
		}
		// Sign what arrived again, at the time it carries: same signature.
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Fatal(err)
		}
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.Path, strings.NewReader(string(body)))
		for _, h := range []string{"Content-Type", "X-Amz-Target"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		c, _ := creds.Retrieve(context.Background())
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), c, again, hex.EncodeToString(sum[:]), "secretsmanager", "eu-west-1", at); err != nil {
			t.Fatal(err)
		}
		if got := again.Header.Get("Authorization"); got != auth {
			t.Errorf("signature does not cover the request as it arrived:\n got %s\nwant %s", auth, got)
		}
		var id string
		for k := range answers {
			if strings.Contains(string(body), `"SecretId":"`+k+`"`) {
				id = k
			}
		}
		if id == "ok" && !strings.Contains(string(body), `"VersionStage":"AWSPREVIOUS"`) {
			t.Errorf("body %s", body)
		}
		answers[id](w)
	}))
	defer srv.Close()
	c := &service.SecretsClient{Endpoint: srv.URL + "/", Region: "eu-west-1", Credentials: creds}
	ctx := context.Background()

	out, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "ok", VersionStage: "AWSPREVIOUS"})
	if err != nil || out.SecretString == nil || *out.SecretString != "s3cr3t" || out.VersionID != "v-2" || !out.CreatedDate.Equal(time.Unix(1764800000, 0)) {
		t.Errorf("ok: %+v, %v", out, err)
	}
	if out, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "binary"}); err != nil || out.SecretString != nil {
		t.Errorf("binary: %+v, %v", out, err)
	}
	calls.Store(0)
	if _, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "missing"}); !service.IsSecretNotFound(err) || calls.Load() != 1 {
		t.Errorf("missing: %v after %d calls; want ResourceNotFoundException, not retried", err, calls.Load())
	}
	calls.Store(0)
	var se *service.SecretsError
	if _, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "denied"}); !errors.As(err, &se) || se.Code != "AccessDeniedException" ||
		se.Message != "not allowed" || service.IsSecretNotFound(err) || calls.Load() != 1 {
		t.Errorf("denied: %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	if out, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "flaky"}); err != nil || *out.SecretString != "late" || calls.Load() != 3 {
		t.Errorf("flaky: %+v, %v after %d calls; want the third to answer", out, err, calls.Load())
	}
	calls.Store(0)
	if _, err := c.GetSecretValue(ctx, &service.GetSecretValueInput{SecretID: "throttled"}); !errors.As(err, &se) || se.Code != "ThrottlingException" || calls.Load() != 3 {
		t.Errorf("throttled: %v after %d calls; want 3 tries", err, calls.Load())
	}
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	time.Sleep(2 * time.Millisecond)
	if _, err := c.GetSecretValue(short, &service.GetSecretValueInput{SecretID: "ok"}); err == nil {
		t.Error("a call past its deadline succeeded")
	}
	if got := service.SecretsEndpoint("cn-north-1"); got != "https://secretsmanager.cn-north-1.amazonaws.com.cn" {
		t.Errorf("China: %s", got)
	}
	if got := service.SecretsEndpoint("eu-west-1"); got != "https://secretsmanager.eu-west-1.amazonaws.com" {
		t.Errorf("eu-west-1: %s", got)
	}
}
