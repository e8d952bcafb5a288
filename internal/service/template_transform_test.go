package service_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The tests in this file read the CloudFormation that the AWS SAM
// translator makes of template.yaml (infra/sam/translate.py, the
// aws-sam-translator package that `sam deploy` and CloudFormation's
// AWS::Serverless transform run), not the template as written: what SAM adds
// on its own (roles, managed policies, event source mappings, log groups)
// shows up only there.

var (
	transformOnce sync.Once
	transformRes  map[string]cfnResource
	transformErr  error
	transformSkip string
)

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// transformed returns the Resources of the translated template. Without
// python3 and aws-sam-translator it skips (.ci/run requires them).
func transformed(t *testing.T) map[string]cfnResource {
	t.Helper()
	transformOnce.Do(func() {
		if _, err := exec.LookPath("python3"); err != nil {
			transformSkip = "python3 is not installed: the SAM translator cannot run"
			return
		}
		if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
			transformSkip = "python3 has no aws-sam-translator (pip install aws-sam-translator): the transformed template is not checked"
			return
		}
		cmd := exec.Command("python3", "infra/sam/translate.py", "template.yaml")
		cmd.Dir = "../.."
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			transformErr = fmt.Errorf("SAM translator: %v: %s", err, stderr.String())
			return
		}
		var doc struct {
			Resources map[string]cfnResource `json:"Resources"`
		}
		if transformErr = json.Unmarshal(out, &doc); transformErr == nil {
			transformRes = doc.Resources
		}
	})
	if transformSkip != "" {
		t.Skip(transformSkip)
	}
	if transformErr != nil {
		t.Fatal(transformErr)
	}
	return transformRes
}

// cfnString renders an intrinsic as template.yaml writes it ("!GetAtt
// Table.Arn", "!Sub …", "!Ref X"), so that wantPolicies' resources compare.
func cfnString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				switch k {
				case "Fn::GetAtt":
					if parts, ok := arg.([]any); ok && len(parts) == 2 {
						return "!GetAtt " + cfnString(parts[0]) + "." + cfnString(parts[1])
					}
				case "Fn::Sub":
					return "!Sub " + cfnString(arg)
				case "Ref":
					return "!Ref " + cfnString(arg)
				}
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// statements returns a role's policy statements; both branches of an
// Fn::If count as granted (AWS::NoValue drops out).
func statements(role cfnResource) []map[string]any {
	var out []map[string]any
	var add func(v any)
	add = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if branches, ok := m["Fn::If"].([]any); ok && len(branches) == 3 {
			add(branches[1])
			add(branches[2])
			return
		}
		if _, ok := m["Ref"]; ok && len(m) == 1 {
			return // AWS::NoValue
		}
		out = append(out, m)
	}
	for _, p := range asList(role.Properties["Policies"]) {
		doc, _ := p.(map[string]any)["PolicyDocument"].(map[string]any)
		for _, s := range asList(doc["Statement"]) {
			add(s)
		}
	}
	return out
}

// folderOf maps a function's logical id back to its folder of functions/.
func folderOf(t *testing.T) map[string]string {
	t.Helper()
	dirs, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range dirs {
		m[logicalID(d.Name())] = d.Name()
	}
	return m
}

// TestTransformedRoles: after the transform, every function runs with the
// role template.yaml declares for it, and every IAM resource there is one
// the template declares (SAM added none); no role has a managed policy; no
// statement grants "*" but for an action that only takes "*"; and each
// function role grants exactly what its code can call (codeActions), what
// its stream trigger needs, and its runtime's log and X-Ray writes, on the
// resources of wantGrants. Any function, including one added later, is
// covered: the check walks the translated AWS::Lambda::Function resources.
func TestTransformedRoles(t *testing.T) {
	res := transformed(t)
	source := templateNode(t, "Resources")
	declared := func(id string) bool { return mapGet(source, id) != nil }
	folders := folderOf(t)
	var code map[string][]string
	if !testing.Short() {
		code = codeActions(t)
	}
	functionRole := map[string]string{} // role -> function
	triggers := map[string]bool{}       // functions with a stream mapping
	for id, r := range res {
		switch r.Type {
		case "AWS::Lambda::EventSourceMapping":
			if !declared(id) {
				t.Errorf("%s: an event source mapping SAM made; declare it in template.yaml", id)
			}
			fn := cfnString(r.Properties["FunctionName"])
			if src := cfnString(r.Properties["EventSourceArn"]); src == resStream {
				triggers[strings.TrimPrefix(fn, "!Ref ")] = true
			}
		case "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group":
			if !declared(id) {
				t.Errorf("%s: %s that SAM added; template.yaml must declare every role", id, r.Type)
			}
		}
	}
	var functions []string
	for id, r := range res {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		functions = append(functions, id)
		role := cfnString(r.Properties["Role"])
		name, ok := strings.CutPrefix(role, "!GetAtt ")
		name, ok2 := strings.CutSuffix(name, ".Arn")
		if !ok || !ok2 || res[name].Type != "AWS::IAM::Role" {
			t.Errorf("%s: Role %s is not a role of the template", id, role)
			continue
		}
		if other, dup := functionRole[name]; dup {
			t.Errorf("%s and %s share the role %s", id, other, name)
		}
		functionRole[name] = id
	}
	if len(functions) == 0 {
		t.Fatal("the transform has no function")
	}
	for name, r := range res {
		if r.Type != "AWS::IAM::Role" {
			continue
		}
		if m := asList(r.Properties["ManagedPolicyArns"]); len(m) > 0 {
			t.Errorf("%s: managed policies %v (only inline statements can be checked)", name, m)
		}
		got := map[string][]string{}
		for _, s := range statements(r) {
			if s["Effect"] != "Allow" {
				t.Errorf("%s: a statement that is not Allow: %v", name, s)
				continue
			}
			var acts, rs []string
			for _, a := range asList(s["Action"]) {
				acts = append(acts, cfnString(a))
			}
			for _, x := range asList(s["Resource"]) {
				rs = append(rs, cfnString(x))
			}
			for _, a := range acts {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %s", name, a)
				}
				if slices.Contains(rs, "*") && !accountLevelActions[a] {
					t.Errorf("%s: %s on \"*\"; only actions without resource types may be", name, a)
				}
				got[a] = append(got[a], rs...)
			}
		}
		fn, isFunction := functionRole[name]
		if !isFunction {
			// A service's role (the sweep's schedule): it may only invoke
			// functions of the stack.
			for a, rs := range got {
				for _, x := range rs {
					target, ok := strings.CutPrefix(x, "!GetAtt ")
					if a != "lambda:InvokeFunction" || !ok || res[strings.TrimSuffix(target, ".Arn")].Type != "AWS::Lambda::Function" {
						t.Errorf("%s (no function's role): grants %s on %s", name, a, x)
					}
				}
			}
			continue
		}
		want := wantGrants(fn)
		for a := range want {
			if ev, ok := eventSourceActions[a]; ok && ev == "DynamoDB" && !triggers[fn] {
				delete(want, a)
			}
		}
		var gotActs, wantActs []string
		for a, rs := range got {
			gotActs = append(gotActs, a)
			if w, ok := want[a]; ok && !slices.Equal(sortedSet(rs), sortedSet(w)) {
				t.Errorf("%s: %s on %q, want on %q", fn, a, sortedSet(rs), sortedSet(w))
			}
		}
		for a := range want {
			wantActs = append(wantActs, a)
		}
		sort.Strings(gotActs)
		sort.Strings(wantActs)
		if !slices.Equal(gotActs, wantActs) {
			t.Errorf("%s: the transformed role grants %v, want %v", fn, gotActs, wantActs)
		}
		// And against the code itself, not only wantPolicies.
		folder, ok := folders[fn]
		if !ok {
			t.Errorf("%s: no folder under functions/", fn)
			continue
		}
		if code == nil {
			continue
		}
		var fromCode, granted []string
		for _, a := range code[folder] {
			if !strings.HasPrefix(a, queryOn) {
				fromCode = append(fromCode, a)
			}
		}
		runtime := runtimeGrants(fn)
		for a := range got {
			if _, ok := runtime[a]; ok {
				continue
			}
			if _, ok := eventSourceActions[a]; ok {
				continue
			}
			granted = append(granted, a)
		}
		sort.Strings(granted)
		if !slices.Equal(granted, sortedSet(fromCode)) {
			t.Errorf("%s: the role grants %v for its code, which can call %v", fn, granted, sortedSet(fromCode))
		}
	}
}

// TestTransformedOperations: every function writes to a log group of the
// stack kept for LogRetentionDays, has an Errors and a Throttles alarm; every
// alarm notifies AlarmTopicArn when it is set; the stage logs JSON access
// lines, is throttled, and more strictly on the public routes; the stream
// mapping reports partial failures and has an IteratorAge alarm.
func TestTransformedOperations(t *testing.T) {
	res := transformed(t)
	alarmsOf := map[string][]string{} // function -> metric names
	for id, r := range res {
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		want := `{"Fn::If":["HasAlarmTopic",[{"Ref":"AlarmTopicArn"}],{"Ref":"AWS::NoValue"}]}`
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if got := cfnString(r.Properties[k]); got != want {
				t.Errorf("%s: %s is %s, want %s", id, k, got, want)
			}
		}
		for _, d := range asList(r.Properties["Dimensions"]) {
			if m, _ := d.(map[string]any); m["Name"] == "FunctionName" && r.Properties["Namespace"] == "AWS/Lambda" {
				fn := strings.TrimPrefix(cfnString(m["Value"]), "!Ref ")
				alarmsOf[fn] = append(alarmsOf[fn], cfnString(r.Properties["MetricName"]))
			}
		}
	}
	for id, r := range res {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		lc, _ := r.Properties["LoggingConfig"].(map[string]any)
		group := strings.TrimPrefix(cfnString(lc["LogGroup"]), "!Ref ")
		if lc["LogFormat"] != "JSON" || res[group].Type != "AWS::Logs::LogGroup" {
			t.Errorf("%s: LoggingConfig %v: want JSON to a log group of the stack", id, lc)
		} else if got := cfnString(res[group].Properties["RetentionInDays"]); got != "!Ref LogRetentionDays" {
			t.Errorf("%s: its log group keeps logs for %s, want !Ref LogRetentionDays", id, got)
		}
		for _, m := range []string{"Errors", "Throttles"} {
			if !slices.Contains(alarmsOf[id], m) {
				t.Errorf("%s: no %s alarm", id, m)
			}
		}
		if tc := cfnString(r.Properties["TracingConfig"]); !strings.Contains(tc, "HasTracing") {
			t.Errorf("%s: TracingConfig %s does not follow the Tracing parameter", id, tc)
		}
		// Secrets stay out of the environment (lambda:GetFunctionConfiguration
		// shows it): the functions that may read the JWT secret are told its
		// name, and nothing resolves a secret into a variable.
		env, _ := r.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			if s := cfnString(v); strings.Contains(s, "{{resolve:") {
				t.Errorf("%s: %s resolves a secret into the environment: %s", id, k, s)
			}
		}
		if v, ok := vars["AUTH_JWT_SECRET"]; ok && v != "" {
			t.Errorf("%s: AUTH_JWT_SECRET is %s; on AWS it must stay empty", id, cfnString(v))
		}
		role := strings.TrimSuffix(strings.TrimPrefix(cfnString(r.Properties["Role"]), "!GetAtt "), ".Arn")
		reads := false
		for _, st := range statements(res[role]) {
			for _, a := range asList(st["Action"]) {
				reads = reads || a == "secretsmanager:GetSecretValue"
			}
		}
		if _, named := vars["AUTH_JWT_SECRET_ID"]; named != reads {
			t.Errorf("%s: AUTH_JWT_SECRET_ID set: %v, GetSecretValue granted: %v; want both or neither", id, named, reads)
		}
	}
	var stages int
	for id, r := range res {
		switch r.Type {
		case "AWS::ApiGatewayV2::Stage":
			stages++
			als, _ := r.Properties["AccessLogSettings"].(map[string]any)
			var line map[string]any
			if err := json.Unmarshal([]byte(cfnString(als["Format"])), &line); err != nil || line["requestId"] != "$context.requestId" {
				t.Errorf("%s: access log format is not JSON with the request id: %v", id, als["Format"])
			}
			if d := cfnString(r.Properties["DefaultRouteSettings"]); !strings.Contains(d, "ThrottleRateLimit") || !strings.Contains(d, "ThrottleBurstLimit") {
				t.Errorf("%s: DefaultRouteSettings %s", id, d)
			}
			rs, _ := r.Properties["RouteSettings"].(map[string]any)
			for _, route := range []string{"POST /oauth/token", "POST /oauth/introspect", "GET /oauth/authorize", "POST /oauth/authorize", "GET /install/{client_id}"} {
				if s := cfnString(rs[route]); !strings.Contains(s, "PublicRouteRateLimit") || !strings.Contains(s, "PublicRouteBurstLimit") {
					t.Errorf("%s: %s is not throttled strictly: %s", id, route, s)
				}
			}
		case "AWS::Lambda::EventSourceMapping":
			fn := strings.TrimPrefix(cfnString(r.Properties["FunctionName"]), "!Ref ")
			if !slices.Contains(alarmsOf[fn], "IteratorAge") {
				t.Errorf("%s: %s has no IteratorAge alarm", id, fn)
			}
			if got := cfnString(r.Properties["FunctionResponseTypes"]); got != `["ReportBatchItemFailures"]` {
				t.Errorf("%s: FunctionResponseTypes %s", id, got)
			}
			if cfnString(res[fn].Properties["ReservedConcurrentExecutions"]) == `null` {
				t.Errorf("%s: %s has no reserved concurrency", id, fn)
			}
		}
	}
	if stages != 1 {
		t.Errorf("%d API stages, want 1", stages)
	}
}
