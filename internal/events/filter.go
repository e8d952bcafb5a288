package events

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// FilterPatterns are the stream event source mapping's FilterCriteria
// (template.yaml says the same, and a test holds the two together): the
// records the handler acts on, and nothing else. The handler's own
// bookkeeping (deliveries, the cascade's "done" mark), the client copies of
// apps, slots, tokens, codes and idempotency records never invoke it; with
// them dropped an uninstall notification costs one invocation instead of
// three (its delivery item is written twice after the installation's
// REMOVE). classify is the authority on what a record asks for; a test runs
// a workload through the real stream and proves that every record it acts
// on passes.
var FilterPatterns = []string{
	// A tombstone's INSERT starts a cascade, a re-arm continues it; its
	// completion (cascade_done_at set) asks for nothing.
	`{"dynamodb":{"NewImage":{"type":{"S":["app_deleted"]},"cascade_done_at":{"S":[{"exists":false}]}}}}`,
	// app.created, app.status_changed, extension.changed (created, updated).
	`{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"APP#"}]}},"NewImage":{"type":{"S":["app","extension"]}}}}`,
	// installation.created (a renewal's MODIFY is no event).
	`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["installation"]}}}}`,
	// Uninstall notifications and installation.deleted; extension.changed (deleted).
	`{"eventName":["REMOVE"],"dynamodb":{"OldImage":{"type":{"S":["installation","extension"]}}}}`,
}

var compiled = func() []map[string]any {
	out := make([]map[string]any, len(FilterPatterns))
	for i, p := range FilterPatterns {
		if err := json.Unmarshal([]byte(p), &out[i]); err != nil {
			panic("events: bad filter pattern: " + err.Error())
		}
	}
	return out
}()

// Matches reports whether the event source mapping hands rec to the
// handler: whether any of FilterPatterns matches the record as Lambda sees
// it (its JSON). It implements the part of Lambda's event filtering syntax
// the patterns use (values, prefix, exists), for the local poller and the
// tests.
func Matches(rec events.DynamoDBEventRecord) bool {
	raw, err := json.Marshal(rec)
	if err != nil {
		return true // never drop what cannot be looked at
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return true
	}
	for _, p := range compiled {
		if matchObject(p, doc) {
			return true
		}
	}
	return false
}

func matchObject(pattern, doc map[string]any) bool {
	for k, want := range pattern {
		v, present := doc[k]
		switch w := want.(type) {
		case map[string]any:
			sub, _ := v.(map[string]any)
			if sub == nil {
				// Absent: only a pattern of exists:false under it can hold.
				sub = map[string]any{}
			}
			if !matchObject(w, sub) {
				return false
			}
		case []any:
			if !matchValues(w, v, present) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func matchValues(alts []any, v any, present bool) bool {
	s, isStr := v.(string)
	for _, a := range alts {
		switch a := a.(type) {
		case string:
			if present && isStr && s == a {
				return true
			}
		case map[string]any:
			if e, ok := a["exists"].(bool); ok && e == present {
				return true
			}
			if p, ok := a["prefix"].(string); ok && present && isStr && strings.HasPrefix(s, p) {
				return true
			}
		}
	}
	return false
}
