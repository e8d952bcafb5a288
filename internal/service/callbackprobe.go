package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/lambdalog"
	"github.com/devhub-oss/devhub/internal/sweep"
)

// ScheduledEventType is the detail-type of the events that EventBridge rules
// and the schedule in template.yaml send.
const ScheduledEventType = "Scheduled Event"

// ErrUnknownEvent: the event is neither an API Gateway HTTP API request nor a
// scheduled event. Nothing is run for it.
var ErrUnknownEvent = errors.New("unrecognised event: neither an API Gateway v2 HTTP request nor a Scheduled Event")

// HTTPHandler is what LambdaHandler returns.
type HTTPHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Dispatch returns the handler of a function with two triggers: an API
// Gateway v2 HTTP event (it has requestContext.http) goes to h, an
// EventBridge scheduled event (detail-type "Scheduled Event") runs job and
// returns what job returns. Anything else is ErrUnknownEvent, so that a
// stray event never starts a job.
func Dispatch(h HTTPHandler, job func(context.Context) (any, error)) func(context.Context, json.RawMessage) (any, error) {
	return lambdalog.Wrap(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var shape struct {
			RequestContext struct {
				HTTP json.RawMessage `json:"http"`
			} `json:"requestContext"`
			DetailType string `json:"detail-type"`
		}
		if err := json.Unmarshal(raw, &shape); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnknownEvent, err)
		}
		switch {
		case len(shape.RequestContext.HTTP) > 0 && string(shape.RequestContext.HTTP) != "null":
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decode API Gateway event: %w", err)
			}
			res, err := h(ctx, ev)
			if err != nil {
				return nil, err
			}
			return res, nil
		case shape.DetailType == ScheduledEventType:
			return job(ctx)
		}
		return nil, ErrUnknownEvent
	})
}

// CallbackProbeHandler is the callback-probe function's Lambda handler:
// POST /v1/apps/{app_id}/callback-probe, and the scheduled sweep of every
// installable app's callback (internal/sweep), whose Stats it returns.
func CallbackProbeHandler(cfg Config, srv *httpapi.Server, store sweep.Store) func(context.Context, json.RawMessage) (any, error) {
	sw := sweep.Sweeper{Store: store, Prober: srv.Hub.Prober, Now: srv.Hub.Now, Logger: srv.Logger}
	h := LambdaHandler(srv.Handler(srv.CallbackProbeRoutes()), cfg.BasePath)
	return Dispatch(h, func(ctx context.Context) (any, error) {
		run := sw
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			run.Logger = run.Logger.With(slog.String("request_id", lc.AwsRequestID))
		}
		return run.Run(ctx)
	})
}

// MustInitStore is MustInit for a function that also uses the store
// directly (the sweep reads the status index).
func MustInitStore() (Config, *httpapi.Server, *dynamo.Store) {
	c, err := ConfigFromEnv()
	logger := NewLogger(c.LogLevel)
	if err == nil {
		c.JWTKeySource, err = c.JWTKeys(context.Background(), logger)
	}
	if err == nil {
		var (
			srv   *httpapi.Server
			store *dynamo.Store
		)
		if srv, store, err = NewServer(context.Background(), c, logger); err == nil {
			return c, srv, store
		}
	}
	logger.Error("init failed", slog.String("error", err.Error()))
	os.Exit(1)
	return c, nil, nil
}
