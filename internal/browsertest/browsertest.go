// Package browsertest drives a real headless Chromium (Debian's, at
// /usr/bin/chromium) from Go tests, the way a person uses a page: it finds
// every control by its role and accessible name (CDP
// Accessibility.queryAXTree), types and clicks with real input events, runs
// axe-core on every page it lands on and fails the test on any violation or
// any CSP report, and keeps screenshots at desktop and phone width.
//
// Without Chromium the tests that use it skip with a message that says how
// to run them, unless DEVHUB_REQUIRE_BROWSER=1 (CI sets it), which turns
// the skip into a failure. It is test-only: nothing outside _test files
// imports it.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// RequireEnv, set to 1, makes a missing Chromium fail the test instead of
// skipping it (.ci/run sets it).
const RequireEnv = "DEVHUB_REQUIRE_BROWSER"

// Options configure a Browser.
type Options struct {
	// NoJavaScript turns the page's scripts off (axe still runs: it is
	// injected by the test, not by the page).
	NoJavaScript bool
	// NoScreenshots skips the screenshots of Check (a second run of the
	// same pages, e.g. without JavaScript).
	NoScreenshots bool
	// IgnoreCertificateErrors lets the browser open https pages whose CA it
	// does not know: the local runner's sample app (its CA is made under
	// .local/ and trusted by the runner only).
	IgnoreCertificateErrors bool
	// Shots names the folder (under build/screenshots of the module root)
	// that screenshots go to; "" takes the test's name.
	Shots string
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	t       testing.TB
	ctx     context.Context
	noJS    bool
	noShots bool
	shotDir string
	shotN   int

	mu      sync.Mutex
	reports []string // CSP reports and console errors since the last check
	// Pages lists every URL a check ran on, in order.
	Pages []string
}

// Start launches Chromium for t (skipping or failing t when there is none)
// and stops it when t ends.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		msg := fmt.Sprintf("%s is missing: install Debian's chromium (`sudo apt-get install -y --no-install-recommends chromium`) or run `make test-browser` as root, which installs it", ChromiumPath)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 800),
	}
	if o.IgnoreCertificateErrors {
		opts = append(opts, chromedp.IgnoreCertErrors)
	}
	// Chromium now and then exits while starting (seen once in a CI-like
	// run on an idle machine); a second start, in a fresh profile, is not a
	// retry of anything the test checks.
	var ctx context.Context
	for attempt := 1; ; attempt++ {
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		c, cancel := chromedp.NewContext(actx)
		err := chromedp.Do(c) // starts the browser
		if err == nil {
			ctx = c
			t.Cleanup(func() { cancel(); cancelAlloc() })
			break
		}
		cancel()
		cancelAlloc()
		if attempt == 2 {
			t.Fatalf("start chromium: %v", err)
		}
		t.Logf("chromium did not start, starting it once more: %v", err)
		opts = append(opts, chromedp.UserDataDir(filepath.Join(dir, "retry")))
	}
	b := &Browser{t: t, ctx: ctx, noJS: o.NoJavaScript, noShots: o.NoScreenshots}
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			// A refused form answers 4xx on purpose, and the browser guesses
			// /favicon.ico for pages that name no icon: network errors count
			// only for what a page itself loads from /static/.
			if e.Entry.Source == log.EntrySourceNetwork && !strings.Contains(e.Entry.URL, "/static/") {
				return
			}
			if e.Entry.Level == log.EntryLevelError || strings.Contains(e.Entry.Text, "Content Security Policy") {
				b.report("log: " + e.Entry.Text + " " + e.Entry.URL)
			}
		case *cdpruntime.EventExceptionThrown:
			b.report("exception: " + e.ExceptionDetails.Text)
		}
	})
	b.call(func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: o.NoJavaScript})
		return err
	})
	b.viewport(1280, 800, false)
	name := o.Shots
	if name == "" {
		name = regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	}
	b.shotDir = filepath.Join(moduleRoot(), "build", "screenshots", name)
	_ = os.RemoveAll(b.shotDir)
	return b
}

func (b *Browser) report(s string) {
	b.mu.Lock()
	b.reports = append(b.reports, s)
	b.mu.Unlock()
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// call runs f against the tab, failing the test on error.
func (b *Browser) call(f func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { return f(ctx) })); err != nil {
		b.t.Fatalf("chromium: %v (at %s)", err, b.URL())
	}
}

// SetCookie sets a cookie for url's host (the session cookie of a login).
func (b *Browser) SetCookie(url, name, value string) {
	b.t.Helper()
	b.call(func(ctx context.Context) error {
		httpOnly := true
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: url, Path: "/",
			HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax})
		return err
	})
}

// ClearCookies logs the browser out of everything.
func (b *Browser) ClearCookies() {
	b.call(func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	})
}

// Go opens url and waits for it to load.
func (b *Browser) Go(url string) {
	b.t.Helper()
	b.waitLoad(func(ctx context.Context) error {
		res, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: url})
		if err == nil && res.ErrorText != "" {
			err = fmt.Errorf("navigate %s: %s", url, res.ErrorText)
		}
		return err
	})
}

// waitLoad runs trigger and waits for the next page load.
func (b *Browser) waitLoad(trigger func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	loaded := chromedp.Events(ctx, page.LoadEventFired)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, page.Enable, page.EnableParams{}); err != nil {
			return err
		}
		return trigger(ctx)
	})); err != nil {
		b.t.Fatalf("chromium: %v", err)
	}
	for _, err := range loaded {
		if err != nil {
			b.t.Fatalf("waiting for the page to load: %v (at %s)", err, b.URL())
		}
		break
	}
}

// URL is the address of the page shown.
func (b *Browser) URL() string {
	var u string
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	_ = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
		if err == nil && int(res.CurrentIndex) < len(res.Entries) {
			u = res.Entries[res.CurrentIndex].URL
		}
		return err
	}))
	return u
}

// Element is a control found by role and name.
type Element struct {
	b    *Browser
	node *accessibility.Node
}

// find returns the controls with role and accessible name.
func (b *Browser) find(role, name string) []*accessibility.Node {
	b.t.Helper()
	var out []*accessibility.Node
	b.call(func(ctx context.Context) error {
		doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{})
		if err != nil {
			return err
		}
		res, err := chromedp.Call(ctx, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			BackendNodeID: doc.Root.BackendNodeID, AccessibleName: name, Role: role})
		if err != nil {
			return err
		}
		for _, n := range res.Nodes {
			if !n.Ignored && n.BackendDOMNodeID != 0 {
				out = append(out, n)
			}
		}
		return nil
	})
	return out
}

// Has reports whether the page has a control with role and name.
func (b *Browser) Has(role, name string) bool { return len(b.find(role, name)) > 0 }

// Get returns the one control with role and name; the test fails when
// there is none. With several, the first in document order is taken.
func (b *Browser) Get(role, name string) *Element {
	b.t.Helper()
	nodes := b.find(role, name)
	if len(nodes) == 0 {
		b.t.Fatalf("no %s named %q at %s; the page says:\n%s", role, name, b.URL(), b.Text())
	}
	return &Element{b: b, node: nodes[0]}
}

// Value is the control's value (a textbox's text).
func (e *Element) Value() string {
	if e.node.Value == nil {
		return ""
	}
	var s string
	_ = json.Unmarshal([]byte(e.node.Value.Value), &s)
	return s
}

// Property returns the control's AX property (e.g. "checked", "disabled").
func (e *Element) Property(name string) string {
	for _, p := range e.node.Properties {
		if string(p.Name) == name && p.Value != nil {
			return strings.Trim(string(p.Value.Value), `"`)
		}
	}
	return ""
}

// center scrolls the element into view and returns its middle.
func (e *Element) center(ctx context.Context) (float64, float64, error) {
	id := e.node.BackendDOMNodeID
	if _, err := chromedp.Call(ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
		return 0, 0, err
	}
	box, err := chromedp.Call(ctx, dom.GetBoxModel, dom.GetBoxModelParams{BackendNodeID: id})
	if err != nil {
		return 0, 0, err
	}
	q := box.Model.Border
	return (q[0] + q[2] + q[4] + q[6]) / 4, (q[1] + q[3] + q[5] + q[7]) / 4, nil
}

func (e *Element) press(ctx context.Context) error {
	x, y, err := e.center(ctx)
	if err != nil {
		return err
	}
	for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMouseMoved, input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		p := input.DispatchMouseEventParams{Type: typ, X: x, Y: y}
		if typ != input.DispatchMouseEventTypeMouseMoved {
			p.Button, p.ClickCount = input.MouseButtonLeft, 1
		}
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, p); err != nil {
			return err
		}
	}
	return nil
}

// Click clicks the control and waits for the page it leads to, then checks
// that page (axe, CSP) and takes its screenshots.
func (e *Element) Click() {
	e.b.t.Helper()
	e.b.waitLoad(e.press)
}

// Toggle clicks the control without waiting for a page (a checkbox, a menu,
// a script's button).
func (e *Element) Toggle() {
	e.b.t.Helper()
	e.b.call(e.press)
}

// Fill replaces the control's text with value, by keyboard.
func (e *Element) Fill(value string) {
	e.b.t.Helper()
	e.b.call(func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, dom.Focus, dom.FocusParams{BackendNodeID: e.node.BackendDOMNodeID}); err != nil {
			return err
		}
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			p := input.DispatchKeyEventParams{Type: typ, Key: "a", Code: "KeyA", WindowsVirtualKeyCode: 65}
			if typ == input.DispatchKeyEventTypeRawKeyDown {
				p.Commands = []string{"selectAll"}
			}
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		if value == "" {
			for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
				p := input.DispatchKeyEventParams{Type: typ, Key: "Delete", Code: "Delete", WindowsVirtualKeyCode: 46}
				if typ == input.DispatchKeyEventTypeRawKeyDown {
					p.Commands = []string{"deleteForward"}
				}
				if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, p); err != nil {
					return err
				}
			}
			return nil
		}
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: value})
		return err
	})
}

// Text is the page's visible text (document.body.innerText, read through
// the DOM so that it works with scripts off).
func (b *Browser) Text() string {
	var out string
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_ = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		return b.withScripts(ctx, func() error {
			res, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: "document.body ? document.body.innerText : ''", ReturnByValue: ptr(true)})
			if err == nil && res.Result != nil {
				_ = json.Unmarshal([]byte(res.Result.Value), &out)
			}
			return err
		})
	}))
	return out
}

// HTML is the page's markup as it is now.
func (b *Browser) HTML() string {
	var out string
	b.call(func(ctx context.Context) error {
		doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{})
		if err != nil {
			return err
		}
		res, err := chromedp.Call(ctx, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: doc.Root.BackendNodeID})
		out = res.OuterHTML
		return err
	})
	return out
}

// withScripts runs f with script execution on, for the test's own
// evaluations on a page whose scripts are off. The page's scripts do not
// run again: they ran (or not) when it loaded.
func (b *Browser) withScripts(ctx context.Context, f func() error) error {
	if b.noJS {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
			return err
		}
		defer chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}) //nolint:errcheck
	}
	return f()
}

func ptr[T any](v T) *T { return &v }

// viewport sets the page's size.
func (b *Browser) viewport(w, h int64, mobile bool) {
	b.call(func(ctx context.Context) error {
		scale := 1.0
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: w, Height: h, DeviceScaleFactor: scale, Mobile: mobile})
		return err
	})
}

// Screenshot saves the page at desktop (1280×800) and phone (390×844)
// width, whole page, as build/screenshots/<test>/<nn>-<name>-{desktop,phone}.png.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	if err := os.MkdirAll(b.shotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.shotN++
	for _, size := range []struct {
		label  string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		b.viewport(size.w, size.h, size.mobile)
		b.call(func(ctx context.Context) error {
			res, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: ptr(true)})
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(b.shotDir, fmt.Sprintf("%02d-%s-%s.png", b.shotN, name, size.label)), res.Data, 0o644)
		})
	}
	b.viewport(1280, 800, false)
}

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// AxePath is the pinned axe-core (infra/browser/package-lock.json).
func AxePath() string {
	return filepath.Join(moduleRoot(), "infra", "browser", "node_modules", "axe-core", "axe.min.js")
}

// Axe runs axe-core (every rule of its default set: WCAG 2.x A and AA and
// best practices) on the page and returns its violations, one line each.
func (b *Browser) Axe() []string {
	b.t.Helper()
	axeOnce.Do(func() {
		src, err := os.ReadFile(AxePath())
		axeSrc, axeErr = string(src), err
	})
	if axeErr != nil {
		b.t.Fatalf("axe-core is not installed (make deps runs npm ci in infra/browser): %v", axeErr)
	}
	var violations []axeViolation
	b.call(func(ctx context.Context) error {
		return b.withScripts(ctx, func() error {
			if _, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: axeSrc}); err != nil {
				return err
			}
			res, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{
				Expression:    `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
				AwaitPromise:  ptr(true),
				ReturnByValue: ptr(true),
			})
			if err != nil {
				return err
			}
			if res.ExceptionDetails != nil {
				return fmt.Errorf("axe: %s", res.ExceptionDetails.Text)
			}
			var raw string
			if err := json.Unmarshal([]byte(res.Result.Value), &raw); err != nil {
				return err
			}
			return json.Unmarshal([]byte(raw), &violations)
		})
	})
	var out []string
	for _, v := range violations {
		for _, n := range v.Nodes {
			out = append(out, fmt.Sprintf("%s (%s): %s %v", v.ID, v.Help, n.HTML, n.Target))
		}
	}
	return out
}

// Check runs axe-core on the page and fails the test on any violation, or
// on any CSP report or script error seen since the last check; then it
// takes the page's screenshots.
func (b *Browser) Check(name string) {
	b.t.Helper()
	url := b.URL()
	b.Pages = append(b.Pages, url)
	for _, v := range b.Axe() {
		b.t.Errorf("axe at %s: %s", url, v)
	}
	b.mu.Lock()
	reports := b.reports
	b.reports = nil
	b.mu.Unlock()
	for _, r := range reports {
		b.t.Errorf("browser report at %s: %s", url, r)
	}
	if !b.noShots {
		b.Screenshot(name)
	}
}

// WaitText waits (up to 5 s) until the page's text contains s: for what a
// script writes after a click that loads no page.
func (b *Browser) WaitText(s string) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.Text(), s) {
		if time.Now().After(deadline) {
			b.t.Fatalf("no %q at %s after 5 s; the page says:\n%s", s, b.URL(), b.Text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Eval evaluates the JavaScript expression expr on the page (with scripts
// on for it even when the page's are off) and decodes its JSON value into
// out: for what only layout knows (sizes, scroll widths, paint timings).
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	b.call(func(ctx context.Context) error {
		return b.withScripts(ctx, func() error {
			res, err := chromedp.Call(ctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: expr, ReturnByValue: ptr(true), AwaitPromise: ptr(true)})
			if err != nil {
				return err
			}
			if res.ExceptionDetails != nil {
				return fmt.Errorf("eval %s: %s", expr, res.ExceptionDetails.Text)
			}
			return json.Unmarshal([]byte(res.Result.Value), out)
		})
	})
}

// Viewport sets the page's size (mobile: a phone's, with touch); Check and
// Screenshot leave it at 1280×800 desktop.
func (b *Browser) Viewport(w, h int64, mobile bool) { b.viewport(w, h, mobile) }
