// Package mototest gives tests the moto_server that `make test` starts
// (infra/ddbexec, MOTO_ENDPOINT): Secrets Manager, SQS and EventBridge on
// loopback, with the AWS SDK's real clients and wire formats. moto keeps one
// state for every test of the run, so each test names its own secrets,
// queues and buses (Name).
package mototest

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Credentials and region moto accepts (any).
const (
	Region    = "us-east-1"
	AccessKey = "testing"
	SecretKey = "testing"
)

// Endpoint returns moto_server's URL, or skips t with a message when
// `make test` could not start one (moto_server not installed).
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("MOTO_ENDPOINT")
	if ep == "" {
		t.Skip("MOTO_ENDPOINT is not set: run through `make test`, which starts moto_server when it is installed (pip install 'moto[server]')")
	}
	return ep
}

// Env points the AWS environment of the process at moto for the test:
// credentials, region and AWS_ENDPOINT_URL_<SERVICE> for each service
// named (e.g. "SECRETS_MANAGER", "SQS", "EVENTBRIDGE").
func Env(t testing.TB, services ...string) string {
	t.Helper()
	ep := Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", Region)
	for _, s := range services {
		t.Setenv("AWS_ENDPOINT_URL_"+strings.ToUpper(s), ep)
	}
	return ep
}

var seq atomic.Int64

// Name returns a name unique to this run and test, at most 64 characters
// of [A-Za-z0-9-] (fits SQS queues, event buses and secrets).
func Name(t testing.TB, prefix string) string {
	test := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	if len(test) > 32 {
		test = test[len(test)-32:]
	}
	return fmt.Sprintf("%s-%s-%d-%d", prefix, test, time.Now().UnixNano()%1e9, seq.Add(1))
}
