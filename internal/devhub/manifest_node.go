package devhub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
)

// NodeKind is the kind of a value in a parsed manifest document.
type NodeKind uint8

const (
	NodeNull NodeKind = iota
	NodeBool
	NodeNumber
	NodeString
	NodeArray
	NodeObject
)

func (k NodeKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// Node is one value of a manifest document as parsed, from JSON or YAML, with
// the line it starts on (1-based; 0 when unknown). Both formats become Nodes
// so that a manifest means the same in either, and so that every error can
// name the member's path and line. Value holds a scalar's text: a string's
// characters, a number's JSON spelling, "true" or "false".
type Node struct {
	Kind    NodeKind
	Line    int
	Value   string
	Items   []*Node // NodeArray
	Keys    []string
	Members []*Node // NodeObject, parallel to Keys, in document order
}

// MaxManifestDepth bounds how deeply a manifest document may nest (schema
// documents included), so that no input can exhaust the stack.
const MaxManifestDepth = 64

// ParseManifestJSON parses one JSON value into a Node tree. Errors are
// EMALFORMED: not JSON, more than one value, a member repeated in an object,
// or nesting deeper than MaxManifestDepth.
func ParseManifestJSON(body []byte) (*Node, error) {
	p := jsonParser{dec: json.NewDecoder(bytes.NewReader(body)), body: body, line: 1}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, Errorf(EMALFORMED, "The manifest must hold exactly one JSON value.")
	}
	return n, nil
}

type jsonParser struct {
	dec  *json.Decoder
	body []byte
	// line is the line at offset pos of body.
	pos, line int
}

// nextLine returns the line of the next token: the first byte after the
// decoder's offset that is not white space or a separator.
func (p *jsonParser) nextLine() int {
	off := int(p.dec.InputOffset())
	for off < len(p.body) && strings.IndexByte(" \t\r\n,:", p.body[off]) >= 0 {
		off++
	}
	if off > len(p.body) {
		off = len(p.body)
	}
	if off > p.pos {
		p.line += bytes.Count(p.body[p.pos:off], []byte{'\n'})
		p.pos = off
	}
	return p.line
}

func (p *jsonParser) token() (json.Token, int, error) {
	line := p.nextLine()
	t, err := p.dec.Token()
	if err != nil {
		var syntax *json.SyntaxError
		switch {
		case errors.As(err, &syntax):
			return nil, line, lineError(EMALFORMED, line, "", "The manifest is not valid JSON (at byte %d).", syntax.Offset)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, line, Errorf(EMALFORMED, "The manifest is truncated JSON.")
		}
		return nil, line, lineError(EMALFORMED, line, "", "The manifest is not valid JSON.")
	}
	return t, line, nil
}

func (p *jsonParser) value(depth int) (*Node, error) {
	t, line, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.build(t, line, depth)
}

func (p *jsonParser) build(t json.Token, line, depth int) (*Node, error) {
	if depth > MaxManifestDepth {
		return nil, lineError(EMALFORMED, line, "", "The manifest nests deeper than %d levels.", MaxManifestDepth)
	}
	n := &Node{Line: line}
	switch v := t.(type) {
	case nil:
		n.Kind = NodeNull
	case bool:
		n.Kind, n.Value = NodeBool, strconv.FormatBool(v)
	case json.Number:
		n.Kind, n.Value = NodeNumber, v.String()
	case string:
		n.Kind, n.Value = NodeString, v
	case json.Delim:
		switch v {
		case '[':
			n.Kind = NodeArray
			for p.dec.More() {
				item, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, item)
			}
		case '{':
			n.Kind = NodeObject
			for p.dec.More() {
				kt, kline, err := p.token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string) // the decoder only yields strings here
				if err := n.addKey(k, kline); err != nil {
					return nil, err
				}
				m, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Members = append(n.Members, m)
			}
		}
		if _, _, err := p.token(); err != nil { // the closing delimiter
			return nil, err
		}
	}
	return n, nil
}

// AddMember appends member k to object n, refusing a repeated name
// (EMALFORMED): JSON parsers disagree on which repeat wins, so a manifest
// must not depend on one.
func (n *Node) AddMember(k string, line int, v *Node) error {
	if err := n.addKey(k, line); err != nil {
		return err
	}
	n.Members = append(n.Members, v)
	return nil
}

func (n *Node) addKey(k string, line int) error {
	for _, have := range n.Keys {
		if have == k {
			return lineError(EMALFORMED, line, truncate(k, 64), "A member is repeated.")
		}
	}
	n.Keys = append(n.Keys, k)
	return nil
}

// JSON returns n as compact JSON text.
func (n *Node) JSON() json.RawMessage {
	var b bytes.Buffer
	n.writeJSON(&b)
	return b.Bytes()
}

func (n *Node) writeJSON(b *bytes.Buffer) {
	switch n.Kind {
	case NodeNull:
		b.WriteString("null")
	case NodeBool, NodeNumber:
		b.WriteString(n.Value)
	case NodeString:
		writeString(b, n.Value)
	case NodeArray:
		b.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.writeJSON(b)
		}
		b.WriteByte(']')
	case NodeObject:
		b.WriteByte('{')
		for i, k := range n.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			n.Members[i].writeJSON(b)
		}
		b.WriteByte('}')
	}
}

// lineError is an error of code about field (may be "") at line (0: none).
func lineError(code string, line int, field, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	if field != "" || line > 0 {
		msg := e.Message
		if field != "" {
			msg = "is malformed"
		}
		e.Fields = []FieldError{{Field: field, Message: msg, Line: line}}
	}
	return e
}

// writeString writes s as a JSON string, without the HTML escapes of
// json.Marshal: a document keeps the characters it was sent with.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// sameDocument reports whether two JSON documents are the same value,
// whatever the order of their members and however their strings are
// escaped: a client that reorders an exported schema has not changed it.
func sameDocument(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	na, errA := ParseManifestJSON(a)
	nb, errB := ParseManifestJSON(b)
	if errA != nil || errB != nil {
		return false
	}
	na.sortMembers()
	nb.sortMembers()
	return bytes.Equal(na.JSON(), nb.JSON())
}

// sortMembers orders every object's members by name, recursively.
func (n *Node) sortMembers() {
	for _, it := range n.Items {
		it.sortMembers()
	}
	if len(n.Keys) > 1 {
		idx := make([]int, len(n.Keys))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(i, j int) bool { return n.Keys[idx[i]] < n.Keys[idx[j]] })
		keys, members := make([]string, len(idx)), make([]*Node, len(idx))
		for i, j := range idx {
			keys[i], members[i] = n.Keys[j], n.Members[j]
		}
		n.Keys, n.Members = keys, members
	}
	for _, m := range n.Members {
		m.sortMembers()
	}
}
