// Package dynamo is the single-table DynamoDB store of devhub.
//
// Every item lives in one table with string keys PK and SK, two global
// secondary indexes — GSI1 (GSI1PK, GSI1SK), and GSI2 (GSI2PK, GSI2SK),
// sparse: set only on listed apps' client copies (marketplace.go) — a TTL
// attribute expires_at (epoch seconds) and a stream of new and old images. Every item carries "type"
// and "version". Codes and tokens are stored as SHA-256 hashes, never in clear.
//
// Items:
//
//	type         PK                      SK        GSI1PK           GSI1SK
//	app          APP#<app_id>            A         CO#<company_id>  APP#<created_at>#<app_id>
//	client       CLIENT#<client_id>      A         STATUS#<status>  <updated_at>#<app_id>
//	                                               (GSI2: MARKET, <updated_at>#<app_id>, when listed)
//	app_deleted  APP#<app_id>            DELETED   -                -        (expires_at: 30 days)
//	idempotency  IDEM#<company>#<sha256> I         -                -        (expires_at: 24 h)
//	extension    APP#<app_id>            EXT#<id>  -                -        (see extensions.go)
//	slot         APP#<app_id>            SLOT#<k>  -                -        (see extensions.go)
//	delivery     DLV#<app_id>            <dlv_id>  -                -        (expires_at: 30 days; see deliveries.go)
//
// The app_deleted item also carries the cascade's progress (cascade_round,
// cascade_deleted, cascade_done_at): see cascade.go.
//
// The client item is a full copy of the app item under its client_id: it makes
// client_id unique (created with attribute_not_exists in the same transaction
// as the app) and lets the OAuth and install paths, which know only the
// client_id, read the whole app in one GetItem. Every write of an app writes
// both in one TransactWriteItems.
//
// Access patterns, each one round trip:
//
//	get app by id            GetItem PK=APP#id, SK=A (consistent)
//	get app by client_id     GetItem PK=CLIENT#client_id, SK=A (consistent)
//	list a company's apps    Query GSI1 GSI1PK=CO#company AND begins_with(GSI1SK, "APP#"), newest first, paged
//	list apps in a status    Query GSI1 GSI1PK=STATUS#status (client copies), oldest change first, paged
//	                         (STATUS#review also holds approved apps whose pending changes are in review)
//	list the marketplace     Query GSI2 GSI2PK=MARKET (listed apps' client copies), oldest change first, paged
//	create app               TransactWriteItems: Put app, Put client, [Put idempotency], all attribute_not_exists
//	update app               TransactWriteItems: Put app (version = :read), Put client
//	delete app               TransactWriteItems: Delete app (version = :read), Delete client, Put app_deleted
//
// The store never reads before it writes to decide whether the write may
// happen: conditions decide, and cancellation reasons (ALL_OLD) tell why a
// condition failed without another round trip.
package dynamo

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// Store is the devhub table.
type Store struct {
	db    *dynamodb.Client
	table string
	// Now is injectable for tests.
	Now func() time.Time
}

// New returns a Store on table.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{db: db, table: table, Now: time.Now}
}

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// NewClient builds a DynamoDB client. On Lambda (and under sam local) the
// runtime hands credentials and region over in environment variables, which
// is all this reads: the SDK's config package, with its SSO, STS and IMDS
// providers, would add 2 MB to every binary and work to every cold start.
// Its retries and their limits are faults.go's. With endpoint set (DynamoDB Local) it uses dummy credentials when none are
// in the environment, and skips the response checksum check that DynamoDB
// Local's error responses fail.
func NewClient(endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" && endpoint != "" {
		key, secret = "local", "local"
	}
	if key == "" || secret == "" {
		return nil, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)")
	}
	o := dynamodb.Options{
		Region:      regionOr("us-east-1"),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
	}
	var faults func(*middleware.Stack) error
	o.Retryer, faults = FaultOptions(AttemptTimeout)
	o.APIOptions = append(o.APIOptions, faults)
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
		o.DisableValidateResponseChecksum = true // aws/aws-sdk-go-v2#3545
	}
	return dynamodb.New(o, optFns...), nil
}

func regionOr(def string) string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	if r := os.Getenv("AWS_DEFAULT_REGION"); r != "" {
		return r
	}
	return def
}

// wrap turns an SDK error into a devhub error with context: a fault of the
// way to DynamoDB (faults.go) becomes EUNAVAILABLE, everything else EINTERNAL.
func wrap(op string, err error) error {
	var de *devhub.Error
	if errors.As(err, &de) {
		return err
	}
	if Unavailable(err) {
		return fmt.Errorf("%s: %w", op, &wrapped{code: devhub.EUNAVAILABLE, err: err})
	}
	return fmt.Errorf("%s: %w", op, err)
}

// wrapped keeps the SDK error for the log while carrying a devhub code.
type wrapped struct {
	code string
	err  error
}

func (w *wrapped) Error() string { return w.err.Error() }
func (w *wrapped) Unwrap() []error {
	return []error{devhub.Errorf(w.code, "The service is busy; retry shortly."), w.err}
}
