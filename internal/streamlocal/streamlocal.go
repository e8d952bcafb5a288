// Package streamlocal feeds a table's DynamoDB stream to a stream handler
// the way the Lambda event source mapping does, for the local runner and the
// tests: it reads DynamoDB Local's stream (ListStreams, DescribeStream,
// GetShardIterator, GetRecords), converts the records to aws-lambda-go's
// events.DynamoDBEventRecord, and calls the handler with batches of them.
//
// Like the event source mapping with ReportBatchItemFailures, a batch whose
// handler reports failed records is retried from the earliest failed record,
// after a back-off, up to MaxRetries times; then it is logged and skipped
// (where AWS would send it to the OnFailure destination). Each call gets its
// own deadline (InvocationTimeout), as an invocation would. Shards are read
// one after another in the order DynamoDB hands them out, children after
// their parents. It is not meant for AWS: there, Lambda polls the stream.
//
// With PositionFile set, the position in the stream (each shard's last
// handled sequence number) is kept in that file after every batch, so a
// restart goes on where the last run stopped instead of handing the handler
// every old record again (the event source mapping keeps its position the
// same way). The file names the stream it belongs to: a new table (a new
// stream) starts from its oldest record.
package streamlocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// Handler is the stream-events Lambda handler's signature.
type Handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Poller reads one table's stream. Set Client, Table and Handler.
type Poller struct {
	Client  *dynamodbstreams.Client
	Table   string
	Handler Handler
	Logger  *slog.Logger
	// BatchSize is the most records per handler call (GetRecords Limit).
	BatchSize int32
	// PollInterval is the pause after an empty read.
	PollInterval time.Duration
	// InvocationTimeout is each handler call's deadline.
	InvocationTimeout time.Duration
	// MaxRetries of a failing batch before it is skipped.
	MaxRetries int
	// Region of the records (awsRegion), cosmetic.
	Region string
	// Filter, when set, drops the records it refuses before the handler sees
	// them, as the event source mapping's FilterCriteria does
	// (events.Matches); a page left empty calls no handler.
	Filter func(events.DynamoDBEventRecord) bool
	// Invocations counts the handler calls (tests and benchmarks read it).
	Invocations atomic.Int64
	// PositionFile, if set, keeps the stream position across runs (see the
	// package doc). Its directory must exist.
	PositionFile string
}

// NewClient builds a DynamoDB Streams client for endpoint (DynamoDB Local),
// with dummy credentials unless the environment has some.
func NewClient(endpoint string) *dynamodbstreams.Client {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		key, secret = "local", "local"
	}
	// The store's retries: a truncated or lost GetRecords answer is read
	// again from the same iterator, so no record is skipped.
	retryer, faults := dynamo.FaultOptions(dynamo.AttemptTimeout)
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      retryer,
		APIOptions:   []func(*middleware.Stack) error{faults},
	})
}

func (p *Poller) defaults() {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.BatchSize <= 0 {
		p.BatchSize = 100
	}
	if p.PollInterval <= 0 {
		p.PollInterval = 250 * time.Millisecond
	}
	if p.InvocationTimeout <= 0 {
		p.InvocationTimeout = 60 * time.Second
	}
	if p.MaxRetries <= 0 {
		p.MaxRetries = 5
	}
	if p.Region == "" {
		p.Region = "us-east-1"
	}
}

// shard is a shard being read.
type shard struct {
	id, parent string
	iter       *string
	lastSeq    string
	done       bool
}

// Run reads the stream from its oldest record (TRIM_HORIZON), or on from
// the position kept in PositionFile, until ctx ends, and returns nil then.
// The handler is idempotent, so a record handed over twice (a crash between
// a batch and the saving of its position) does no harm.
func (p *Poller) Run(ctx context.Context) error {
	p.defaults()
	arn, err := p.streamARN(ctx)
	if err != nil {
		return err
	}
	shards, order := p.loadPosition(arn)
	nextDescribe := time.Time{}
	for ctx.Err() == nil {
		if time.Now().After(nextDescribe) {
			if order, err = p.describe(ctx, arn, shards, order); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				p.Logger.Warn("describe stream", slog.String("error", err.Error()))
			}
			nextDescribe = time.Now().Add(5 * time.Second)
		}
		got := 0
		for _, id := range order {
			s := shards[id]
			if s.done || (s.parent != "" && shards[s.parent] != nil && !shards[s.parent].done) {
				continue
			}
			n, err := p.readShard(ctx, arn, s)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				p.Logger.Warn("read shard", slog.String("shard", id), slog.String("error", err.Error()))
			}
			got += n
			if n > 0 || s.done {
				p.savePosition(arn, shards, order)
			}
			if s.done {
				nextDescribe = time.Time{} // look for its children now
			}
		}
		if got == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(p.PollInterval):
			}
		}
	}
	return nil
}

func (p *Poller) streamARN(ctx context.Context) (string, error) {
	for {
		out, err := p.Client.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(p.Table)})
		if err != nil {
			return "", fmt.Errorf("list streams of %s: %w", p.Table, err)
		}
		if len(out.Streams) > 0 {
			return aws.ToString(out.Streams[len(out.Streams)-1].StreamArn), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(p.PollInterval):
		}
	}
}

func (p *Poller) describe(ctx context.Context, arn string, shards map[string]*shard, order []string) ([]string, error) {
	var start *string
	for {
		out, err := p.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return order, fmt.Errorf("describe stream: %w", err)
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := shards[id]; !ok {
				shards[id] = &shard{id: id, parent: aws.ToString(sh.ParentShardId)}
				order = append(order, id)
			}
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return order, nil
		}
	}
}

// readShard reads one page of s and hands it to the handler, retrying
// failed records; it returns how many records it read.
func (p *Poller) readShard(ctx context.Context, arn string, s *shard) (int, error) {
	if s.iter == nil {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(s.id),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if s.lastSeq != "" {
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(s.lastSeq)
		}
		out, err := p.Client.GetShardIterator(ctx, in)
		var (
			gone    *types.ResourceNotFoundException
			trimmed *types.TrimmedDataAccessException
		)
		if errors.As(err, &gone) {
			s.done = true // trimmed away
			return 0, nil
		}
		if errors.As(err, &trimmed) && s.lastSeq != "" {
			// The kept position is older than the stream's retention:
			// go on from the oldest record still there.
			p.Logger.Warn("stream position trimmed away; reading from the oldest record", slog.String("shard", s.id))
			s.lastSeq = ""
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("shard iterator: %w", err)
		}
		s.iter = out.ShardIterator
	}
	out, err := p.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(p.BatchSize)})
	var (
		expired *types.ExpiredIteratorException
		trimmed *types.TrimmedDataAccessException
	)
	if errors.As(err, &expired) || errors.As(err, &trimmed) {
		s.iter = nil // a fresh iterator after the last handled record
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get records: %w", err)
	}
	s.iter = out.NextShardIterator
	if s.iter == nil {
		s.done = true
	}
	if len(out.Records) == 0 {
		return 0, nil
	}
	recs := make([]events.DynamoDBEventRecord, 0, len(out.Records))
	last := ""
	for i := range out.Records {
		r := convertRecord(&out.Records[i], arn, p.Region)
		if last = r.Change.SequenceNumber; p.Filter == nil || p.Filter(r) {
			recs = append(recs, r)
		}
	}
	if len(recs) > 0 {
		p.deliver(ctx, recs)
	}
	s.lastSeq = last
	return len(out.Records), nil
}

// deliver calls the handler with recs, then again with the records from the
// earliest failed one on, until none fails or the retries are spent.
func (p *Poller) deliver(ctx context.Context, recs []events.DynamoDBEventRecord) {
	for attempt := 0; len(recs) > 0 && ctx.Err() == nil; attempt++ {
		ictx, cancel := context.WithTimeout(ctx, p.InvocationTimeout)
		p.Invocations.Add(1)
		resp, err := p.Handler(ictx, events.DynamoDBEvent{Records: recs})
		cancel()
		from := len(recs)
		if err != nil {
			from = 0
			p.Logger.Warn("stream handler failed", slog.String("error", err.Error()))
		} else {
			for _, f := range resp.BatchItemFailures {
				for i := range recs[:from] {
					if recs[i].Change.SequenceNumber == f.ItemIdentifier {
						from = i
						break
					}
				}
			}
		}
		if from == len(recs) {
			return
		}
		if attempt >= p.MaxRetries {
			p.Logger.Error("stream records skipped after retries", slog.Int("records", len(recs)-from),
				slog.String("first_sequence_number", recs[from].Change.SequenceNumber))
			return
		}
		recs = recs[from:]
		wait := time.Duration(100<<min(attempt, 5)) * time.Millisecond
		select {
		case <-ctx.Done():
		case <-time.After(wait/2 + rand.N(wait/2)):
		}
	}
}

// convertRecord turns a DynamoDB Streams record into the record Lambda
// delivers.
func convertRecord(r *types.Record, arn, region string) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{
		AWSRegion: region, EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: aws.ToString(r.EventSource), EventVersion: aws.ToString(r.EventVersion), EventSourceArn: arn,
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if u := r.UserIdentity; u != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
	}
	if d := r.Dynamodb; d != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys: convertMap(d.Keys), NewImage: convertMap(d.NewImage), OldImage: convertMap(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber), SizeBytes: aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return out
}

func convertMap(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = convertValue(v)
	}
	return out
}

func convertValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(convertMap(v.Value))
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = convertValue(e)
		}
		return events.NewListAttribute(l)
	default:
		return events.NewNullAttribute()
	}
}
