package service_test

import (
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/console"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/httpapi"
	"gopkg.in/yaml.v3"
)

const templatePath = "../../template.yaml"

// logicalID is the template resource of the function in functions/<dir>.
func logicalID(dir string) string {
	var b strings.Builder
	for _, part := range strings.Split(dir, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// TestTemplateFunctions: every function folder has a resource, a Makefile
// build target that builds that folder, and exactly its routes as HttpApi
// events; no resource lacks a folder. (template.yaml is read as YAML:
// goformation rejects a function's LoggingConfig.)
func TestTemplateFunctions(t *testing.T) {
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httpapi.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	routes := srv.FunctionRoutes()
	fns := templateFunctions(t)
	seen := map[string]bool{}
	for _, d := range dirs {
		id := logicalID(d.Name())
		seen[id] = true
		fn, ok := fns[id]
		if !ok {
			t.Errorf("functions/%s has no %s in template.yaml", d.Name(), id)
			continue
		}
		build := regexp.MustCompile(`(?m)^build-` + id + `:\n\t.*\./functions/` + regexp.QuoteMeta(d.Name()) + `\b`)
		if !build.Match(makefile) {
			t.Errorf("Makefile has no build-%s target that builds ./functions/%s", id, d.Name())
		}
		var inTemplate, inCode []string
		if evs := mapGet(mapGet(fn, "Properties"), "Events"); evs != nil {
			for j := 1; j < len(evs.Content); j += 2 {
				ev := evs.Content[j]
				if scalar(mapGet(ev, "Type")) == "HttpApi" {
					p := mapGet(ev, "Properties")
					inTemplate = append(inTemplate, scalar(mapGet(p, "Method"))+" "+scalar(mapGet(p, "Path")))
				}
			}
		}
		for _, r := range routes[d.Name()] {
			inCode = append(inCode, r.Method+" "+r.Pattern)
		}
		if d.Name() == "console" {
			// The console routes with greedy paths (api.md): its events
			// are those, and every page it serves falls under one.
			inCode = append(inCode, console.GatewayRoutes...)
			checkConsoleRoutes(t)
		}
		sort.Strings(inTemplate)
		sort.Strings(inCode)
		if !slices.Equal(inTemplate, inCode) {
			t.Errorf("%s: HttpApi events %v, routes in code %v", id, inTemplate, inCode)
		}
	}
	for id := range fns {
		if !seen[id] {
			t.Errorf("%s has no folder under functions/", id)
		}
	}
}

// checkConsoleRoutes: each console page's method and path lies under one of
// the console's gateway routes (an exact path, or a {proxy+} prefix).
func checkConsoleRoutes(t *testing.T) {
	t.Helper()
	c := console.New(console.Options{})
	for _, r := range c.Routes() {
		covered := false
		for _, g := range console.GatewayRoutes {
			method, path, _ := strings.Cut(g, " ")
			if method != r.Method {
				continue
			}
			if prefix, ok := strings.CutSuffix(path, "{proxy+}"); ok {
				covered = covered || strings.HasPrefix(r.Pattern, prefix)
			} else {
				covered = covered || r.Pattern == path
			}
		}
		if !covered {
			t.Errorf("console route %s %s is under no HttpApi event of ConsoleFunction", r.Method, r.Pattern)
		}
	}
}

// templateFunctions returns the AWS::Serverless::Function resources of
// template.yaml by logical id.
func templateFunctions(t *testing.T) map[string]*yaml.Node {
	t.Helper()
	resources := templateNode(t, "Resources")
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		if scalar(mapGet(resources.Content[i+1], "Type")) == "AWS::Serverless::Function" {
			out[resources.Content[i].Value] = resources.Content[i+1]
		}
	}
	return out
}

// templateNode returns the YAML node at path below the template's root.
func templateNode(t *testing.T, path ...string) *yaml.Node {
	t.Helper()
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := doc.Content[0]
	for _, key := range path {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			t.Fatalf("template.yaml has no %s", strings.Join(path, "."))
		}
		n = next
	}
	return n
}

// TestTemplateTable: the deployed table is the one the local runner and the
// tests create (dynamo.TableDefinition), plus TTL and point-in-time recovery.
func TestTemplateTable(t *testing.T) {
	var props struct {
		BillingMode          string `yaml:"BillingMode"`
		AttributeDefinitions []struct {
			AttributeName string `yaml:"AttributeName"`
			AttributeType string `yaml:"AttributeType"`
		} `yaml:"AttributeDefinitions"`
		KeySchema              []keyElem `yaml:"KeySchema"`
		GlobalSecondaryIndexes []struct {
			IndexName  string    `yaml:"IndexName"`
			KeySchema  []keyElem `yaml:"KeySchema"`
			Projection struct {
				ProjectionType string `yaml:"ProjectionType"`
			} `yaml:"Projection"`
		} `yaml:"GlobalSecondaryIndexes"`
		StreamSpecification struct {
			StreamViewType string `yaml:"StreamViewType"`
		} `yaml:"StreamSpecification"`
		TimeToLiveSpecification struct {
			AttributeName string `yaml:"AttributeName"`
			Enabled       bool   `yaml:"Enabled"`
		} `yaml:"TimeToLiveSpecification"`
		PointInTimeRecoverySpecification struct {
			PointInTimeRecoveryEnabled bool `yaml:"PointInTimeRecoveryEnabled"`
		} `yaml:"PointInTimeRecoverySpecification"`
	}
	if err := templateNode(t, "Resources", "Table", "Properties").Decode(&props); err != nil {
		t.Fatal(err)
	}
	want := dynamo.TableDefinition("x")
	if got := props.BillingMode; got != string(want.BillingMode) {
		t.Errorf("BillingMode: got %s, want %s", got, want.BillingMode)
	}
	var gotAttrs, wantAttrs []string
	for _, a := range props.AttributeDefinitions {
		gotAttrs = append(gotAttrs, a.AttributeName+":"+a.AttributeType)
	}
	for _, a := range want.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	if !slices.Equal(gotAttrs, wantAttrs) {
		t.Errorf("AttributeDefinitions: got %v, want %v", gotAttrs, wantAttrs)
	}
	if got, want := keys(props.KeySchema), wantKeys(want.KeySchema); got != want {
		t.Errorf("KeySchema: got %s, want %s", got, want)
	}
	if len(props.GlobalSecondaryIndexes) != len(want.GlobalSecondaryIndexes) {
		t.Fatalf("GSIs: got %d, want %d", len(props.GlobalSecondaryIndexes), len(want.GlobalSecondaryIndexes))
	}
	for i, g := range props.GlobalSecondaryIndexes {
		w := want.GlobalSecondaryIndexes[i]
		if g.IndexName != aws.ToString(w.IndexName) || keys(g.KeySchema) != wantKeys(w.KeySchema) ||
			g.Projection.ProjectionType != string(w.Projection.ProjectionType) {
			t.Errorf("GSI %d: got %+v", i, g)
		}
	}
	if got := props.StreamSpecification.StreamViewType; got != string(want.StreamSpecification.StreamViewType) {
		t.Errorf("StreamViewType: got %s", got)
	}
	if ttl := props.TimeToLiveSpecification; ttl.AttributeName != dynamo.TTLAttribute || !ttl.Enabled {
		t.Errorf("TTL: got %+v", ttl)
	}
	if !props.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled {
		t.Error("point-in-time recovery is off")
	}
}

type keyElem struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

func keys(ks []keyElem) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, k.AttributeName+":"+k.KeyType)
	}
	return strings.Join(parts, ",")
}

func wantKeys(ks []types.KeySchemaElement) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	return strings.Join(parts, ",")
}

// TestTemplatePolicies: no statement grants a wildcard action, and none a
// wildcard resource but for actions that only take "*"
// (accountLevelActions).
func TestTemplatePolicies(t *testing.T) {
	resources := templateNode(t, "Resources")
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id := resources.Content[i].Value
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode && mapGet(n, "Effect") != nil && mapGet(n, "Action") != nil {
				account := true
				for _, a := range list(mapGet(n, "Action")) {
					if strings.Contains(a.Value, "*") {
						t.Errorf("%s: action %q is a wildcard", id, a.Value)
					}
					account = account && accountLevelActions[a.Value]
				}
				for _, r := range list(mapGet(n, "Resource")) {
					if r.Value == "*" && account {
						continue
					}
					if strings.Contains(r.Value, "*") {
						t.Errorf("%s: resource %q is a wildcard (line %d)", id, r.Value, r.Line)
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(resources.Content[i+1])
	}
}

// TestReadmeDeployListsTemplate: README "Deploy" names every parameter and
// every output of template.yaml.
func TestReadmeDeployListsTemplate(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start, end := strings.Index(readme, "\n## Deploy\n"), strings.Index(readme, "\n## Operating devhub\n")
	if start < 0 || end < start {
		t.Fatal(`README has no "## Deploy" section followed by "## Operating devhub"`)
	}
	deploy := readme[start:end]
	for _, section := range []string{"Parameters", "Outputs"} {
		for _, name := range keysOf(templateNode(t, section)) {
			if !strings.Contains(deploy, "`"+name+"`") {
				t.Errorf("README \"Deploy\" does not list the %s %s", strings.ToLower(strings.TrimSuffix(section, "s")), name)
			}
		}
	}
}
