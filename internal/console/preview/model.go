package preview

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// The API fields that hold the documents; the validator names its problems
// under them ("json_schema.properties.blocks…").
const (
	ModalField = "json_schema"
	PanelField = "data_structure"
)

// Bounds on what one preview shows, so that a hostile document cannot make
// a huge page. The validator's own limits are lower (10 blocks, 2 actions,
// 20 fields); the preview shows a little more so that the developer sees
// what is too many.
const (
	maxBlocks  = 30
	maxActions = 6
	maxItems   = 50
	// maxAllItems bounds the choices drawn in one modal, all blocks together.
	maxAllItems = 200
	maxFields   = 40
	maxProblems = 40
	maxLabel    = 120  // runes of a label, placeholder, message or title
	maxText     = 2000 // runes of an element-text value
)

// Problem is one of the validator's messages, placed in the document.
type Problem struct {
	// Path is where the problem is below its place (a block, an action, a
	// field), in the validator's notation, e.g. "options.label"; "" means the
	// place itself. For problems in the summary it is the path from the
	// document's root.
	Path string
	// Message is the validator's text; it reads after the path ("is required").
	Message string
	// Line is the line of the document the problem is on (the deepest value
	// of Path that exists), 0 when unknown.
	Line int
}

// Modal is a JSON modal as the platform would show it.
type Modal struct {
	Title   string
	Blocks  []Block
	Actions []Action
	// Hidden counts the blocks and actions left out by the preview's bounds.
	HiddenBlocks, HiddenActions int
	// BlocksProblems and ActionsProblems are about the lists as a whole
	// (too many blocks, no actions).
	BlocksProblems, ActionsProblems []Problem
	Summary                         Summary
}

// Summary holds what has no place in the rendering: problems of the whole
// document, and how many problems there are in all.
type Summary struct {
	Problems []Problem
	Total    int  // every problem, placed or not
	Broken   bool // the document could not be read at all: nothing is drawn
}

// Block is one block of a modal.
type Block struct {
	Key                                string
	Element                            string // the definition name, e.g. "element-input"
	Label, Placeholder, Message, Value string
	Values                             []string // selected values of a checkbox group
	Items                              []Item
	HiddenItems                        int
	InputType                          string
	Required, Markdown, Resize         bool
	// Visible is "" when the block is always shown, "never", or the rule
	// that shows it, in words.
	Visible  string
	Problems []Problem
	Line     int
}

// Item is one choice of a select, radio group or checkbox group.
type Item struct {
	Label, Value       string
	Disabled, Selected bool
	Visible            string
}

// Action is one of the modal's buttons.
type Action struct {
	Key, Element, Label, Handler, URL string
	Problems                          []Problem
	Line                              int
}

// Panel is a JSON panel as the platform would show it in a detail view's
// sidebar.
type Panel struct {
	Title string
	Multi bool // a multiple-object panel: objects have a header and an actions menu
	// Header is the object's title field, when the document has one.
	Header *Field
	Fields []Field
	// HiddenFields counts the fields left out by the preview's bounds.
	HiddenFields int
	// ObjectProblems are about the object as a whole (id, required, too
	// many fields).
	ObjectProblems []Problem
	Summary        Summary
}

// Field is one field of a panel object.
type Field struct {
	Key, Kind, Label string
	Problems         []Problem
	Line             int
}

// CheckModal checks doc with the platform's rules and returns its preview.
func CheckModal(c devhub.SchemaChecker, title string, doc []byte) *Modal {
	var p devhub.Problems
	c.CheckModalSchema(ModalField, doc, &p)
	return NewModal(title, doc, devhub.ErrorFields(p.Err()))
}

// CheckPanel checks doc with the platform's rules and returns its preview.
func CheckPanel(c devhub.SchemaChecker, title string, doc []byte) *Panel {
	var p devhub.Problems
	c.CheckPanelSchema(PanelField, doc, &p)
	return NewPanel(title, doc, devhub.ErrorFields(p.Err()))
}

// problemsUnder returns the problems of errs about field (ModalField or
// PanelField), with paths relative to the document: "" for the document,
// else starting with "." or "[". Others (name, locations…) are not the
// preview's.
func problemsUnder(field string, errs []devhub.FieldError) []devhub.FieldError {
	var out []devhub.FieldError
	for _, e := range errs {
		rest, ok := strings.CutPrefix(e.Field, field)
		if ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			out = append(out, devhub.FieldError{Field: rest, Message: e.Message})
		}
	}
	return out
}

// read parses doc for a preview, or fills the summary with why it cannot.
func read(doc []byte, s *Summary) *node {
	if len(doc) > devhub.MaxSchemaBytes {
		s.Broken = true
		s.add(Problem{Message: fmt.Sprintf("The document is %d bytes; it may be at most %d.", len(doc), devhub.MaxSchemaBytes)})
		return nil
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		s.Broken = true
		s.add(Problem{Message: "Nothing to preview yet: the document is empty."})
		return nil
	}
	root, err := scan(doc)
	if err != nil {
		s.Broken = true
		se, _ := err.(*syntaxError)
		msg := "The document is not valid JSON."
		line := 0
		if se != nil {
			msg, line = "The document is not valid JSON: "+se.msg+fmt.Sprintf(" (column %d).", se.col), se.line
		}
		s.add(Problem{Message: msg, Line: line})
		return nil
	}
	if root.kind != kObject {
		s.Broken = true
		s.add(Problem{Message: "The document must be a JSON object.", Line: root.line})
		return nil
	}
	return root
}

func (s *Summary) add(p Problem) {
	s.Total++
	if len(s.Problems) < maxProblems {
		s.Problems = append(s.Problems, p)
	}
}

// NewModal builds the preview of a modal schema doc titled title, placing
// each of errs (the validator's, or a refused save's: only those under
// ModalField are used) at its block or action.
func NewModal(title string, doc []byte, errs []devhub.FieldError) *Modal {
	m := &Modal{Title: clip(strings.TrimSpace(title), maxLabel)}
	root := read(doc, &m.Summary)
	probs := problemsUnder(ModalField, errs)
	if root == nil {
		return m // the validator's problems would say the same, without the line
	}
	props := root.get("properties")
	blocks := members(props.get("blocks").get("properties"))
	actions := members(props.get("actions").get("properties"))
	blockKeys := make([]string, len(blocks))
	items := maxAllItems
	for i, b := range blocks {
		blockKeys[i] = b.key
		if i < maxBlocks {
			m.Blocks = append(m.Blocks, newBlock(b.key, b.val, &items))
		}
	}
	m.HiddenBlocks = max(len(blocks)-maxBlocks, 0)
	actionKeys := make([]string, len(actions))
	for i, a := range actions {
		actionKeys[i] = a.key
		if i < maxActions {
			m.Actions = append(m.Actions, newAction(a.key, a.val))
		}
	}
	m.HiddenActions = max(len(actions)-maxActions, 0)

	for _, e := range probs {
		pr := Problem{Message: e.Message, Line: locate(root, e.Field)}
		const bp, ap = ".properties.blocks", ".properties.actions"
		switch {
		case under(e.Field, bp+".properties"):
			rest := e.Field[len(bp+".properties"):]
			if i, tail, ok := matchKey(rest, blockKeys); ok && i < len(m.Blocks) {
				pr.Path = tail
				m.Blocks[i].Problems = appendProblem(m.Blocks[i].Problems, pr)
				m.Summary.Total++
				continue
			}
			pr.Path = trimDot(e.Field[len(bp):])
			m.BlocksProblems = appendProblem(m.BlocksProblems, pr)
			m.Summary.Total++
		case under(e.Field, bp):
			pr.Path = trimDot(e.Field[len(bp):])
			m.BlocksProblems = appendProblem(m.BlocksProblems, pr)
			m.Summary.Total++
		case under(e.Field, ap+".properties"):
			rest := e.Field[len(ap+".properties"):]
			if i, tail, ok := matchKey(rest, actionKeys); ok && i < len(m.Actions) {
				pr.Path = tail
				m.Actions[i].Problems = appendProblem(m.Actions[i].Problems, pr)
				m.Summary.Total++
				continue
			}
			pr.Path = trimDot(e.Field[len(ap):])
			m.ActionsProblems = appendProblem(m.ActionsProblems, pr)
			m.Summary.Total++
		case under(e.Field, ap):
			pr.Path = trimDot(e.Field[len(ap):])
			m.ActionsProblems = appendProblem(m.ActionsProblems, pr)
			m.Summary.Total++
		default:
			pr.Path = trimDot(e.Field)
			m.Summary.add(pr)
		}
	}
	return m
}

// NewPanel builds the preview of a panel data structure doc titled title,
// placing each of errs (only those under PanelField are used) at its field.
func NewPanel(title string, doc []byte, errs []devhub.FieldError) *Panel {
	p := &Panel{Title: clip(strings.TrimSpace(title), maxLabel)}
	root := read(doc, &p.Summary)
	probs := problemsUnder(PanelField, errs)
	if root == nil {
		return p
	}
	obj, objPath := root, ""
	if t, _ := root.get("type").str(); t == "array" {
		p.Multi = true
		obj, objPath = root.get("items"), ".items"
	}
	fields := members(obj.get("properties"))
	keys := make([]string, len(fields))
	index := make([]int, len(fields)) // into p.Fields, -1 for id, header and hidden fields
	for i, f := range fields {
		keys[i], index[i] = f.key, -1
		switch f.key {
		case "id":
		case "header":
			h := newField(f.key, f.val)
			p.Header = &h
		default:
			if len(p.Fields) < maxFields {
				index[i] = len(p.Fields)
				p.Fields = append(p.Fields, newField(f.key, f.val))
			} else {
				p.HiddenFields++
			}
		}
	}
	for _, e := range probs {
		pr := Problem{Message: e.Message, Line: locate(root, e.Field)}
		pp := objPath + ".properties"
		switch {
		case under(e.Field, pp):
			i, tail, ok := matchKey(e.Field[len(pp):], keys)
			switch {
			case ok && index[i] >= 0:
				pr.Path = tail
				p.Fields[index[i]].Problems = appendProblem(p.Fields[index[i]].Problems, pr)
				p.Summary.Total++
			case ok && keys[i] == "header" && p.Header != nil:
				pr.Path = tail
				p.Header.Problems = appendProblem(p.Header.Problems, pr)
				p.Summary.Total++
			default: // id, missing members, too many fields
				pr.Path = trimDot(e.Field[len(objPath):])
				p.ObjectProblems = appendProblem(p.ObjectProblems, pr)
				p.Summary.Total++
			}
		case objPath != "" && under(e.Field, objPath) || objPath == "" && (under(e.Field, ".required") || under(e.Field, ".properties")):
			pr.Path = trimDot(e.Field[len(objPath):])
			p.ObjectProblems = appendProblem(p.ObjectProblems, pr)
			p.Summary.Total++
		default:
			pr.Path = trimDot(e.Field)
			p.Summary.add(pr)
		}
	}
	return p
}

func appendProblem(list []Problem, p Problem) []Problem {
	if len(list) < maxProblems {
		list = append(list, p)
	}
	return list
}

// under reports whether path is prefix or lies below it.
func under(path, prefix string) bool {
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

func trimDot(s string) string { return strings.TrimPrefix(s, ".") }

// matchKey finds which of keys rest (".key.tail…") starts with, preferring
// the longest, and returns its index and the tail without its dot.
func matchKey(rest string, keys []string) (int, string, bool) {
	best := -1
	for i, k := range keys {
		if under(rest, "."+k) && (best < 0 || len(k) > len(keys[best])) {
			best = i
		}
	}
	if best < 0 {
		return 0, "", false
	}
	return best, trimDot(rest[1+len(keys[best]):]), true
}

type member struct {
	key string
	val *node
}

// members returns an object's members in document order; a repeated key
// keeps its last value (as JSON decoders do) at its first place.
func members(n *node) []member {
	if n == nil || n.kind != kObject {
		return nil
	}
	out := make([]member, 0, len(n.keys))
	seen := make(map[string]int, len(n.keys))
	for i, k := range n.keys {
		if j, dup := seen[k]; dup {
			out[j].val = n.vals[i]
			continue
		}
		seen[k] = len(out)
		out = append(out, member{k, n.vals[i]})
	}
	return out
}

// newBlock reads one block; it draws at most *items choices and counts
// them off.
func newBlock(key string, n *node, items *int) Block {
	b := Block{Key: clip(key, maxLabel), Line: lineOf(n)}
	ref, _ := n.get("$ref").str()
	b.Element = strings.TrimPrefix(ref, "#/definitions/")
	o := n.get("options")
	b.Label = text(o.get("label"), maxLabel)
	b.Placeholder = text(o.get("placeholder"), maxLabel)
	b.Message = text(o.get("message"), maxLabel)
	b.InputType = text(o.get("type"), 20)
	b.Required = o.get("isRequired").isTrue()
	b.Markdown = o.get("markdown").isTrue()
	b.Resize = o.get("resize").isTrue()
	b.Visible = visibility(o.get("visibleOn"))
	limit := maxLabel
	if b.Element == "element-text" {
		limit = maxText
	}
	v := o.get("value")
	switch {
	case v != nil && v.kind == kArray:
		for _, e := range v.vals {
			if s, ok := e.scalar(); ok && len(b.Values) < maxItems {
				b.Values = append(b.Values, clip(s, maxLabel))
			}
		}
	default:
		b.Value = text(v, limit)
	}
	if list := o.get("items"); list != nil && list.kind == kArray {
		for _, it := range list.vals {
			if len(b.Items) == maxItems || *items == 0 {
				b.HiddenItems++
				continue
			}
			val := text(it.get("value"), maxLabel)
			item := Item{Label: text(it.get("label"), maxLabel), Value: val,
				Disabled: it.get("isDisabled").isTrue(), Visible: visibility(it.get("visibleOn"))}
			if v != nil && v.kind != kArray {
				item.Selected = val != "" && val == b.Value
			}
			for _, s := range b.Values {
				item.Selected = item.Selected || s == val
			}
			b.Items = append(b.Items, item)
			*items--
		}
	}
	return b
}

func newAction(key string, n *node) Action {
	a := Action{Key: clip(key, maxLabel), Line: lineOf(n)}
	ref, _ := n.get("$ref").str()
	a.Element = strings.TrimPrefix(ref, "#/definitions/")
	o := n.get("options")
	a.Label = text(o.get("label"), maxLabel)
	a.Handler = text(o.get("handler"), 20)
	a.URL = text(o.get("url"), maxLabel)
	return a
}

func newField(key string, n *node) Field {
	f := Field{Key: clip(key, maxLabel), Line: lineOf(n), Label: text(n.get("label"), maxLabel)}
	ref, _ := n.get("$ref").str()
	f.Kind = strings.TrimPrefix(ref, "#/definitions/")
	return f
}

func lineOf(n *node) int {
	if n == nil {
		return 0
	}
	return n.line
}

// text returns a scalar as text of at most limit runes.
func text(n *node, limit int) string {
	s, _ := n.scalar()
	return clip(s, limit)
}

// clip shortens s to limit runes, marking the cut with an ellipsis.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

// visibility says in words when a visibleOn shows its block: "" always,
// "never", else the rules.
func visibility(n *node) string {
	if n == nil {
		return ""
	}
	switch n.kind {
	case kString:
		if n.text == "always" {
			return ""
		}
		if n.text == "never" {
			return "never"
		}
		return clip(n.text, maxLabel)
	case kObject:
		return rules(n)
	case kArray:
		var parts []string
		for _, r := range n.vals {
			if s := rules(r); s != "" {
				parts = append(parts, s)
			}
		}
		return clip(strings.Join(parts, " or "), 2*maxLabel)
	}
	return ""
}

func rules(n *node) string {
	var parts []string
	for _, m := range members(n) {
		switch {
		case m.val.kind == kString && m.val.text == "not_empty":
			parts = append(parts, m.key+" is not empty")
		case m.val.kind == kObject:
			for _, op := range members(m.val) {
				v, _ := op.val.scalar()
				switch op.key {
				case "equals":
					parts = append(parts, fmt.Sprintf("%s is %q", m.key, clip(v, 40)))
				case "includes":
					parts = append(parts, fmt.Sprintf("%s includes %q", m.key, clip(v, 40)))
				}
			}
		}
		if len(parts) > 5 {
			break
		}
	}
	return clip(strings.Join(parts, " and "), 2*maxLabel)
}
