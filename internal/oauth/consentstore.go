package oauth

import (
	"context"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo"
)

// ConsentStore is a Store for a process that serves only the consent page
// and its decision (the oauth-authorize function), made of the two
// functions those use; every token method fails.
//
// It exists for the binary's size: handing the *dynamo.Store itself to the
// Store interface would link every operation the interface names (the
// token endpoint's reads and transactions); method values carry only the
// two. (Under html/template it mattered more: its reflection kept every
// exported method of every type in an interface, the whole DynamoDB client.)
func ConsentStore(getApp func(ctx context.Context, clientID string) (*devhub.App, error),
	consent func(ctx context.Context, app *devhub.App, company, user string, code *devhub.AuthCode) error) Store {
	return consentStore{getApp, consent}
}

type consentStore struct {
	getApp  func(ctx context.Context, clientID string) (*devhub.App, error)
	consent func(ctx context.Context, app *devhub.App, company, user string, code *devhub.AuthCode) error
}

var errConsentOnly = devhub.Errorf(devhub.EINTERNAL, "this process serves only the consent page")

func (c consentStore) GetAppByClientID(ctx context.Context, clientID string) (*devhub.App, error) {
	return c.getApp(ctx, clientID)
}

func (c consentStore) Consent(ctx context.Context, app *devhub.App, company, user string, code *devhub.AuthCode) error {
	return c.consent(ctx, app, company, user, code)
}

func (consentStore) LookupCode(context.Context, string, string) (dynamo.CodeLookup, error) {
	return dynamo.CodeLookup{}, errConsentOnly
}

func (consentStore) ExchangeCode(context.Context, *devhub.AuthCode, string, *devhub.Token, *devhub.Token) error {
	return errConsentOnly
}

func (consentStore) RevokeGrant(context.Context, string, string, string, string) error {
	return errConsentOnly
}

func (consentStore) LookupToken(context.Context, string, string) (dynamo.TokenLookup, error) {
	return dynamo.TokenLookup{}, errConsentOnly
}

func (consentStore) IntrospectToken(context.Context, string, string, string, string, string) (dynamo.TokenLookup, error) {
	return dynamo.TokenLookup{}, errConsentOnly
}

func (consentStore) RefreshToken(context.Context, *devhub.Token, *devhub.Token, *devhub.Token, time.Time) error {
	return errConsentOnly
}

func (consentStore) DeleteAccessToken(context.Context, string, string) error { return errConsentOnly }

func (consentStore) EndInstallation(context.Context, *devhub.Token) error { return errConsentOnly }
