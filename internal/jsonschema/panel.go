package jsonschema

import "slices"

// panelFields are the definitions a panel field may refer to; "header" is
// for the header field only.
var panelFields = []string{"text", "numerical", "date", "time", "date-time", "email",
	"link", "phone", "address", "currency", "label", "tags"}

var panelDefinitions = append(slices.Clip(panelFields), "header")

// maxPanelFields is how many fields a panel object shows, besides its id
// and header.
const maxPanelFields = 20

func checkPanelShape(ps *problems, root map[string]any) {
	t, set := root["type"]
	switch {
	case !set:
		ps.add([]any{"type"}, `is required: "object" for a single-object panel, "array" for a multiple-object panel`)
	case t == "object":
		checkPanelObject(ps, root, nil, false)
	case t == "array":
		items, set := root["items"]
		if !set {
			ps.add([]any{"items"}, "is required: the schema of each panel object")
			return
		}
		checkPanelObject(ps, items, []any{"items"}, true)
	default:
		ps.add([]any{"type"}, `must be "object" (a single-object panel) or "array" (a multiple-object panel)`)
	}
}

// checkPanelObject checks the schema of one panel object.
func checkPanelObject(ps *problems, v any, path []any, multi bool) {
	props, ok := objectSchema(ps, v, path, "an object schema (the schema of one panel object)")
	if !ok {
		return
	}
	required := map[string]bool{}
	if r, set := v.(map[string]any)["required"]; set {
		list, ok := r.([]any)
		if !ok {
			ps.add(at(path, "required"), "must be an array of field names")
		}
		for _, name := range list {
			if s, ok := name.(string); ok {
				required[s] = true
			}
		}
	}
	var unlisted []string
	if _, ok := props["id"]; !ok {
		ps.add(at(path, "properties", "id"), "is required: every panel object has an id")
	} else if !required["id"] {
		unlisted = append(unlisted, `"id"`)
	}
	if _, ok := props["header"]; multi && !ok {
		ps.add(at(path, "properties", "header"), "is required in a multiple-object panel: it titles each object")
	} else if multi && !required["header"] {
		unlisted = append(unlisted, `"header"`)
	}
	switch len(unlisted) {
	case 1:
		ps.add(at(path, "required"), "must list %s", unlisted[0])
	case 2:
		ps.add(at(path, "required"), "must list %s and %s", unlisted[0], unlisted[1])
	}

	fields := 0
	for _, k := range sortedKeys(props) {
		if k != "id" && k != "header" {
			fields++
		}
		checkPanelField(ps, props[k], at(path, "properties", k), k == "header")
	}
	if fields > maxPanelFields {
		ps.add(at(path, "properties"), "has %d fields; a panel object shows at most %d besides id and header", fields, maxPanelFields)
	}
}

func checkPanelField(ps *problems, v any, path []any, header bool) {
	f, ok := object(ps, v, path, `an object such as {"$ref": "#/definitions/text"}`)
	if !ok {
		return
	}
	allowed := panelFields
	if header {
		allowed = []string{"header"}
	}
	refName(ps, f, path, allowed)
	optionalString(ps, f, "label", path)
	for _, k := range sortedKeys(f) {
		if k != "$ref" && k != "label" && !slices.Contains(annotations, k) {
			ps.add(at(path, k), "is not supported on a panel field: a field is a $ref to a platform definition, with an optional label")
		}
	}
}
