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
// strings that would read as another type quoted.
func MarshalYAML(jsonDoc []byte) ([]byte, error) {
	root, err := devhub.ParseManifestJSON(jsonDoc)
	if err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(toYAML(root)); err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render YAML: %w", err)
	}
	return b.Bytes(), nil
}

func toYAML(n *devhub.Node) *yaml.Node {
	switch n.Kind {
	case devhub.NodeNull:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case devhub.NodeBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: n.Value}
	case devhub.NodeNumber:
		tag := "!!float"
		if _, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: n.Value}
	case devhub.NodeString:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: n.Value}
	case devhub.NodeArray:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(n.Items) == 0 {
			out.Style = yaml.FlowStyle
		}
		for _, it := range n.Items {
			out.Content = append(out.Content, toYAML(it))
		}
		return out
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(n.Keys) == 0 {
		out.Style = yaml.FlowStyle
	}
	for i, k := range n.Keys {
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, toYAML(n.Members[i]))
	}
	return out
}
