package console

import "github.com/devhub-oss/devhub/internal/devhub"

// ownerName is the developer company as last seen, by id.
func ownerName(a *devhub.App) string { return a.OwnerCompanyID }

// sentAt is when an app (or its changes) went to review.
func sentAt(a *devhub.App) string {
	if p := a.PendingChanges; p != nil && p.SubmittedAt != nil {
		return when(p.SubmittedAt)
	}
	t := a.UpdatedAt
	return when(&t)
}

// pendingExtensionWords says what a held extension write does.
func pendingExtensionWords(e devhub.PendingExtension) string {
	name := e.ID
	if e.Extension != nil {
		name = e.Extension.Name + " (" + string(e.Extension.Type) + ")"
	}
	return string(e.Op) + " " + name
}
