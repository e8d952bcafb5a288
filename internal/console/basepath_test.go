package console_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/service"
)

// frontDoor is one way a browser reaches the console function, and the
// prefix its paths then have in front of the console's routes.
type frontDoor struct {
	name, domain, stage, basePath, prefix string
}

var frontDoors = []frontDoor{
	{"execute-api stage prod", "abc123.execute-api.us-east-1.amazonaws.com", "prod", "", "/prod"},
	{"custom domain mapped at /devhub", "crm.example.com", "prod", "/devhub", "/devhub"},
	{"execute-api $default stage", "abc123.execute-api.us-east-1.amazonaws.com", "$default", "", ""},
}

// urlAttr finds every attribute of a page that can hold a URL.
var urlAttr = regexp.MustCompile(`\s(href|src|action|formaction|poster|data-[a-z-]+)="([^"]*)"`)

// TestRenderedPathsCarryBasePath renders every kind of console page
// through service.LambdaHandler with API Gateway v2 events of three front
// doors (the stage on the execute-api URL, a custom domain's API mapping,
// $default) and checks that every same-origin path the page renders —
// href, src, action, formaction, data-* — and every Location starts with
// the front door's prefix; then it follows every GET link and asset of
// the pages through the same handler (none may be 404 or 5xx), and posts
// one form (CSRF token bound to the cut path) to the prefixed action.
func TestRenderedPathsCarryBasePath(t *testing.T) {
	e := newEnv(t, envOptions{loginURL: "/dev/login"})
	ctx := context.Background()
	draft := e.createApp(t, alice, devhub.AppPrivate, "Prefix draft")
	pub := e.publishApp(t, alice, "Prefix market", []string{"contacts:read"})
	inReview := e.createApp(t, alice, devhub.AppPublic, "Prefix review")
	if _, err := e.hub.PatchApp(ctx, alice, inReview.ID, devhub.AppPatch{Listing: devhub.Optional[devhub.ListingPatch]{Set: true, Value: marketListing("Prefix review")}}, hub.IfMatch{}); err != nil {
		t.Fatal(err)
	}
	e.move(t, alice, inReview.ID, devhub.MoveReview)
	inst := e.install(t, customer, pub)

	raw, err := os.ReadFile("../../infra/events/console-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		who  *devhub.Identity
		path string
		want int
	}
	app, pubApp := "/hub/apps/"+draft.ID+"/", "/hub/apps/"+pub.ID+"/"
	pages := []page{
		{&alice, "/hub", 200}, {&alice, "/hub/new", 200}, {&alice, "/hub/new/private", 200},
		{&alice, app + "basic-info", 200}, {&alice, app + "oauth", 200}, {&alice, app + "extensions", 200},
		{&alice, app + "extensions/new?type=floating_window", 200}, {&alice, app + "manifest", 200},
		{&alice, app + "deliveries", 200}, {&alice, app + "delete", 200},
		{&alice, pubApp + "basic-info", 200}, {&alice, pubApp + "general-info", 200}, {&alice, pubApp + "review", 200},
		{nil, "/marketplace", 200}, {&customer, "/marketplace", 200}, {&customer, "/marketplace/apps/" + pub.ID, 200},
		{&customer, "/marketplace/installed", 200}, {&customer, "/marketplace/installed/" + inst.ID + "/uninstall", 200},
		{&reviewer, "/hub/review", 200}, {&reviewer, "/hub/review/" + inReview.ID, 200},
		{&alice, "/hub/apps/app_nope/basic", 404}, {nil, "/marketplace/apps/app_nope", 404}, {&bob, app + "basic-info", 404},
		{&customer, "/hub/review", 403},
		{nil, app + "basic-info?confirm=live", 302}, // the login redirect
	}
	for _, d := range frontDoors {
		t.Run(d.name, func(t *testing.T) {
			h := service.LambdaHandler(e.console.Handler(e.console.Routes()), d.basePath)
			invoke := func(who *devhub.Identity, method, path string, body url.Values) events.APIGatewayV2HTTPResponse {
				t.Helper()
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				p, q, _ := strings.Cut(path, "?")
				ev.RawPath, ev.RawQueryString = d.prefix+p, q
				ev.RouteKey, ev.RequestContext.RouteKey = "ANY /{proxy+}", "ANY /{proxy+}"
				ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, d.prefix+p
				ev.RequestContext.DomainName, ev.RequestContext.Stage, ev.Headers["host"] = d.domain, d.stage, d.domain
				ev.Cookies = nil
				if who != nil {
					ev.Cookies = []string{"devhub_session=" + cookieOf(t, *who)}
				}
				if body != nil {
					ev.Body = body.Encode()
					ev.Headers["content-type"] = "application/x-www-form-urlencoded"
					ev.Headers["origin"] = "https://" + d.domain
					ev.Headers["sec-fetch-site"] = "same-origin"
				}
				res, err := h(ctx, ev)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			// site is a rendered same-origin path as the route sees it; it
			// fails the test when the prefix is missing.
			site := func(where, v string) (string, bool) {
				t.Helper()
				if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
					return "", false
				}
				rest, ok := strings.CutPrefix(v, d.prefix)
				if !ok || !strings.HasPrefix(rest, "/") {
					t.Errorf("%s: %q lacks the prefix %q", where, v, d.prefix)
					return "", false
				}
				return rest, true
			}
			checked, followed := 0, 0
			links := map[string]*devhub.Identity{}
			for _, pg := range pages {
				res := invoke(pg.who, http.MethodGet, pg.path, nil)
				if res.StatusCode != pg.want {
					t.Errorf("GET %s: %d, want %d", pg.path, res.StatusCode, pg.want)
				}
				if loc := res.Headers["Location"]; loc != "" {
					checked++
					want := d.prefix + "/dev/login?return_to=" + url.QueryEscape(d.prefix+pg.path)
					if loc != want {
						t.Errorf("GET %s: Location %q, want %q", pg.path, loc, want)
					}
					continue
				}
				n := 0
				for _, m := range urlAttr.FindAllStringSubmatch(res.Body, -1) {
					v := html.UnescapeString(m[2])
					if rest, ok := site(pg.path+" "+m[1], v); ok {
						n++
						if m[1] == "href" || m[1] == "src" {
							if _, seen := links[rest]; !seen {
								links[rest] = pg.who
							}
						}
					}
				}
				if n == 0 {
					t.Errorf("GET %s: no same-origin URL rendered (not even the stylesheet)", pg.path)
				}
				checked += n
			}
			// Follow every link and asset, as whoever saw it first.
			paths := make([]string, 0, len(links))
			for p := range links {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, p := range paths {
				if strings.HasSuffix(p, "/install-test") {
					continue // leaves for the CRM's install link
				}
				res := invoke(links[p], http.MethodGet, p, nil)
				followed++
				if res.StatusCode == 404 || res.StatusCode >= 500 {
					t.Errorf("following %s: %d", p, res.StatusCode)
				}
				if loc := res.Headers["Location"]; loc != "" {
					site("Location of "+p, loc)
				}
			}
			// One form, posted where the page says, with its token.
			form := invoke(&alice, http.MethodGet, "/hub/new/private", nil).Body
			action := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(form)
			token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(form)
			if action == nil || token == nil {
				t.Fatalf("no form in %s", form)
			}
			to, _ := site("form action", html.UnescapeString(action[1]))
			res := invoke(&alice, http.MethodPost, to, url.Values{"name": {"Posted " + d.stage}, "callback_url": {e.cb.URL + "/callback"},
				"csrf_token": {html.UnescapeString(token[1])}})
			loc, ok := site("Location after the POST", res.Headers["Location"])
			if res.StatusCode != http.StatusSeeOther || !ok || !strings.HasPrefix(loc, "/hub/apps/") {
				t.Fatalf("POST %s: %d %v %s", to, res.StatusCode, res.Headers, res.Body)
			}
			if res := invoke(&alice, http.MethodGet, loc, nil); res.StatusCode != 200 {
				t.Errorf("GET %s after the POST: %d", loc, res.StatusCode)
			}
			t.Logf("%s: %d pages, %d URLs checked, %d links followed", d.name, len(pages), checked, followed)
		})
	}
}
