package jsonschema

import (
	"slices"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
)

const (
	elementText      = "element-text"
	elementSeparator = "element-separator"
	elementInput     = "element-input"
	actionPrimary    = "action-primary"
	actionSecondary  = "action-secondary"
)

// blockElements are the definitions a modal block may refer to.
var blockElements = []string{elementText, elementInput, "element-textarea", "element-select",
	"element-datepicker", "element-radio-group", "element-checkbox-group", elementSeparator}

// itemElements are the blocks whose options list items to choose from.
var itemElements = []string{"element-select", "element-radio-group", "element-checkbox-group"}

var actionElements = []string{actionPrimary, actionSecondary}

var modalDefinitions = append(slices.Clip(blockElements), actionElements...)

var inputTypes = []string{"text", "email", "number", "password", "search", "url"}

var handlers = map[string][]string{
	actionPrimary:   {"request", "open-url"},
	actionSecondary: {"reset", "cancel"},
}

// booleanOptions are the documented options that take true or false.
var booleanOptions = []string{"allowClear", "isRequired", "fetchOnChange", "resize", "filter", "markdown"}

const (
	maxBlocks  = 10
	maxActions = 2
)

func checkModalShape(ps *problems, root map[string]any) {
	props, ok := objectSchema(ps, root, nil, "a JSON object")
	if !ok {
		return
	}
	for _, k := range sortedKeys(props) {
		if k != "blocks" && k != "actions" {
			ps.add([]any{"properties", k}, "is not part of a JSON modal: its properties are blocks and actions")
		}
	}
	var blockKeys []string
	if b, set := props["blocks"]; set {
		path := []any{"properties", "blocks"}
		if blocks, ok := objectSchema(ps, b, path, "an object schema whose properties are the modal's blocks"); ok {
			blockKeys = sortedKeys(blocks)
			if len(blocks) > maxBlocks {
				ps.add(at(path, "properties"), "has %d blocks; a modal holds at most %d", len(blocks), maxBlocks)
			}
			for _, k := range blockKeys {
				checkBlock(ps, blocks[k], at(path, "properties", k), blockKeys)
			}
		}
	}

	a, set := props["actions"]
	path := []any{"properties", "actions"}
	if !set {
		ps.add(path, "is required: a modal has one or two action buttons")
		return
	}
	actions, ok := objectSchema(ps, a, path, "an object schema whose properties are the modal's action buttons")
	if !ok {
		return
	}
	if n := len(actions); n < 1 || n > maxActions {
		ps.add(at(path, "properties"), "has %d action buttons; a modal has one or two", n)
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(actions) {
		el := checkAction(ps, actions[k], at(path, "properties", k), blockKeys)
		if el == "" {
			continue
		}
		if first, dup := seen[el]; dup {
			ps.add(at(path, "properties", k, "$ref"), "repeats %s of %s: a modal has at most one primary and one secondary action", el, first)
			continue
		}
		seen[el] = k
	}
}

// onlyKeys refuses the members of m other than allowed and annotations.
func onlyKeys(ps *problems, m map[string]any, path []any, what string, allowed ...string) {
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) && !slices.Contains(annotations, k) {
			ps.add(at(path, k), "is not supported on %s", what)
		}
	}
}

func checkBlock(ps *problems, v any, path []any, blockKeys []string) {
	b, ok := object(ps, v, path, `an object such as {"$ref": "#/definitions/element-input", "options": {…}}`)
	if !ok {
		return
	}
	onlyKeys(ps, b, path, "a block: a block is a $ref and its options", "$ref", "options")
	el, ok := refName(ps, b, path, blockElements)
	if !ok {
		return
	}
	o, set := b["options"]
	op := at(path, "options")
	if !set {
		if el != elementSeparator {
			ps.add(op, "is required for %s", el)
		}
		return
	}
	opts, ok := object(ps, o, op, "an object")
	if !ok {
		return
	}
	switch el {
	case elementSeparator:
	case elementText:
		requiredString(ps, opts, "value", op)
	default:
		requiredString(ps, opts, "label", op)
	}
	if el == elementInput {
		if t, ok := optionalString(ps, opts, "type", op); ok && !slices.Contains(inputTypes, t) {
			ps.add(at(op, "type"), "must be one of %s", strings.Join(inputTypes, ", "))
		}
	}
	if slices.Contains(itemElements, el) {
		checkItems(ps, opts, op, blockKeys)
	}
	for _, k := range booleanOptions {
		if v, set := opts[k]; set {
			if _, ok := v.(bool); !ok {
				ps.add(at(op, k), "must be true or false")
			}
		}
	}
	checkVisibleOn(ps, opts, op, blockKeys)
}

func checkItems(ps *problems, opts map[string]any, path []any, blockKeys []string) {
	v, set := opts["items"]
	if !set {
		return // the API response may supply them
	}
	items, ok := v.([]any)
	if !ok {
		ps.add(at(path, "items"), "must be an array of {label, value} objects")
		return
	}
	for i, it := range items {
		ip := at(path, "items", i)
		item, ok := object(ps, it, ip, "an object with label and value")
		if !ok {
			continue
		}
		requiredString(ps, item, "label", ip)
		switch val, set := item["value"]; {
		case !set:
			ps.add(at(ip, "value"), "is required")
		case val == nil:
			ps.add(at(ip, "value"), "must not be null")
		}
		if v, set := item["isDisabled"]; set {
			if _, ok := v.(bool); !ok {
				ps.add(at(ip, "isDisabled"), "must be true or false")
			}
		}
		checkVisibleOn(ps, item, ip, blockKeys)
	}
}

// checkVisibleOn checks that a visibleOn option is "never", "always", or
// rules keyed by blocks of this modal.
func checkVisibleOn(ps *problems, m map[string]any, path []any, blockKeys []string) {
	v, set := m["visibleOn"]
	if !set {
		return
	}
	vp := at(path, "visibleOn")
	switch v := v.(type) {
	case string:
		if v != "never" && v != "always" {
			ps.add(vp, `must be "never", "always" or rules keyed by block key`)
		}
	case map[string]any:
		checkRules(ps, v, vp, blockKeys)
	case []any:
		for i, r := range v {
			if rules, ok := object(ps, r, at(vp, i), "rules keyed by block key"); ok {
				checkRules(ps, rules, at(vp, i), blockKeys)
			}
		}
	default:
		ps.add(vp, `must be "never", "always" or rules keyed by block key`)
	}
}

func checkRules(ps *problems, rules map[string]any, path []any, blockKeys []string) {
	for _, k := range sortedKeys(rules) {
		rp := at(path, k)
		if !slices.Contains(blockKeys, k) {
			ps.add(rp, "names no block of this modal")
			continue
		}
		switch r := rules[k].(type) {
		case string:
			if r != "not_empty" {
				ps.add(rp, `must be "not_empty", {"equals": …} or {"includes": …}`)
			}
		case map[string]any:
			if len(r) == 0 {
				ps.add(rp, `must be "not_empty", {"equals": …} or {"includes": …}`)
			}
			for _, op := range sortedKeys(r) {
				if op != "equals" && op != "includes" {
					ps.add(at(rp, op), `is not a rule: use "equals" or "includes"`)
				}
			}
		default:
			ps.add(rp, `must be "not_empty", {"equals": …} or {"includes": …}`)
		}
	}
}

// checkAction checks one action button and returns its definition name, or
// "" when it has none that is valid.
func checkAction(ps *problems, v any, path []any, blockKeys []string) string {
	a, ok := object(ps, v, path, `an object such as {"$ref": "#/definitions/action-primary", "options": {…}}`)
	if !ok {
		return ""
	}
	onlyKeys(ps, a, path, "an action: an action is a $ref and its options", "$ref", "options")
	el, ok := refName(ps, a, path, actionElements)
	if !ok {
		return ""
	}
	op := at(path, "options")
	o, set := a["options"]
	if !set {
		ps.add(op, "is required for %s: label and handler", el)
		return el
	}
	opts, ok := object(ps, o, op, "an object")
	if !ok {
		return el
	}
	requiredString(ps, opts, "label", op)
	handler, ok := requiredString(ps, opts, "handler", op)
	if ok && !slices.Contains(handlers[el], handler) {
		ps.add(at(op, "handler"), "must be %s for %s", strings.Join(handlers[el], " or "), el)
	}
	if u, ok := optionalString(ps, opts, "url", op); ok {
		if el != actionPrimary || handler != "open-url" {
			ps.add(at(op, "url"), `applies only to an action-primary with handler "open-url"`)
		} else {
			var urlProblems devhub.Problems
			devhub.CheckURL(&urlProblems, "url", u, false)
			for _, f := range devhub.ErrorFields(urlProblems.Err()) {
				ps.add(at(op, "url"), "%s", f.Message)
			}
		}
	}
	checkVisibleOn(ps, opts, op, blockKeys)
	return el
}
