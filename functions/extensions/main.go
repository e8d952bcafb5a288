// Command extensions is the Lambda function behind /v1/apps/{app_id}/extensions:
// extension CRUD.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, srv := service.MustInit()
	srv.Hub.Schemas = jsonschema.New()
	lambda.Start(service.LambdaHandler(srv.Handler(srv.ExtensionsRoutes()), cfg.BasePath))
}
