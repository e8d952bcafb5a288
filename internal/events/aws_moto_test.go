package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/mototest"
)

// The SQS and EventBridge calls of the stream function, against
// moto_server: the real SDK clients, built from the environment as the
// function builds them (events.NewSQSSink, events.NewEventBridgePublisher).

func motoSQS(t *testing.T) *sqs.Client {
	return sqs.New(sqs.Options{Region: mototest.Region, BaseEndpoint: aws.String(mototest.Endpoint(t)),
		Credentials: credentials.NewStaticCredentialsProvider(mototest.AccessKey, mototest.SecretKey, "")})
}

func newQueue(t *testing.T, c *sqs.Client) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(mototest.Name(t, "q"))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// receiveAll drains the queue until want messages arrived or 10 s passed.
func receiveAll(t *testing.T, c *sqs.Client, url string, want int) []string {
	t.Helper()
	var bodies []string
	for deadline := time.Now().Add(10 * time.Second); len(bodies) < want && time.Now().Before(deadline); {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bodies
}

// TestSQSSinkMoto: a failed notification lands on the failure queue whole:
// everything needed to send it again, nothing secret.
func TestSQSSinkMoto(t *testing.T) {
	mototest.Env(t, "SQS")
	c := motoSQS(t)
	url := newQueue(t, c)
	sink, err := events.NewSQSSink(url)
	if err != nil {
		t.Fatal(err)
	}
	f := events.FailedNotification{Kind: "uninstall_notification", DeliveryID: "dlv_1", EventID: "ev-1", AppID: "app_1",
		InstallationID: "inst_1", ClientID: "client_1", CompanyID: "co", UserID: "u", Timestamp: "2026-12-01T12:00:00Z",
		CallbackURL: "https://app.example.com/callback", Attempts: 3, Error: "status 503"}
	if err := sink.Send(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	bodies := receiveAll(t, c, url, 1)
	if len(bodies) != 1 {
		t.Fatalf("got %d messages", len(bodies))
	}
	var got events.FailedNotification
	if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil || got != f {
		t.Errorf("message %s, want %+v (%v)", bodies[0], f, err)
	}
	for _, secretish := range []string{"secret", "token", "authorization"} {
		if strings.Contains(strings.ToLower(bodies[0]), secretish) {
			t.Errorf("the message mentions %q: %s", secretish, bodies[0])
		}
	}

	// A queue that does not exist is an error the handler sees (the record
	// is then retried), not a silent loss.
	gone, _ := events.NewSQSSink(url + "-gone")
	if err := gone.Send(context.Background(), f); err == nil {
		t.Error("Send to a missing queue succeeded")
	}
}

// TestEventBridgePublisherMoto: domain events reach the bus in PutEvents
// of at most 10 entries, with source devhub and the type as detail-type (a
// rule on the bus forwards them to a queue, where they are counted); a bus
// that does not exist fails every event, after the retries.
func TestEventBridgePublisherMoto(t *testing.T) {
	mototest.Env(t, "EVENTBRIDGE")
	ep := mototest.Endpoint(t)
	ctx := context.Background()
	eb := eventbridge.New(eventbridge.Options{Region: mototest.Region, BaseEndpoint: aws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(mototest.AccessKey, mototest.SecretKey, "")})
	c := motoSQS(t)
	bus := mototest.Name(t, "bus")
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	url := newQueue(t, c)
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	rule := mototest.Name(t, "rule")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["` + events.EventSource + `"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}

	p, err := events.NewEventBridgePublisher(bus)
	if err != nil {
		t.Fatal(err)
	}
	var evs []events.Event
	for i := range 11 { // two PutEvents: 10 and 1 (moto forwards to the queue slowly: keep it small)
		evs = append(evs, events.Event{ID: fmt.Sprintf("ev-%02d", i), Type: events.TypeInstallationDeleted, AppID: "app_1",
			Time: time.Now().UTC(), Data: events.InstallationDeleted{InstallationID: fmt.Sprintf("inst_%d", i)}})
	}
	if failed := p.Publish(ctx, evs); len(failed) != 0 {
		t.Fatalf("failures: %+v", failed)
	}
	bodies := receiveAll(t, c, url, 11)
	var ids []string
	for _, b := range bodies {
		var env struct {
			Source     string       `json:"source"`
			DetailType string       `json:"detail-type"`
			Detail     events.Event `json:"detail"`
		}
		if err := json.Unmarshal([]byte(b), &env); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if env.Source != events.EventSource || env.DetailType != events.TypeInstallationDeleted {
			t.Errorf("envelope %s", b)
		}
		ids = append(ids, env.Detail.ID)
	}
	sort.Strings(ids)
	if len(ids) != 11 || ids[0] != "ev-00" || ids[10] != "ev-10" {
		t.Errorf("the bus got %v, want ev-00…ev-10 once each", ids)
	}

	missing, _ := events.NewEventBridgePublisher(bus + "-gone")
	if failed := missing.Publish(ctx, evs[:3]); len(failed) != 3 {
		t.Errorf("a missing bus: %d failures, want 3", len(failed))
	}
}
