// Command console is the Lambda function behind the Developer Hub console's
// pages (/hub…, /marketplace…, /static/…; console.md): the HTML adapter
// over the same use cases (internal/hub) as the JSON API.
//
// It does not use service.NewServer: the console needs no JSON router, and
// building only what its pages call keeps the binary and its init small.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/jsonschema"
	"github.com/devhub-oss/devhub/internal/notify"
	"github.com/devhub-oss/devhub/internal/probe"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	b := service.MustBase()
	cfg, store := b.Config, b.Store
	guarded := probe.New(probe.Options{})
	h := &hub.Hub{Apps: store, Extensions: store, Installations: store, Clients: store, Manifests: store,
		Schemas: jsonschema.New(), // the App manifest tab checks extension documents
		Prober:  guarded, IssuerURL: cfg.IssuerURL, Now: time.Now,
		// the Deliveries tab lists and redelivers through the SSRF-guarded client
		Deliveries: store, Notifier: &notify.Sender{Client: guarded.Client()}}
	c := console.New(console.Options{Hub: h, Verifier: b.Verifier, CSRFKeys: console.CSRFKeysFrom(b.Keys.Current),
		LoginURL: os.Getenv("LOGIN_URL"), Logger: b.Logger, RequestID: httpapi.RequestID})
	lambda.Start(service.LambdaHandler(c.Handler(c.Routes()), cfg.BasePath))
}
