// Command oauth-authorize is the Lambda function behind GET/POST
// /oauth/authorize: the consent page and its decision.
//
// Unlike the other functions it does not use service.NewServer: that hands
// the *dynamo.Store to the server's interfaces, and html/template's
// reflection would then keep every DynamoDB client operation in the binary
// (12 MB instead of under 10; see oauth.ConsentStore).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/oauth"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	b := service.MustBase()
	srv := &httpapi.Server{Verifier: b.Verifier, Logger: b.Logger}
	srv.OAuth = oauth.New(oauth.Options{Store: oauth.ConsentStore(b.Store.GetAppByClientID, b.Store.Consent),
		Verifier: b.Verifier, Issuer: b.Config.IssuerURL, APIDomain: b.Config.APIDomain, Secrets: b.Keys,
		Logger: b.Logger, RequestID: httpapi.RequestID})
	lambda.Start(service.LambdaHandler(srv.Handler(srv.OAuthAuthorizeRoutes()), b.Config.BasePath))
}
