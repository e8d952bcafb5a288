// Command install-links is the Lambda function behind the install links:
// /v1/apps/{app_id}/install-link, /v1/apps/{app_id}/install-test and the
// public GET /install/{client_id}.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, srv := service.MustInit()
	lambda.Start(service.LambdaHandler(srv.Handler(srv.InstallLinksRoutes()), cfg.BasePath))
}
