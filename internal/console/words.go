package console

import "github.com/devhub-oss/devhub/internal/devhub"

// The visible words of console.md: contract (people, docs and browser tests
// find controls by them), so they live here, once, and templates use these.
const (
	TextDeveloperHub     = "Developer Hub"
	TextCreateFirst      = "Create an app"
	TextCreateMore       = "+ Create an app"
	TextCreatePrivate    = "Create private app"
	TextCreatePublic     = "Create public app"
	TextTypeWarning      = "Pick your app type carefully: it cannot be changed later."
	TextNoSandbox        = "You must have a developer sandbox account to see Developer Hub."
	TextPleaseLogIn      = "Please log in"
	TextMoreActionsFor   = "More actions for "
	TextInstallTest      = "Install & test"
	TextInstallAndTest   = "Install and test"
	TextChangeToLive     = "Change to live"
	TextLiveIrreversible = "Live private apps cannot be reverted to draft."
	TextShareApp         = "Share app"
	TextSendToReview     = "Send to review"
	TextPublish          = "Publish"
	TextUnpublish        = "Unpublish"
	TextDeleteApp        = "Delete app"
	TextSave             = "Save"
	TextPreviewChanges   = "Preview changes"
	TextApplyManifest    = "Apply"
	TextCloseSettings    = "Close app settings"
	TextReason           = "Reason"
	TextDeleteWarning    = "The app will be uninstalled from every company that has it. This cannot be undone."
	TextApprove          = "Approve"
	TextReject           = "Reject"
	TextChangesWaiting   = "Changes waiting for review"
	TextSendChanges      = "Send changes to review"
	TextCopy             = "Copy"
	TextShow             = "Show"
	TextHide             = "Hide"
	TextRotateSecret     = "Rotate secret"
	TextRedeliver        = "Redeliver"
	TextNoDeliveries     = "No deliveries yet. When a company uninstalls the app, or the app is deleted, each uninstall notification sent to the callback URL is listed here for 30 days."
	TextMoreDeliveries   = "Older deliveries"

	// The marketplace (marketplace.templ, installed.templ).
	TextMarketplace     = "Marketplace"
	TextMarketplaceLead = "Apps that work with your CRM, built by developers on the platform."
	TextNoMarketApps    = "No apps are listed yet. Public apps appear here once their developers publish them."
	TextMoreApps        = "More apps"
	TextInstall         = "Install"
	TextFeatures        = "Features"
	TextNoFeatures      = "This app adds nothing to the pages of the CRM: it works through the API only."
	TextInstalledApps   = "Installed apps"
	TextNoInstalled     = "You have not installed any apps. Apps you install from the marketplace or from an installation link are listed here."
	TextMoreInstalled   = "More installed apps"
	TextUninstall       = "Uninstall"
	TextUninstallWhat   = "The app stops working for you at once: its access to your data ends, and the app is told that you uninstalled it. Other people in your company keep their own installations. You can install it again later."
	TextCancel          = "Cancel"

	TabBasicInfo   = "Basic info"
	TabOAuth       = "OAuth & access scopes"
	TabExtensions  = "App extensions"
	TabGeneralInfo = "General info"
	TabReview      = "Review"
	TabManifest    = "App manifest"
	TabDeliveries  = "Deliveries"

	LabelAppName         = "App name"
	LabelCallbackURL     = "Callback URL"
	HintCallbackURL      = "One URL per app. While the app is a draft it may be a URL that does not work yet."
	LabelAccessScopes    = "Access scopes"
	LabelInstallationURL = "Installation URL"
	HintInstallationURL  = "Optional: where an install starts instead of the consent page. Your site then sends the user to the consent page with a state."
	LabelClientID        = "Client ID"
	LabelClientSecret    = "Client secret"
	LabelGracePeriod     = "Grace period"
	LabelInstallLink     = "Installation link"
)

// statusWords are the status pills' words.
var statusWords = map[devhub.AppStatus]string{
	devhub.StatusDraft: "Draft", devhub.StatusLive: "Live", devhub.StatusReview: "In review",
	devhub.StatusUnpublished: "Unpublished", devhub.StatusPublished: "Published",
}

// deliveryWords are the delivery states' words.
var deliveryWords = map[devhub.DeliveryState]string{
	devhub.DeliveryPending: "Pending", devhub.DeliveryDelivered: "Delivered",
	devhub.DeliveryRetrying: "Retrying", devhub.DeliveryFailed: "Failed",
}

// typeWords are the app types' words.
var typeWords = map[devhub.AppType]string{devhub.AppPrivate: "Private", devhub.AppPublic: "Public"}

// fieldLabels name the API's fields as the forms label them, for the error
// summary and the messages beside the fields.
var fieldLabels = map[string]string{
	"name": LabelAppName, "callback_url": LabelCallbackURL, "scopes": LabelAccessScopes,
	"installation_url": LabelInstallationURL, "reason": TextReason, "grace_period_seconds": LabelGracePeriod,
	"listing.summary": "Summary", "listing.description": "Description", "listing.icon_url": "Icon URL",
	"listing.image_urls": "Image URLs", "listing.video_url": "Video link", "listing.support_url": "Support URL",
	"listing.privacy_policy_url": "Privacy policy URL",
}
