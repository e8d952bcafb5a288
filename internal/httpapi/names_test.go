package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// TestOwnerCompanyName: an app keeps its owner company's name as the
// owner's last write saw it: create, patch and status moves by the owner's
// users note it; a token without a name keeps it; a reviewer's move (another
// company) never changes it; an app never named shows null.
func TestOwnerCompanyName(t *testing.T) {
	e := newEnv(t)
	base, _ := callbackServers(t, e)
	named := func(name string) *devhub.Identity {
		id := alice
		id.Name, id.CompanyName = "Alice Adams", name
		return &id
	}
	ownerName := func(res *response) any {
		t.Helper()
		var v map[string]any
		res.decode(t, &v)
		return v["owner_company_name"]
	}
	var a devhub.App
	res := e.do(t, "POST", "/v1/apps", named("Acme Inc."), map[string]any{"type": "public", "name": "Named", "callback_url": base + "/ok"}).
		want(t, http.StatusCreated)
	res.decode(t, &a)
	if got := ownerName(res); got != "Acme Inc." {
		t.Fatalf("create: %v", got)
	}
	if got := ownerName(e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK)); got != "Acme Inc." {
		t.Errorf("read back by a token without names: %v", got)
	}
	if got := ownerName(e.do(t, "PATCH", "/v1/apps/"+a.ID, &alice, map[string]any{"listing": completeListing(base)}).want(t, http.StatusOK)); got != "Acme Inc." {
		t.Errorf("a patch without names keeps it: %v", got)
	}
	if got := ownerName(e.do(t, "PATCH", "/v1/apps/"+a.ID, named("Acme Corp"), map[string]any{"name": "Named 2"}).want(t, http.StatusOK)); got != "Acme Corp" {
		t.Errorf("a patch with a new name: %v", got)
	}
	if got := ownerName(e.move(t, *named("Acme Ltd"), a.ID, "review", nil).want(t, http.StatusOK)); got != "Acme Ltd" {
		t.Errorf("a move by the owner: %v", got)
	}
	rev := reviewer
	rev.CompanyName = "The platform"
	e.move(t, rev, a.ID, "approve", nil).want(t, http.StatusOK)
	if got := ownerName(e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK)); got != "Acme Ltd" {
		t.Errorf("a reviewer's move changed it: %v", got)
	}
	// A refused write changes nothing.
	e.do(t, "PATCH", "/v1/apps/"+a.ID, named("Nope"), map[string]any{"name": ""}).want(t, http.StatusUnprocessableEntity)
	if got := ownerName(e.do(t, "GET", "/v1/apps/"+a.ID, &alice, nil).want(t, http.StatusOK)); got != "Acme Ltd" {
		t.Errorf("a refused patch changed it: %v", got)
	}
	if got := ownerName(e.do(t, "POST", "/v1/apps", &bob, validApp()).want(t, http.StatusCreated)); got != nil {
		t.Errorf("never named: %v, want null", got)
	}
}
