package service_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

const modulePath = "github.com/devhub-oss/devhub"

// Resources of the policy statements, as written in template.yaml.
const (
	resTable  = "!GetAtt Table.Arn"
	resGSI1   = "!Sub ${Table.Arn}/index/GSI1"
	resGSI2   = "!Sub ${Table.Arn}/index/GSI2"
	resStream = "!GetAtt Table.StreamArn"
	resQueue  = "!GetAtt StreamFailureQueue.Arn"
	resBus    = "!Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"
	resAll    = "*"
	resSecret = "!Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AuthJwtSecretName}-??????"
)

// accountLevelActions take no resource but "*" (the Service Authorization
// Reference lists no resource type for them): the only actions that may be
// granted on "*".
var accountLevelActions = map[string]bool{
	"dynamodb:ListStreams":     true,
	"xray:PutTraceSegments":    true,
	"xray:PutTelemetryRecords": true,
}

// runtimeGrants is what every function's role grants for the Lambda
// runtime rather than for its code: writing to its own log group (which the
// stack creates: no logs:CreateLogGroup), and X-Ray when the Tracing
// parameter turns it on.
func runtimeGrants(id string) map[string][]string {
	own := "!GetAtt " + id + "LogGroup.Arn"
	return map[string][]string{
		"logs:CreateLogStream":     {own},
		"logs:PutLogEvents":        {own},
		"xray:PutTraceSegments":    {resAll},
		"xray:PutTelemetryRecords": {resAll},
	}
}

// wantGrants is everything id's role must grant: wantPolicies and
// runtimeGrants.
func wantGrants(id string) map[string][]string {
	want := maps.Clone(wantPolicies[id])
	maps.Copy(want, runtimeGrants(id))
	return want
}

// wantPolicies is, per function, every IAM action its role needs and the
// resources it needs it on. It is kept by hand, and checked both ways:
// TestTemplatePolicyActions compares it with template.yaml (exactly: no
// action more, none less, same resources), TestPolicyActionsMatchCode with
// the SDK operations the function's code can reach (a static call graph, see
// codeActions). TransactWriteItems has no IAM action of its own: DynamoDB
// authorizes each item as PutItem, UpdateItem, DeleteItem or
// ConditionCheckItem, so those stand for it here.
//
// Which resource a Query needs (the table or GSI1) comes from the store's
// access patterns (internal/dynamo package doc), and is checked against the
// code: a dynamodb.QueryInput literal with IndexName stands for the index it
// names, one without for the table.
var wantPolicies = map[string]map[string][]string{
	"AppsFunction": {
		// GetApp; create/update/delete are TransactWriteItems of Put and
		// Delete items (app, client copy, app_deleted, idempotency).
		"dynamodb:GetItem":    {resTable},
		"dynamodb:PutItem":    {resTable},
		"dynamodb:DeleteItem": {resTable},
		// ListApps (CO#company) and the review queue (STATUS#review);
		// AppExtensions (APP#id) for manifests; ListDeliveries (DLV#company#app);
		// the marketplace list (GSI2).
		"dynamodb:Query":                {resTable, resGSI1, resGSI2},
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"ExtensionsFunction": {
		"dynamodb:BatchGetItem":         {resTable},
		"dynamodb:Query":                {resTable},
		"dynamodb:PutItem":              {resTable},
		"dynamodb:UpdateItem":           {resTable},
		"dynamodb:DeleteItem":           {resTable},
		"dynamodb:ConditionCheckItem":   {resTable},
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"CallbackProbeFunction": {
		"dynamodb:GetItem":              {resTable},
		"dynamodb:PutItem":              {resTable},
		"dynamodb:Query":                {resGSI1},
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"InstallLinksFunction": {
		"dynamodb:GetItem":              {resTable},
		"dynamodb:Query":                {resGSI1},
		"dynamodb:DeleteItem":           {resTable},
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"ConsoleFunction": {
		// The same use cases as the apps and extensions functions: GetItem,
		// BatchGetItem (an extension and its app); creates, updates and
		// deletes are TransactWriteItems of Put, Delete, Update (slot
		// counters) and ConditionCheck (the app) items.
		"dynamodb:GetItem":            {resTable},
		"dynamodb:BatchGetItem":       {resTable},
		"dynamodb:PutItem":            {resTable},
		"dynamodb:UpdateItem":         {resTable},
		"dynamodb:DeleteItem":         {resTable},
		"dynamodb:ConditionCheckItem": {resTable},
		// The dashboard, the review queue and the installed apps (GSI1);
		// an app's extensions; the marketplace list (GSI2).
		"dynamodb:Query": {resTable, resGSI1, resGSI2},
		// The session cookie is a developer token.
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"OauthAuthorizeFunction": {
		"dynamodb:GetItem":              {resTable},
		"dynamodb:ConditionCheckItem":   {resTable},
		"dynamodb:UpdateItem":           {resTable},
		"dynamodb:PutItem":              {resTable},
		"secretsmanager:GetSecretValue": {resSecret},
	},
	"OauthTokenFunction": {
		"dynamodb:BatchGetItem":       {resTable},
		"dynamodb:PutItem":            {resTable},
		"dynamodb:UpdateItem":         {resTable},
		"dynamodb:DeleteItem":         {resTable},
		"dynamodb:ConditionCheckItem": {resTable},
	},
	"StreamEventsFunction": {
		"dynamodb:Query":          {resTable},
		"dynamodb:BatchWriteItem": {resTable},
		"dynamodb:UpdateItem":     {resTable},
		"dynamodb:BatchGetItem":   {resTable},
		"dynamodb:PutItem":        {resTable},
		// The event source mapping reads the stream with the function's
		// role; the code never does (see eventSourceActions).
		"dynamodb:DescribeStream":   {resStream},
		"dynamodb:GetRecords":       {resStream},
		"dynamodb:GetShardIterator": {resStream},
		"dynamodb:ListStreams":      {resAll},
		"sqs:SendMessage":           {resQueue},
		"events:PutEvents":          {resBus},
	},
}

// eventSourceActions are granted for a function's event source, not for its
// code: the DynamoDB stream's event source mapping polls with the function's
// role. (template.yaml declares that mapping as a plain
// AWS::Lambda::EventSourceMapping: SAM's DynamoDB event would attach
// AWSLambdaDynamoDBExecutionRole, every stream on "*".) The value is the
// trigger the function must have for the action to be allowed.
var eventSourceActions = map[string]string{
	"dynamodb:DescribeStream":   "DynamoDB",
	"dynamodb:GetRecords":       "DynamoDB",
	"dynamodb:GetShardIterator": "DynamoDB",
	"dynamodb:ListStreams":      "DynamoDB",
}

// grant is what template.yaml gives one function.
type grant struct {
	actions map[string][]string // action -> resources
	events  map[string]bool     // triggers: event types (HttpApi), and DynamoDB for a stream mapping
	errs    []string            // policies that cannot be checked
}

// templateGrants reads, for every AWS::Serverless::Function, the inline
// policies of its role: Role must be !GetAtt <Id>Role.Arn, an
// AWS::IAM::Role of the template with inline policies only (a managed
// policy cannot be checked action by action). A statement under !If counts
// as granted.
func templateGrants(t *testing.T) map[string]*grant {
	t.Helper()
	resources := templateNode(t, "Resources")
	out := map[string]*grant{}
	for id, res := range templateFunctions(t) {
		g := &grant{actions: map[string][]string{}, events: map[string]bool{}}
		out[id] = g
		props := mapGet(res, "Properties")
		if evs := mapGet(props, "Events"); evs != nil {
			for j := 1; j < len(evs.Content); j += 2 {
				g.events[scalar(mapGet(evs.Content[j], "Type"))] = true
			}
		}
		role := mapGet(props, "Role")
		if role == nil || role.Tag != "!GetAtt" || role.Value != id+"Role.Arn" {
			g.errs = append(g.errs, "Role is not !GetAtt "+id+"Role.Arn (SAM would make a role and attach its own policies)")
			continue
		}
		roleRes := mapGet(resources, id+"Role")
		if scalar(mapGet(roleRes, "Type")) != "AWS::IAM::Role" {
			g.errs = append(g.errs, id+"Role is not an AWS::IAM::Role")
			continue
		}
		roleProps := mapGet(roleRes, "Properties")
		if mapGet(roleProps, "ManagedPolicyArns") != nil || mapGet(roleProps, "PermissionsBoundary") != nil {
			g.errs = append(g.errs, id+"Role has managed policies; only inline ones can be checked")
		}
		pols := mapGet(roleProps, "Policies")
		if pols == nil || pols.Kind != yaml.SequenceNode {
			g.errs = append(g.errs, id+"Role: Policies is not a list of inline policies")
			continue
		}
		for _, p := range pols.Content {
			st := mapGet(mapGet(p, "PolicyDocument"), "Statement")
			if st == nil {
				g.errs = append(g.errs, "a policy without PolicyDocument.Statement (line "+strconv.Itoa(p.Line)+")")
				continue
			}
			for _, s := range st.Content {
				if s.Tag == "!If" && len(s.Content) == 3 {
					s = s.Content[1] // the statement when the condition holds
				}
				if scalar(mapGet(s, "Effect")) != "Allow" {
					g.errs = append(g.errs, "a statement that is not Effect: Allow (line "+strconv.Itoa(s.Line)+")")
					continue
				}
				var res []string
				for _, r := range list(mapGet(s, "Resource")) {
					res = append(res, render(r))
				}
				for _, a := range list(mapGet(s, "Action")) {
					g.actions[a.Value] = append(g.actions[a.Value], res...)
				}
			}
		}
	}
	// Stream triggers: plain event source mappings on the table's stream.
	for i := 0; i+1 < len(resources.Content); i += 2 {
		props := mapGet(resources.Content[i+1], "Properties")
		if scalar(mapGet(resources.Content[i+1], "Type")) != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		fn, src := mapGet(props, "FunctionName"), mapGet(props, "EventSourceArn")
		if g := out[scalar(fn)]; g != nil && fn.Tag == "!Ref" && render(src) == resStream {
			g.events["DynamoDB"] = true
		}
	}
	return out
}

// render is a scalar as written, its short tag included: "!GetAtt
// Table.Arn", "*".
func render(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if strings.HasPrefix(n.Tag, "!!") {
		return n.Value
	}
	return strings.TrimSpace(n.Tag + " " + n.Value)
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// list is a YAML scalar or sequence of scalars as a slice.
func list(n *yaml.Node) []*yaml.Node {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		return n.Content
	}
	return []*yaml.Node{n}
}

// TestTemplatePolicyActions: each function's role grants exactly the actions
// of wantPolicies and runtimeGrants, on exactly their resources, from inline
// documents only.
func TestTemplatePolicyActions(t *testing.T) {
	grants := templateGrants(t)
	for id, g := range grants {
		for _, e := range g.errs {
			t.Errorf("%s: %s", id, e)
		}
		if _, ok := wantPolicies[id]; !ok {
			t.Errorf("%s: not in wantPolicies; add what its code calls", id)
			continue
		}
		want := wantGrants(id)
		for a, res := range g.actions {
			w, ok := want[a]
			if !ok {
				t.Errorf("%s: grants %s, which wantPolicies does not list", id, a)
				continue
			}
			if got, w := sortedSet(res), sortedSet(w); !slices.Equal(got, w) {
				t.Errorf("%s: %s on %q, want on %q", id, a, got, w)
			}
			if ev, ok := eventSourceActions[a]; ok && !g.events[ev] {
				t.Errorf("%s: grants %s for a %s event source it does not have", id, a, ev)
			}
		}
		for a := range want {
			if _, ok := g.actions[a]; !ok {
				t.Errorf("%s: does not grant %s", id, a)
			}
		}
	}
	for id := range wantPolicies {
		if grants[id] == nil {
			t.Errorf("wantPolicies lists %s, which template.yaml does not have", id)
		}
	}
}

// TestPolicyActionsMatchCode: for each function, the actions wantPolicies
// grants for its code are exactly the AWS operations its code can reach (no
// grant the code never needs, no call the role would refuse).
func TestPolicyActionsMatchCode(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the module: not in -short")
	}
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	code := codeActions(t)
	for _, d := range dirs {
		id := logicalID(d.Name())
		all, ok := code[d.Name()]
		if !ok {
			t.Errorf("functions/%s: not analysed", d.Name())
			continue
		}
		var got, queried []string
		for _, a := range all {
			if r, ok := strings.CutPrefix(a, queryOn); ok {
				queried = append(queried, r)
			} else {
				got = append(got, a)
			}
		}
		if w := sortedSet(wantPolicies[id]["dynamodb:Query"]); !slices.Equal(queried, w) {
			t.Errorf("%s: the code queries %q, wantPolicies grants Query on %q", id, queried, w)
		}
		var granted []string
		for a := range wantPolicies[id] {
			if _, ok := eventSourceActions[a]; !ok {
				granted = append(granted, a)
			}
		}
		sort.Strings(granted)
		for _, a := range got {
			if !slices.Contains(granted, a) {
				t.Errorf("%s: the code can call %s, which is not granted", id, a)
			}
		}
		for _, a := range granted {
			if !slices.Contains(got, a) {
				t.Errorf("%s: grants %s, which the code never calls", id, a)
			}
		}
		t.Logf("%s: %v", id, got)
	}
}

// TestEnvJSON: infra/env.json (sam local --env-vars) has an entry for every
// function of template.yaml and no other, and sets only variables the
// template declares for that function: sam local ignores any other.
func TestEnvJSON(t *testing.T) {
	raw, err := os.ReadFile("../../infra/env.json")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, k := range keysOf(templateNode(t, "Globals", "Function", "Environment", "Variables")) {
		declared[k] = true
	}
	resources := templateNode(t, "Resources")
	fns := map[string]bool{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		if scalar(mapGet(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		fns[id] = true
		vars, ok := env[id]
		if !ok {
			t.Errorf("infra/env.json has no %s", id)
			continue
		}
		own := maps.Clone(declared)
		for _, k := range keysOf(mapGet(mapGet(mapGet(res, "Properties"), "Environment"), "Variables")) {
			own[k] = true
		}
		for k := range vars {
			if !own[k] {
				t.Errorf("infra/env.json sets %s.%s, which template.yaml does not declare (sam local would drop it)", id, k)
			}
		}
		if vars["TABLE_NAME"] == "" || vars["DYNAMODB_ENDPOINT"] == "" {
			t.Errorf("infra/env.json: %s needs TABLE_NAME and DYNAMODB_ENDPOINT", id)
		}
	}
	for id := range env {
		if !fns[id] {
			t.Errorf("infra/env.json has %s, which is not a function of template.yaml", id)
		}
	}
}

func keysOf(n *yaml.Node) []string {
	var ks []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			ks = append(ks, n.Content[i].Value)
		}
	}
	return ks
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

// AWS SDK clients whose operations are IAM actions of the same name.
var sdkClients = map[string]string{
	"github.com/aws/aws-sdk-go-v2/service/dynamodb.Client":        "dynamodb",
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams.Client": "dynamodb",
	"github.com/aws/aws-sdk-go-v2/service/sqs.Client":             "sqs",
	"github.com/aws/aws-sdk-go-v2/service/eventbridge.Client":     "events",
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager.Client":  "secretsmanager",
	// devhub's own client of its one Secrets Manager operation (secretsclient.go).
	modulePath + "/internal/service.SecretsClient": "secretsmanager",
}

// The items of a TransactWriteItems and the action each is authorized as.
var transactItemActions = map[string]string{
	"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
	"Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem",
}

// Methods that code outside the module calls through an interface (net/http,
// encoding/json, errors, fmt, log/slog, sort, io): reachable whenever their
// package is linked, as the analysis does not see those callers.
var externallyCalled = map[string]bool{
	"ServeHTTP": true, "RoundTrip": true, "Error": true, "Unwrap": true, "Is": true, "As": true,
	"String": true, "Format": true, "MarshalJSON": true, "UnmarshalJSON": true, "MarshalText": true,
	"UnmarshalText": true, "Len": true, "Less": true, "Swap": true, "Read": true, "Write": true,
	"Close": true, "Enabled": true, "WithAttrs": true, "WithGroup": true, "LogValue": true,
}

// queryOn prefixes the resource of a dynamodb.QueryInput literal among the
// actions: a Query's resource is the index it names, else the table.
const queryOn = "Query on "

var (
	codeActionsOnce sync.Once
	codeActionsRes  map[string][]string
	codeActionsErr  error
)

// codeActions returns, per folder of functions/, the IAM actions of the AWS
// SDK operations its binary can reach from main, and for each reached
// dynamodb.QueryInput literal queryOn and its resource (the table, or the
// index its IndexName names). It type-checks this
// module's packages from source (the others from `go list -export` data) and
// builds a call graph over them:
//   - a use of a function or method, called or taken as a value, is an edge;
//   - a call of an interface method is an edge to every method of that name
//     on a type of this module whose method set has all the interface's
//     methods (class hierarchy analysis);
//   - a function literal belongs to the function it is written in;
//   - package-level variable initializers and init functions are roots, and
//     so are methods that code outside the module calls (externallyCalled);
//   - httpapi's (*Server).FunctionRoutes, which lists every function's
//     routes, is replaced by the routes method of the function analysed, as
//     a function serves only its own (the map key in FunctionRoutes).
//
// A reached method of an SDK client (sdkClients) is that action; a reached
// types.TransactWriteItem literal with a Put, Update, Delete or
// ConditionCheck member is the action that item is authorized as. The result
// over-approximates what can run (it does not follow values, so a method of
// a type that is never built still counts when named), which is the safe
// side for "the role lets it do its work", and has so far been exact.
func codeActions(t *testing.T) map[string][]string {
	t.Helper()
	codeActionsOnce.Do(func() { codeActionsRes, codeActionsErr = analyse() })
	if codeActionsErr != nil {
		t.Fatal(codeActionsErr)
	}
	return codeActionsRes
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	Deps       []string
}

func analyse() (map[string][]string, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-deps", "-export", "-json=ImportPath,Dir,GoFiles,Export,Deps", "./functions/...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New("go list: " + err.Error() + ": " + stderr.String())
	}
	pkgs := map[string]*listedPackage{}
	var order []string
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = &p
		order = append(order, p.ImportPath)
	}

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p := pkgs[path]
		if p == nil || p.Export == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(p.Export)
	})

	g := &callGraph{
		edges:     map[string]map[string]bool{},
		ifaceCall: map[string]map[string][]string{},
		actions:   map[string][]string{},
		roots:     map[string][]string{},
		methods:   map[string]map[string]string{},
	}
	routesOf := map[string]string{} // function folder -> key of its routes method
	const functionRoutes = "(*" + modulePath + "/internal/httpapi.Server).FunctionRoutes"
	for _, path := range order {
		if path != modulePath && !strings.HasPrefix(path, modulePath+"/") {
			continue
		}
		p := pkgs[path]
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
		tpkg, err := (&types.Config{Importer: imp}).Check(path, fset, files, info)
		if err != nil {
			return nil, err
		}
		g.addMethods(tpkg)
		for _, f := range files {
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					fn, _ := info.Defs[d.Name].(*types.Func)
					if fn == nil || d.Body == nil {
						continue
					}
					key := fn.FullName()
					if d.Name.Name == "init" && d.Recv == nil {
						key = path + ".init"
						g.roots[path] = append(g.roots[path], key)
					}
					if d.Recv != nil && externallyCalled[d.Name.Name] {
						g.roots[path] = append(g.roots[path], key)
					}
					g.walk(key, d.Body, info)
					if key == functionRoutes {
						ast.Inspect(d.Body, func(n ast.Node) bool {
							if kv, ok := n.(*ast.KeyValueExpr); ok {
								if lit, ok := kv.Key.(*ast.BasicLit); ok && lit.Kind == token.STRING {
									if call, ok := kv.Value.(*ast.CallExpr); ok {
										if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
											if m, ok := info.Uses[sel.Sel].(*types.Func); ok {
												name, _ := strconv.Unquote(lit.Value)
												routesOf[name] = m.FullName()
											}
										}
									}
								}
							}
							return true
						})
					}
				case *ast.GenDecl:
					key := path + ".var"
					g.walk(key, d, info)
					g.roots[path] = append(g.roots[path], key)
				}
			}
		}
	}
	if len(routesOf) == 0 {
		return nil, errors.New("found no routes in " + functionRoutes)
	}

	res := map[string][]string{}
	for _, path := range order {
		dir, ok := strings.CutPrefix(path, modulePath+"/functions/")
		if !ok {
			continue
		}
		var start []string
		for _, dep := range append(pkgs[path].Deps, path) {
			start = append(start, g.roots[dep]...)
		}
		start = append(start, path+".main")
		if r := routesOf[dir]; r != "" {
			start = append(start, r)
		}
		res[dir] = g.reach(start, functionRoutes)
	}
	return res, nil
}

type callGraph struct {
	edges map[string]map[string]bool
	// ifaceCall: caller -> interface method name -> the interface's
	// method names.
	ifaceCall map[string]map[string][]string
	actions   map[string][]string
	roots     map[string][]string
	// methods: named type of the module -> method name -> key, over the
	// method set of its pointer (promoted methods included).
	methods map[string]map[string]string
}

func (g *callGraph) addMethods(pkg *types.Package) {
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok || types.IsInterface(tn.Type()) {
			continue
		}
		ms := types.NewMethodSet(types.NewPointer(tn.Type()))
		m := map[string]string{}
		for i := 0; i < ms.Len(); i++ {
			fn := ms.At(i).Obj().(*types.Func)
			m[fn.Name()] = fn.Origin().FullName()
		}
		g.methods[pkg.Path()+"."+name] = m
	}
}

func (g *callGraph) walk(from string, body ast.Node, info *types.Info) {
	if g.edges[from] == nil {
		g.edges[from] = map[string]bool{}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			fn, ok := info.Uses[n].(*types.Func)
			if !ok {
				return true
			}
			fn = fn.Origin()
			sig := fn.Type().(*types.Signature)
			if recv := sig.Recv(); recv != nil && types.IsInterface(recv.Type()) {
				iface, _ := recv.Type().Underlying().(*types.Interface)
				if iface == nil {
					return true
				}
				var names []string
				for i := 0; i < iface.NumMethods(); i++ {
					names = append(names, iface.Method(i).Name())
				}
				if g.ifaceCall[from] == nil {
					g.ifaceCall[from] = map[string][]string{}
				}
				g.ifaceCall[from][fn.Name()] = names
				return true
			}
			key := fn.FullName()
			g.edges[from][key] = true
			if recv := sig.Recv(); recv != nil {
				if named, ok := types.Unalias(derefType(recv.Type())).(*types.Named); ok && named.Obj().Pkg() != nil {
					if svc, ok := sdkClients[named.Obj().Pkg().Path()+"."+named.Obj().Name()]; ok && fn.Name() != "TransactWriteItems" {
						g.actions[from] = append(g.actions[from], svc+":"+fn.Name())
					}
				}
			}
		case *ast.CompositeLit:
			tv, ok := info.Types[n]
			if !ok {
				return true
			}
			named, ok := types.Unalias(derefType(tv.Type)).(*types.Named)
			if !ok || named.Obj().Pkg() == nil {
				return true
			}
			switch named.Obj().Pkg().Path() + "." + named.Obj().Name() {
			case "github.com/aws/aws-sdk-go-v2/service/dynamodb.QueryInput":
				res := resTable
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "IndexName" {
							res = indexResource(info, kv.Value)
						}
					}
				}
				g.actions[from] = append(g.actions[from], queryOn+res)
				return true
			case "github.com/aws/aws-sdk-go-v2/service/dynamodb/types.TransactWriteItem":
			default:
				return true
			}
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok && transactItemActions[id.Name] != "" {
						g.actions[from] = append(g.actions[from], transactItemActions[id.Name])
					}
				}
			}
		}
		return true
	})
}

// indexResource is the resource of a QueryInput's IndexName value,
// aws.String(<constant>): "!Sub ${Table.Arn}/index/<its value>".
func indexResource(info *types.Info, v ast.Expr) string {
	if call, ok := v.(*ast.CallExpr); ok && len(call.Args) == 1 {
		if tv, ok := info.Types[call.Args[0]]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
			return "!Sub ${Table.Arn}/index/" + constant.StringVal(tv.Value)
		}
	}
	return "IndexName that is not aws.String(<constant>)"
}

func derefType(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// reach returns the sorted actions reachable from start, never entering cut.
func (g *callGraph) reach(start []string, cut string) []string {
	seen := map[string]bool{cut: true}
	queue := slices.Clone(start)
	acts := map[string]bool{}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, a := range g.actions[k] {
			acts[a] = true
		}
		for next := range g.edges[k] {
			queue = append(queue, next)
		}
		for name, ifaceNames := range g.ifaceCall[k] {
			for _, ms := range g.methods {
				if hasAll(ms, ifaceNames) {
					queue = append(queue, ms[name])
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(acts))
}

func hasAll(ms map[string]string, names []string) bool {
	for _, n := range names {
		if _, ok := ms[n]; !ok {
			return false
		}
	}
	return true
}
