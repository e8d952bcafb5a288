package console_test

import (
	"testing"

	"github.com/devhub-oss/devhub/internal/browsertest"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// TestBrowserTabsOnPhone: at 390 px the app's tabs wrap instead of
// scrolling sideways, so the current one — the last, Deliveries, included —
// is on screen without JavaScript, and every tab is a 44 px touch target.
func TestBrowserTabsOnPhone(t *testing.T) {
	e := newEnv(t)
	a := e.createApp(t, alice, devhub.AppPrivate, "Deal forecaster")
	b := browsertest.Start(t, browsertest.Options{NoJavaScript: true, NoScreenshots: true})
	e.login(t, b, alice)
	b.Viewport(390, 844, true)
	for _, tab := range []string{"basic-info", "deliveries"} {
		b.Go(e.srv.URL + "/hub/apps/" + a.ID + "/" + tab)
		var got struct {
			Left, Right, Width, Scroll, Client, Shortest float64
		}
		b.Eval(`(() => {
			const cur = document.querySelector('.tabs a[aria-current=page]').getBoundingClientRect();
			const tabs = document.querySelector('.tabs');
			const heights = [...tabs.querySelectorAll('a')].map(a => a.getBoundingClientRect().height);
			return {Left: cur.left, Right: cur.right, Width: window.innerWidth,
				Scroll: tabs.scrollWidth, Client: tabs.clientWidth, Shortest: Math.min(...heights)};
		})()`, &got)
		if got.Left < 0 || got.Right > got.Width {
			t.Errorf("%s: the current tab spans %.0f–%.0f px of a %.0f px screen", tab, got.Left, got.Right, got.Width)
		}
		if got.Scroll > got.Client {
			t.Errorf("%s: the tabs scroll sideways (%.0f px in %.0f px)", tab, got.Scroll, got.Client)
		}
		if got.Shortest < 44 {
			t.Errorf("%s: a tab is %.0f px high, want ≥ 44", tab, got.Shortest)
		}
	}
}
