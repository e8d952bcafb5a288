package hub

import (
	"context"
	"slices"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// AppSettings is what an app's settings pages show, read in one Query.
type AppSettings struct {
	App *devhub.App
	// Live are the extensions in effect now, oldest first.
	Live []*devhub.Extension
	// Extensions are Live with the held writes applied: what the app will
	// have once its pending changes are approved (Live itself when it holds
	// none). Limits are counted on them, as the next write is.
	Extensions []*devhub.Extension
	// Held are the held extension writes, in the order made.
	Held []devhub.PendingExtension
	// Usage is how Extensions use the app's limits.
	Usage Usage
}

// AppSettings returns one of the caller's apps with its extensions and
// their slot usage: one Query. Errors: EFORBIDDEN, ENOTFOUND.
func (h *Hub) AppSettings(ctx context.Context, id devhub.Identity, appID string) (*AppSettings, error) {
	if err := CheckExtensionTarget(id, appID, ""); err != nil {
		return nil, err
	}
	a, live, err := h.Extensions.AppExtensions(ctx, id.CompanyID, appID)
	if err != nil {
		return nil, err
	}
	return settingsOf(a, live), nil
}

func settingsOf(a *devhub.App, live []*devhub.Extension) *AppSettings {
	s := &AppSettings{App: a, Live: live, Extensions: a.EffectiveExtensions(live)}
	if a.PendingChanges != nil {
		s.Held = a.PendingChanges.Extensions
	}
	s.Usage = UsageOf(s.Extensions)
	return s
}

// Usage is how an app's extensions use its limits (domain.md): link
// actions, JSON modals and custom modals together at most 3 per view and 21
// per app; panels (JSON or custom) at most 1 per panel location; 1 floating
// window; 1 settings page. It counts as the store's slots do.
type Usage struct {
	Actions         SlotUsage    // link actions, JSON modals and custom modals of the app
	Views           []PlaceUsage // per view, in devhub.Views() order
	Panels          []PlaceUsage // per panel location, in devhub.PanelLocations() order
	FloatingWindows SlotUsage
	SettingsPages   SlotUsage
}

// SlotUsage is one limit: Used of Max.
type SlotUsage struct {
	Used, Max int
}

// Full reports whether the limit is reached.
func (u SlotUsage) Full() bool { return u.Used >= u.Max }

// PlaceUsage is the limit of one view or panel location.
type PlaceUsage struct {
	Place string // a view or panel location name (devhub.Views, devhub.PanelLocations)
	SlotUsage
}

// UsageOf counts how exts use the limits of the app they belong to.
func UsageOf(exts []*devhub.Extension) Usage {
	views := map[string]int{}
	panels := map[string]int{}
	u := Usage{
		Actions:         SlotUsage{Max: devhub.MaxActionsPerApp},
		FloatingWindows: SlotUsage{Max: devhub.MaxFloatingWindows},
		SettingsPages:   SlotUsage{Max: devhub.MaxSettingsPages},
	}
	for _, e := range exts {
		switch e.Type {
		case devhub.ExtLinkAction, devhub.ExtJSONModal, devhub.ExtCustomModal:
			u.Actions.Used++
			places := e.Locations
			if e.Type == devhub.ExtCustomModal {
				places = e.EntryPoints
			}
			for _, v := range distinct(places) {
				views[v]++
			}
		case devhub.ExtJSONPanel, devhub.ExtCustomPanel:
			for _, l := range distinct(e.Locations) {
				panels[l]++
			}
		case devhub.ExtFloatingWindow:
			u.FloatingWindows.Used++
		case devhub.ExtSettingsPage:
			u.SettingsPages.Used++
		}
	}
	for _, v := range devhub.Views() {
		u.Views = append(u.Views, PlaceUsage{Place: v, SlotUsage: SlotUsage{Used: views[v], Max: devhub.MaxActionsPerView}})
	}
	for _, l := range devhub.PanelLocations() {
		u.Panels = append(u.Panels, PlaceUsage{Place: l, SlotUsage: SlotUsage{Used: panels[l], Max: devhub.MaxPanelsPerLocation}})
	}
	return u
}

func distinct(s []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(s)))
}

func allFull(places []PlaceUsage) bool {
	for _, p := range places {
		if !p.Full() {
			return false
		}
	}
	return true
}

// CanAdd returns nil when one more extension of type t fits somewhere, else
// ECONFLICT saying which limit is reached (the reason beside a disabled
// "Add …" button). A write may still be refused for the places it names.
func (u Usage) CanAdd(t devhub.ExtensionType) error {
	switch t {
	case devhub.ExtLinkAction, devhub.ExtJSONModal, devhub.ExtCustomModal:
		if u.Actions.Full() {
			return devhub.Errorf(devhub.ECONFLICT, "The app already has %d link actions, JSON modals and custom modals, the most it may have.", u.Actions.Max)
		}
		// A custom modal may have no entry point (opened from the SDK only).
		if t != devhub.ExtCustomModal && allFull(u.Views) {
			return devhub.Errorf(devhub.ECONFLICT, "Every view already has %d link actions, JSON modals and custom modals, the most one view may have.", devhub.MaxActionsPerView)
		}
	case devhub.ExtJSONPanel, devhub.ExtCustomPanel:
		if allFull(u.Panels) {
			return devhub.Errorf(devhub.ECONFLICT, "Every detail view already has a panel of this app; each holds at most %d panel per app.", devhub.MaxPanelsPerLocation)
		}
	case devhub.ExtFloatingWindow:
		if u.FloatingWindows.Full() {
			return devhub.Errorf(devhub.ECONFLICT, "The app already has a floating window; an app may have at most %d.", u.FloatingWindows.Max)
		}
	case devhub.ExtSettingsPage:
		if u.SettingsPages.Full() {
			return devhub.Errorf(devhub.ECONFLICT, "The app already has a settings page; an app may have at most %d.", u.SettingsPages.Max)
		}
	}
	return nil
}
