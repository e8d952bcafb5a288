// Package eventstest gives the stream tests an app with installations in a
// real DynamoDB Local table, and a loopback callback server that records
// the uninstall notifications it receives. Tests only.
package eventstest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// NewApp creates a private draft app of company c1 whose callback is callbackURL.
func NewApp(tb testing.TB, s *dynamo.Store, callbackURL string) *devhub.App {
	tb.Helper()
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Stream test app", CallbackURL: callbackURL},
		devhub.Identity{UserID: "dev1", CompanyID: "c1", Sandbox: true}, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.CreateApp(context.Background(), a, nil); err != nil {
		tb.Fatal(err)
	}
	return a
}

// Tokens are the hashes of what one installation's code exchange issued.
type Tokens struct {
	Company, User, Access, Refresh string
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Install installs a for (company, user) through the OAuth store: consent,
// then a code exchange that issues an access and a refresh token.
func Install(tb testing.TB, s *dynamo.Store, a *devhub.App, company, user string) Tokens {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	code := &devhub.AuthCode{Hash: hash("code" + company + user + a.ID), ClientID: a.ClientID, AppID: a.ID,
		CompanyID: company, UserID: user, RedirectURI: a.CallbackURL, Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	if err := s.Consent(ctx, a, company, user, code); err != nil {
		tb.Fatalf("consent: %v", err)
	}
	tok := func(kind devhub.TokenKind, ttl time.Duration) *devhub.Token {
		return &devhub.Token{Hash: hash(string(kind) + company + user + a.ID), Kind: kind, ClientID: a.ClientID, AppID: a.ID,
			CompanyID: company, UserID: user, Grant: "g-" + company + user, Scopes: a.Scopes, IssuedAt: now, ExpiresAt: now.Add(ttl)}
	}
	access, refresh := tok(devhub.AccessToken, time.Hour), tok(devhub.RefreshToken, 60*24*time.Hour)
	if err := s.ExchangeCode(ctx, code, access.Grant, access, refresh); err != nil {
		tb.Fatalf("exchange code: %v", err)
	}
	return Tokens{Company: company, User: user, Access: access.Hash, Refresh: refresh.Hash}
}

// BulkInstall writes n installation items of a (companies co<i>, users u<i>)
// directly, in the layout of internal/dynamo/oauth.go, 25 to a batch.
func BulkInstall(tb testing.TB, db *dynamodb.Client, table string, a *devhub.App, n int) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	var reqs []types.WriteRequest
	flush := func() {
		for len(reqs) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				tb.Fatal(err)
			}
			reqs = out.UnprocessedItems[table]
		}
	}
	for i := range n {
		company, user := "co"+strconv.Itoa(i), "u"+strconv.Itoa(i)
		id := devhub.NewInstallationID(time.Now())
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"PK": s("APP#" + a.ID), "SK": s("INST#" + company + "#" + user), "type": s("installation"),
			"version": &types.AttributeValueMemberN{Value: "2"}, "id": s(id), "app_id": s(a.ID), "client_id": s(a.ClientID),
			"company_id": s(company), "user_id": s(user), "scopes": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("base")}},
			"grant": s("g" + strconv.Itoa(i)), "created_at": s(now), "updated_at": s(now),
			"GSI1PK": s("USER#" + company + "#" + user), "GSI1SK": s("INST#" + id),
		}}})
		if len(reqs) == 25 {
			flush()
		}
	}
	flush()
}

// PutExtensionItems writes k extension items and their slot counters in a's
// partition, the way internal/dynamo/extensions.go lays them out.
func PutExtensionItems(tb testing.TB, db *dynamodb.Client, table string, a *devhub.App, k int) {
	tb.Helper()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for i := range k {
		for _, item := range []map[string]types.AttributeValue{
			{"PK": s("APP#" + a.ID), "SK": s("EXT#ext" + strconv.Itoa(i)), "type": s("extension"), "id": s("ext" + strconv.Itoa(i)),
				"app_id": s(a.ID), "ext_type": s("link_action"), "version": &types.AttributeValueMemberN{Value: "1"}},
			{"PK": s("APP#" + a.ID), "SK": s("SLOT#view#deal_details" + strconv.Itoa(i)), "type": s("slot"),
				"count": &types.AttributeValueMemberN{Value: "1"}, "version": &types.AttributeValueMemberN{Value: "1"}},
		} {
			if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// PartitionSize counts the items left in a's partition.
func PartitionSize(tb testing.TB, db *dynamodb.Client, table, appID string) int {
	tb.Helper()
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "APP#" + appID}},
		Select:                    types.SelectCount, ConsistentRead: aws.Bool(true),
	})
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
}

// Notification is one request the callback server received.
type Notification struct {
	Method, User, Password, ContentType string
	Body                                map[string]string
}

// Callback is a loopback server standing in for an app's server.
type Callback struct {
	*httptest.Server
	// Status answers each request; nil answers 200. It may be swapped
	// between phases of a test, not during one.
	Status func(n int) int

	mu    sync.Mutex
	got   []Notification
	count atomic.Int64
	conns atomic.Int64
}

// NewCallback starts a callback server, closed when the test ends.
func NewCallback(tb testing.TB) *Callback {
	c := &Callback{}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.Start()
	tb.Cleanup(c.Close)
	return c
}

func (c *Callback) serve(w http.ResponseWriter, r *http.Request) {
	n := int(c.count.Add(1))
	user, pass, _ := r.BasicAuth()
	raw, _ := io.ReadAll(r.Body)
	var body map[string]string
	_ = json.Unmarshal(raw, &body)
	status := http.StatusOK
	if c.Status != nil {
		status = c.Status(n)
	}
	if status < 500 {
		c.mu.Lock()
		c.got = append(c.got, Notification{Method: r.Method, User: user, Password: pass, ContentType: r.Header.Get("Content-Type"), Body: body})
		c.mu.Unlock()
	}
	w.WriteHeader(status)
	fmt.Fprint(w, `{"ok":true}`)
}

// URL is the callback URL to register.
func (c *Callback) URL() string { return c.Server.URL + "/callback" }

// HostPort is what the guarded client must be allowed to reach.
func (c *Callback) HostPort() string { return c.Listener.Addr().String() }

// Received returns the notifications answered below 500.
func (c *Callback) Received() []Notification {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Notification(nil), c.got...)
}

// Requests counts every request, failed ones included.
func (c *Callback) Requests() int { return int(c.count.Load()) }

// Connections counts the TCP connections accepted.
func (c *Callback) Connections() int { return int(c.conns.Load()) }

// WaitFor polls cond until it holds or d passes.
func WaitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
