// Command callback-probe is the Lambda function behind
// POST /v1/apps/{app_id}/callback-probe, and the scheduled sweep that
// re-probes the callback URL of every live, unpublished and published app.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, srv, store := service.MustInitStore()
	lambda.Start(service.CallbackProbeHandler(cfg, srv, store))
}
