// Command stream-events is the Lambda function on the table's DynamoDB
// stream: app-deletion cascades, uninstall notifications, domain events.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/lambdalog"
	"github.com/devhub-oss/devhub/internal/metrics"
)

func main() {
	var level slog.Level
	_ = level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL")))
	// The same JSON lines as every function (service.NewLogger), Lambda
	// request id included, without linking the HTTP packages into this
	// binary.
	logger := lambdalog.New(os.Stdout, level)
	h, err := build(logger)
	if err != nil {
		logger.Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(lambdalog.Wrap(h.Handle))
}

func build(logger *slog.Logger) (*events.Handler, error) {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, errMissing("TABLE_NAME")
	}
	db, err := dynamo.NewClient(os.Getenv("DYNAMODB_ENDPOINT"))
	if err != nil {
		return nil, err
	}
	o, err := events.OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	h, err := events.New(dynamo.New(db, table), o, logger)
	if err != nil {
		return nil, err
	}
	// Installs and uninstalls as metrics (METRICS_NAMESPACE).
	h.Publisher = events.MetricsPublisher{Next: h.Publisher, Metrics: metrics.FromEnv()}
	return h, nil
}

type errMissing string

func (e errMissing) Error() string { return "missing environment: " + string(e) }
