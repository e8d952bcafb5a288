package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// EventSource is the EventBridge source of every domain event.
const EventSource = "devhub"

// awsEnv reads the region and credentials the Lambda runtime hands over in
// the environment, as dynamo.NewClient does (no SDK config package: it would
// add megabytes and cold-start work).
func awsEnv() (string, aws.CredentialsProvider, error) {
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return "", nil, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	return region, aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))), nil
}

// EventBridgePublisher puts domain events on a bus.
type EventBridgePublisher struct {
	Client *eventbridge.Client
	Bus    string
}

// NewEventBridgePublisher builds a publisher to bus from the environment.
func NewEventBridgePublisher(bus string) (*EventBridgePublisher, error) {
	region, creds, err := awsEnv()
	if err != nil {
		return nil, err
	}
	o := eventbridge.Options{Region: region, Credentials: creds}
	if ep := os.Getenv("AWS_ENDPOINT_URL_EVENTBRIDGE"); ep != "" {
		o.BaseEndpoint = aws.String(ep) // the SDK's standard override: moto_server in tests
	}
	return &EventBridgePublisher{Client: eventbridge.New(o), Bus: bus}, nil
}

// putEventsMax is EventBridge's limit of entries per PutEvents.
const putEventsMax = 10

// Publish implements Publisher: PutEvents in chunks of 10, entries that
// failed retried twice.
func (p *EventBridgePublisher) Publish(ctx context.Context, evs []Event) []PublishFailure {
	var failures []PublishFailure
	for start := 0; start < len(evs); start += putEventsMax {
		idx := make([]int, 0, putEventsMax)
		for i := start; i < min(start+putEventsMax, len(evs)); i++ {
			idx = append(idx, i)
		}
		for attempt := 1; len(idx) > 0; attempt++ {
			entries := make([]ebtypes.PutEventsRequestEntry, 0, len(idx))
			var bad []PublishFailure
			sent := make([]int, 0, len(idx))
			for _, i := range idx {
				detail, err := devhub.MarshalJSON(evs[i])
				if err != nil {
					bad = append(bad, PublishFailure{Index: i, Err: err})
					continue
				}
				entries = append(entries, ebtypes.PutEventsRequestEntry{
					EventBusName: aws.String(p.Bus), Source: aws.String(EventSource),
					DetailType: aws.String(evs[i].Type), Detail: aws.String(string(detail)), Time: aws.Time(evs[i].Time),
				})
				sent = append(sent, i)
			}
			failures = append(failures, bad...)
			if len(entries) == 0 {
				break
			}
			out, err := p.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
			var retry []int
			switch {
			case err != nil:
				retry = sent
			default:
				for j, e := range out.Entries {
					if e.ErrorCode != nil && j < len(sent) {
						retry = append(retry, sent[j])
					}
				}
			}
			if len(retry) == 0 {
				break
			}
			if attempt >= 3 || ctx.Err() != nil {
				why := err
				if why == nil {
					why = fmt.Errorf("PutEvents refused %d entries", len(retry))
				}
				for _, i := range retry {
					failures = append(failures, PublishFailure{Index: i, Err: why})
				}
				break
			}
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			idx = retry
		}
	}
	return failures
}

// SQSSink sends failed notifications to an SQS queue.
type SQSSink struct {
	Client   *sqs.Client
	QueueURL string
}

// NewSQSSink builds a sink to queueURL from the environment.
func NewSQSSink(queueURL string) (*SQSSink, error) {
	region, creds, err := awsEnv()
	if err != nil {
		return nil, err
	}
	o := sqs.Options{Region: region, Credentials: creds}
	if ep := os.Getenv("AWS_ENDPOINT_URL_SQS"); ep != "" {
		o.BaseEndpoint = aws.String(ep) // the SDK's standard override: moto_server in tests
	}
	return &SQSSink{Client: sqs.New(o), QueueURL: queueURL}, nil
}

// Send implements FailureSink.
func (s *SQSSink) Send(ctx context.Context, f FailedNotification) error {
	body, err := devhub.MarshalJSON(f)
	if err != nil {
		return fmt.Errorf("marshal failed notification: %w", err)
	}
	_, err = s.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(s.QueueURL), MessageBody: aws.String(string(body)),
	})
	if err != nil {
		return fmt.Errorf("send to %s: %w", s.QueueURL, err)
	}
	return nil
}
