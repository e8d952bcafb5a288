package console

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// Hub is what the console's pages need of the use cases (*hub.Hub): each
// page calls one or two of them. The use cases authorise (sandbox companies
// only; another company's app is ENOTFOUND), validate, probe and write; the
// console only turns forms into their inputs and their answers into pages.
type Hub interface {
	CreateApp(ctx context.Context, id devhub.Identity, in devhub.NewAppInput, idem hub.Idempotency[*devhub.App]) (*devhub.App, *hub.Answer, error)
	ListApps(ctx context.Context, id devhub.Identity, page hub.PageRequest) (devhub.Page[*devhub.App], error)
	GetApp(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, error)
	PatchApp(ctx context.Context, id devhub.Identity, appID string, patch devhub.AppPatch, ifMatch hub.IfMatch) (*devhub.App, error)
	DeleteApp(ctx context.Context, id devhub.Identity, appID string, in hub.DeleteAppInput) error
	Move(ctx context.Context, id devhub.Identity, appID string, m devhub.Move, in hub.MoveInput) (*devhub.App, error)
	ReviewQueue(ctx context.Context, id devhub.Identity, page hub.PageRequest) (devhub.Page[*devhub.App], error)
	RotateSecret(ctx context.Context, id devhub.Identity, appID string, in hub.RotateInput, idem hub.Idempotency[*hub.RotatedSecret]) (*hub.RotatedSecret, *hub.Answer, error)
	InstallLink(ctx context.Context, id devhub.Identity, appID string) (string, error)
	InstallTest(ctx context.Context, id devhub.Identity, appID string) (string, error)
	ReviewApp(ctx context.Context, id devhub.Identity, appID string) (*devhub.App, []*devhub.Extension, error)
	ExportManifest(ctx context.Context, id devhub.Identity, appID string) (*devhub.Manifest, int, error)
	ApplyManifest(ctx context.Context, id devhub.Identity, appID string, m *devhub.Manifest, in hub.ApplyManifestInput) (*hub.ManifestResult, error)
	ExtensionHub // the App extensions tab (extensions.go)
	AppDeliveries(ctx context.Context, id devhub.Identity, appID string, page hub.PageRequest) (*devhub.App, devhub.Page[*devhub.Delivery], error)
	Redeliver(ctx context.Context, id devhub.Identity, appID, deliveryID string) (*devhub.Delivery, error)
	MarketplaceHub // the marketplace pages (marketplace.go, installed.go)
}

// MarketplaceHub is what the marketplace pages need: the public listing,
// and the caller's own installations.
type MarketplaceHub interface {
	MarketplaceApps(ctx context.Context, page hub.PageRequest) (devhub.Page[*devhub.App], error)
	MarketplaceApp(ctx context.Context, appID string) (*devhub.App, []*devhub.Extension, error)
	MarketplaceInstallURL(a *devhub.App) (string, error)
	InstalledApps(ctx context.Context, id devhub.Identity, page hub.PageRequest) (devhub.Page[hub.InstalledApp], error)
	InstalledAppOf(ctx context.Context, id devhub.Identity, installationID string) (hub.InstalledApp, error)
	Uninstall(ctx context.Context, id devhub.Identity, installationID string) error
}

var _ Hub = (*hub.Hub)(nil)
