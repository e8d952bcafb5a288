// Package manifest reads and writes app manifests as YAML (application/yaml)
// with gopkg.in/yaml.v3. It turns a YAML document into the devhub.Node tree
// that devhub.ParseManifestJSON makes of JSON, with each value's line, so
// that a manifest means the same in either format and its errors name the
// same paths; and it renders a manifest (or any JSON value) as YAML.
//
// Only what JSON can say is accepted: mappings with scalar keys, sequences,
// strings, numbers, booleans and null. Aliases, merge keys, custom tags,
// infinities and NaN, and more than one document are refused (EMALFORMED):
// aliases because expanding them is how a small document becomes a huge one.
// It knows nothing of HTTP or storage, and decides no rule of the domain.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
	"gopkg.in/yaml.v3"
)

// ParseYAML parses one YAML document into a Node tree. Errors: EMALFORMED.
func ParseYAML(body []byte) (root *devhub.Node, err error) {
	defer func() {
		// The parser is third-party code run on untrusted input: a panic in
		// it is a malformed document, not a fault of the request.
		if r := recover(); r != nil {
			root, err = nil, devhub.Errorf(devhub.EMALFORMED, "The manifest is not valid YAML.")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, devhub.Errorf(devhub.EMALFORMED, "The manifest is empty.")
		}
		return nil, devhub.Errorf(devhub.EMALFORMED, "The manifest is not valid YAML: %s.", trimYAMLError(err))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, devhub.Errorf(devhub.EMALFORMED, "The manifest must be one YAML document.")
	}
	return convert(&doc, 0)
}

func trimYAMLError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func malformed(n *yaml.Node, format string, args ...any) error {
	return &devhub.Error{Code: devhub.EMALFORMED, Message: fmt.Sprintf(format, args...),
		Fields: []devhub.FieldError{{Field: "", Message: fmt.Sprintf(format, args...), Line: n.Line}}}
}

func convert(n *yaml.Node, depth int) (*devhub.Node, error) {
	if depth > devhub.MaxManifestDepth {
		return nil, malformed(n, "The manifest nests deeper than %d levels.", devhub.MaxManifestDepth)
	}
	out := &devhub.Node{Line: n.Line}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, devhub.Errorf(devhub.EMALFORMED, "The manifest is empty.")
		}
		return convert(n.Content[0], depth)
	case yaml.AliasNode:
		return nil, malformed(n, "YAML aliases (*name) are not accepted in a manifest: write the value out.")
	case yaml.SequenceNode:
		out.Kind = devhub.NodeArray
		for _, c := range n.Content {
			item, err := convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, item)
		}
	case yaml.MappingNode:
		out.Kind = devhub.NodeObject
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, malformed(k, "Mapping keys must be plain scalars (no merge keys, no complex keys).")
			}
			val, err := convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			if err := out.AddMember(k.Value, k.Line, val); err != nil {
				return nil, err
			}
		}
	case yaml.ScalarNode:
		if err := scalar(n, out); err != nil {
			return nil, err
		}
	default:
		return nil, malformed(n, "The manifest holds a YAML value that JSON cannot hold.")
	}
	return out, nil
}

// scalar reads a YAML scalar as its JSON equivalent.
func scalar(n *yaml.Node, out *devhub.Node) error {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		// A timestamp or binary is kept as the text written: JSON has
		// neither, and the manifest's members that take them are strings.
		out.Kind, out.Value = devhub.NodeString, n.Value
	case "!!null":
		out.Kind = devhub.NodeNull
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return malformed(n, "%q is not a boolean.", truncate(n.Value))
		}
		out.Kind, out.Value = devhub.NodeBool, strconv.FormatBool(b)
	case "!!int":
		out.Kind = devhub.NodeNumber
		var i int64
		if err := n.Decode(&i); err == nil {
			out.Value = strconv.FormatInt(i, 10)
			return nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			out.Value = strconv.FormatUint(u, 10)
			return nil
		}
		return malformed(n, "%q is not a number JSON can hold.", truncate(n.Value))
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return malformed(n, "%q is not a number JSON can hold.", truncate(n.Value))
		}
		out.Kind, out.Value = devhub.NodeNumber, strconv.FormatFloat(f, 'g', -1, 64)
	default:
		return malformed(n, "The YAML tag %s is not accepted in a manifest.", truncate(n.Tag))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// MarshalYAML renders a JSON document as YAML, members in their order,
// strings that would read as another type quoted. It writes the text
// itself (block style, two-space indent, as yaml.v3's encoder laid it out)
// rather than through yaml.v3's encoder: the emitter was 65 KB of every
// binary that exports manifests, and this is the one shape ever rendered.
func MarshalYAML(jsonDoc []byte) ([]byte, error) {
	root, err := devhub.ParseManifestJSON(jsonDoc)
	if err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	var b bytes.Buffer
	if block(root) {
		writeBlock(&b, root, 0, false)
	} else {
		writeScalar(&b, root, 2)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// block reports whether n is written as a block collection (a non-empty
// array or object); anything else fits on its key's line.
func block(n *devhub.Node) bool {
	return (n.Kind == devhub.NodeArray && len(n.Items) > 0) || (n.Kind == devhub.NodeObject && len(n.Keys) > 0)
}

// writeBlock writes the non-empty collection n at column indent; inline:
// its first line's indentation (a "- ") is written already.
func writeBlock(b *bytes.Buffer, n *devhub.Node, indent int, inline bool) {
	pad := func(i int) {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
	}
	if n.Kind == devhub.NodeArray {
		for i, it := range n.Items {
			pad(i)
			b.WriteString("- ")
			if block(it) {
				writeBlock(b, it, indent+2, true)
				continue
			}
			writeScalar(b, it, indent+2)
			b.WriteByte('\n')
		}
		return
	}
	for i, k := range n.Keys {
		pad(i)
		if len(k) > maxImplicitKey {
			// An implicit key is at most 1024 characters: say it explicitly.
			b.WriteString("? ")
			writeString(b, k, -1)
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent))
		} else {
			writeString(b, k, -1)
		}
		b.WriteByte(':')
		v := n.Members[i]
		if block(v) {
			b.WriteByte('\n')
			writeBlock(b, v, indent+2, false)
			continue
		}
		b.WriteByte(' ')
		writeScalar(b, v, indent+2)
		b.WriteByte('\n')
	}
}

// maxImplicitKey leaves room for the quotes and escapes of a key within
// YAML's 1024-character limit on implicit keys.
const maxImplicitKey = 256

// writeScalar writes a scalar or an empty collection; a multi-line string
// becomes a literal block indented to content.
func writeScalar(b *bytes.Buffer, n *devhub.Node, content int) {
	switch n.Kind {
	case devhub.NodeArray:
		b.WriteString("[]")
	case devhub.NodeObject:
		b.WriteString("{}")
	case devhub.NodeString:
		writeString(b, n.Value, content)
	case devhub.NodeNull:
		b.WriteString("null")
	default: // numbers and booleans: their JSON text is their YAML text
		b.WriteString(n.Value)
	}
}

// writeString writes s plain when YAML reads it back as that same string,
// as a literal block when it has several lines (content >= 0: not a key),
// single-quoted when only its characters forbid plain, else double-quoted.
func writeString(b *bytes.Buffer, s string, content int) {
	switch {
	case !printable(s, "\n"):
		b.WriteString(strconv.Quote(s)) // Go's escapes are YAML's too
	case strings.Contains(s, "\n"):
		if content >= 0 && literalOK(s) {
			writeLiteral(b, s, content)
			return
		}
		b.WriteString(strconv.Quote(s))
	case !plainString(s):
		b.WriteString(strconv.Quote(s))
	case !plainChars(s):
		b.WriteString("'" + strings.ReplaceAll(s, "'", "''") + "'")
	default:
		b.WriteString(s)
	}
}

// printable: no control characters but those in allowed, valid UTF-8.
func printable(s, allowed string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == 0x7f || r == 0xfeff || (r >= 0x80 && r < 0xa0) || (r < 0x20 && !strings.ContainsRune(allowed, r)) {
			return false
		}
	}
	return true
}

// plainString reports whether a plain s reads as a string, not as null, a
// boolean, a number, a timestamp or a merge key. Anything starting like a
// number is quoted.
func plainString(s string) bool {
	switch s {
	case "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "<<", "=":
		return false
	}
	return !strings.ContainsRune("0123456789+-.", rune(s[0]))
}

// plainChars reports whether YAML's syntax allows s as a plain scalar in
// block context (conservatively: no indicator first, no ": " or " #", no
// trailing ":" and no surrounding spaces).
func plainChars(s string) bool {
	if strings.ContainsRune("-?:,[]{}#&*!|>'\"%@` \t", rune(s[0])) || strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.Contains(s, "\t") {
		return false
	}
	return true
}

// literalOK: s can be a literal block: it starts with neither a space nor
// a line break (no indentation indicator needed), has no tab, and no line
// holds only spaces (YAML could read those as part of the chomping).
func literalOK(s string) bool {
	if s[0] == ' ' || s[0] == '\n' || strings.Contains(s, "\t") {
		return false
	}
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line != "" && strings.TrimLeft(line, " ") == "" {
			return false
		}
	}
	return true
}

func writeLiteral(b *bytes.Buffer, s string, content int) {
	body := strings.TrimRight(s, "\n")
	switch len(s) - len(body) {
	case 0:
		b.WriteString("|-")
	case 1:
		b.WriteString("|")
	default:
		b.WriteString("|+")
	}
	pad := strings.Repeat(" ", content)
	for _, line := range strings.Split(body, "\n") {
		b.WriteByte('\n')
		if line != "" {
			b.WriteString(pad + line)
		}
	}
	for range len(s) - len(body) - 1 {
		b.WriteByte('\n')
	}
}
