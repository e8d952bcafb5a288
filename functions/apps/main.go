// Command apps is the Lambda function behind /v1/apps: app CRUD.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	cfg, srv := service.MustInit()
	srv.Hub.Schemas = jsonschema.New() // manifests carry extension documents
	lambda.Start(service.LambdaHandler(srv.Handler(srv.AppsRoutes()), cfg.BasePath))
}
