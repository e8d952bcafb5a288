package devhub

// CanInstall reports whether a user of company may install the app now:
// a draft only by its owner company ("Install & test"); a live private app
// and an approved public app (unpublished or published) by anyone. Errors:
// ENOTFOUND for a draft seen from another company (it is not shared, so it
// does not exist for them), ECONFLICT for an app in review.
func (a *App) CanInstall(companyID string) error {
	switch a.Status {
	case StatusDraft:
		if a.OwnedBy(companyID) {
			return nil
		}
		return Errorf(ENOTFOUND, "App %q was not found.", a.ClientID)
	case StatusLive, StatusUnpublished, StatusPublished:
		return nil
	}
	return Errorf(ECONFLICT, "The app is in review and cannot be installed until it is approved.")
}

// Shareable reports whether the app may be handed out through its
// installation link: a live private app, or an approved public app. Errors:
// ECONFLICT saying why not.
func (a *App) Shareable() error {
	switch {
	case a.Type == AppPrivate && a.Status == StatusLive,
		a.Type == AppPublic && (a.Status == StatusUnpublished || a.Status == StatusPublished):
		return nil
	case a.Status == StatusDraft && a.Type == AppPrivate:
		return Errorf(ECONFLICT, "A draft cannot be shared: change the app to live first (install it yourself with install-test).")
	case a.Status == StatusDraft:
		return Errorf(ECONFLICT, "A draft cannot be shared: send the app to review and have it approved first (install it yourself with install-test).")
	}
	return Errorf(ECONFLICT, "An app in review cannot be shared until a reviewer approves it.")
}
