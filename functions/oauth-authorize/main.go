// Command oauth-authorize is the Lambda function behind GET/POST
// /oauth/authorize (the consent page and its decision) and GET
// /favicon.ico.
//
// Unlike the other functions it does not use service.NewServer: it needs
// two store operations, not the hub. LOGIN_URL, when set, is where "Not
// you?" and the "Please log in" page send the browser.
package main

import (
	"os"

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
		LoginURL: os.Getenv("LOGIN_URL"), Logger: b.Logger, RequestID: httpapi.RequestID})
	lambda.Start(service.LambdaHandler(srv.Handler(srv.OAuthAuthorizeRoutes()), b.Config.BasePath))
}
