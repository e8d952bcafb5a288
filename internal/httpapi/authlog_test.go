package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/golang-jwt/jwt/v5"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnauthorizedReasonLogged: every refused token gets the same 401 body,
// and the request's access log line says why, with the request id and
// without the token.
func TestUnauthorizedReasonLogged(t *testing.T) {
	var logs syncBuffer
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := &httpapi.Server{Verifier: v, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	ts := httptest.NewServer(srv.Handler(srv.FunctionRoutes()["apps"]))
	defer ts.Close()

	now := time.Now()
	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(exp any) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "alice", "company_id": "acme", "sandbox": true}
		if exp != nil {
			c["exp"] = exp
		}
		return c
	}
	var firstBody []byte
	for _, tc := range []struct {
		name, header, want string
	}{
		{"ErrMissing", "", "missing"},
		{"ErrMalformed", "Bearer not.a.jwt", "malformed"},
		{"ErrExpired", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(now.Add(-time.Hour).Unix())), "expired"},
		{"ErrBadSignature", "Bearer " + sign(jwt.SigningMethodHS256, []byte("not-the-secret-not-the-secret-00"), claims(now.Add(time.Hour).Unix())), "bad_signature"},
		{"ErrWrongAlgorithm", "Bearer " + sign(jwt.SigningMethodHS384, testSecret, claims(now.Add(time.Hour).Unix())), "wrong_algorithm"},
		{"ErrMissingExp", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(nil)), "missing_exp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/apps", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status: got %d, want 401", res.StatusCode)
			}
			if firstBody == nil {
				firstBody = body
			} else if !bytes.Equal(body, firstBody) {
				t.Errorf("the client can tell refusals apart:\n%s\n%s", body, firstBody)
			}
			rid := res.Header.Get("X-Request-Id")
			var line map[string]any
			sc := bufio.NewScanner(strings.NewReader(logs.String()))
			for sc.Scan() {
				var m map[string]any
				if json.Unmarshal(sc.Bytes(), &m) == nil && m["request_id"] == rid && m["msg"] == "request" {
					line = m
				}
			}
			if line == nil {
				t.Fatalf("no access log line for request %s in:\n%s", rid, logs.String())
			}
			if line["auth_refused"] != tc.want || line["status"] != float64(401) {
				t.Errorf("log line: got auth_refused %v status %v, want %s 401", line["auth_refused"], line["status"], tc.want)
			}
		})
	}
	// Never the token, in any line.
	for _, tok := range []string{"not.a.jwt", sign(jwt.SigningMethodHS256, testSecret, claims(nil))} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the log holds a token")
		}
	}
}
