package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// SecretsClient is the one Secrets Manager operation devhub calls,
// GetSecretValue, as the service's JSON protocol (awsJson1_1) over HTTPS,
// signed with Signature Version 4 by the SDK's own signer (which the
// DynamoDB client links anyway).
//
// It replaces the SDK's secretsmanager client for size: importing that
// package (its types import its schemas) runs the init of serialization
// schemas for every Secrets Manager operation, which added 0.2–0.26 MB to
// each of the six functions that read the secret, and init work to their
// cold starts, for one call made once per container (and after a rotation).
type SecretsClient struct {
	// Endpoint is the service's base URL: https://secretsmanager.<region>.amazonaws.com
	// (.amazonaws.com.cn in China), or AWS_ENDPOINT_URL_SECRETS_MANAGER.
	Endpoint    string
	Region      string
	Credentials aws.CredentialsProvider
	// HTTP is the client used; nil is http.DefaultClient. Each call is
	// bounded by its context (the callers set short timeouts).
	HTTP *http.Client
	// Now is the signing time; nil is time.Now.
	Now func() time.Time
}

// GetSecretValueInput names the secret and, optionally, a version stage
// (empty: AWSCURRENT).
type GetSecretValueInput struct {
	SecretID     string
	VersionStage string
}

// GetSecretValueOutput is what devhub reads of a secret's value.
type GetSecretValueOutput struct {
	SecretString *string // nil: the value is binary, or absent
	VersionID    string
	CreatedDate  time.Time
}

// SecretsError is an error answer of Secrets Manager: its __type without
// namespace (ResourceNotFoundException, AccessDeniedException, …) and
// message.
type SecretsError struct {
	Status  int
	Code    string
	Message string
}

func (e *SecretsError) Error() string {
	return fmt.Sprintf("secretsmanager: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// IsSecretNotFound reports whether err says the secret (or the version
// stage asked for) does not exist.
func IsSecretNotFound(err error) bool {
	var se *SecretsError
	return errors.As(err, &se) && se.Code == "ResourceNotFoundException"
}

// NewSecretsClient returns a client from the environment the Lambda runtime
// sets (region, credentials), like dynamo.NewClient: without the SDK's
// config package. AWS_ENDPOINT_URL_SECRETS_MANAGER (the SDK's standard name)
// points it elsewhere, e.g. at moto_server in tests.
func NewSecretsClient() (*SecretsClient, error) {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return nil, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)")
	}
	region := envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", "us-east-1"))
	return &SecretsClient{
		Endpoint: envOr("AWS_ENDPOINT_URL_SECRETS_MANAGER", SecretsEndpoint(region)), Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}, nil
}

// SecretsEndpoint is the public Secrets Manager endpoint of region.
func SecretsEndpoint(region string) string {
	suffix := ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = ".amazonaws.com.cn"
	}
	return "https://secretsmanager." + region + suffix
}

// secretsAttempts: a throttled, failed (5xx) or unanswered call is tried
// this many times in all, within the caller's context, as the SDK's
// standard retryer would.
const secretsAttempts = 3

// GetSecretValue reads a secret's value. Errors: *SecretsError for an
// answer of the service (IsSecretNotFound), else the transport's error.
func (c *SecretsClient) GetSecretValue(ctx context.Context, in *GetSecretValueInput) (*GetSecretValueOutput, error) {
	body, err := json.Marshal(struct {
		SecretID     string `json:"SecretId"`
		VersionStage string `json:"VersionStage,omitempty"`
	}{in.SecretID, in.VersionStage})
	if err != nil {
		return nil, err
	}
	var last error
	for attempt := range secretsAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, errors.Join(ctx.Err(), last)
			case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
			}
		}
		out, err := send(ctx, c, body)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return out, err
		}
		last = err
	}
	return nil, last
}

func retryable(err error) bool {
	var se *SecretsError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Code == "ThrottlingException" || se.Code == "TooManyRequestsException"
	}
	return true // no answer: the call reads only
}

// send is one try (a function, not a method: every method of SecretsClient
// stands for a Secrets Manager action in the policy test).
func send(ctx context.Context, c *SecretsClient, body []byte) (*GetSecretValueOutput, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("secretsmanager: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "secretsmanager", c.Region, now().UTC()); err != nil {
		return nil, fmt.Errorf("secretsmanager: sign: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("secretsmanager: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("secretsmanager: read answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, secretsError(res, data)
	}
	var out struct {
		SecretString *string  `json:"SecretString"`
		VersionID    string   `json:"VersionId"`
		CreatedDate  *float64 `json:"CreatedDate"` // epoch seconds
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("secretsmanager: decode answer: %w", err)
	}
	v := &GetSecretValueOutput{SecretString: out.SecretString, VersionID: out.VersionID}
	if d := out.CreatedDate; d != nil && *d > 0 {
		sec, frac := math.Modf(*d)
		v.CreatedDate = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return v, nil
}

// secretsError reads an error answer: {"__type": "[namespace#]Code",
// "message"|"Message": "…"}, or the X-Amzn-ErrorType header.
func secretsError(res *http.Response, data []byte) error {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(data, &e)
	code := e.Type
	if code == "" {
		code = res.Header.Get("X-Amzn-ErrorType")
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if code == "" {
		code = http.StatusText(res.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	return &SecretsError{Status: res.StatusCode, Code: code, Message: msg}
}
