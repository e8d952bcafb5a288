package preview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The scanner's reference: the same tree built from encoding/json's
// tokens, as the preview first did. FuzzScanner compares the two.

// parse reads doc into a tree. It refuses trailing data and nesting deeper
// than maxDepth, and reports where a syntax error is.
func parse(doc []byte) (*node, error) {
	ls := newLines(doc)
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	p := &parser{dec: dec, lines: ls}
	n, err := p.value(0)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = p.fail("unexpected data after the document's end")
		}
	}
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, p.fail(describe(err))
	}
	return n, nil
}

type parser struct {
	dec   *json.Decoder
	lines lines
}

func (p *parser) fail(msg string) *syntaxError {
	line, col := p.lines.at(p.dec.InputOffset())
	return &syntaxError{line: line, col: col, msg: msg}
}

// describe turns a decoder error into a short sentence without Go's
// wording.
func describe(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return strings.TrimPrefix(se.Error(), "json: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the document ends too early"
	}
	return "this is not valid JSON"
}

func (p *parser) value(depth int) (*node, error) {
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := p.lines.at(se.Offset)
			return nil, &syntaxError{line: line, col: col, msg: describe(err)}
		}
		return nil, p.fail(describe(err))
	}
	line, _ := p.lines.at(max(p.dec.InputOffset()-1, 0))
	switch t := tok.(type) {
	case nil:
		return &node{kind: kNull, line: line}, nil
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return &node{kind: kBool, text: s, line: line}, nil
	case json.Number:
		return &node{kind: kNumber, text: string(t), line: line, isNum: true}, nil
	case string:
		return &node{kind: kString, text: t, line: line}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, p.fail(fmt.Sprintf("the document nests deeper than %d levels", maxDepth))
		}
		n := &node{line: line}
		if t == '{' {
			n.kind = kObject
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.fail(describe(err))
				}
				key, _ := kt.(string)
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
		} else {
			n.kind = kArray
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.fail(describe(err))
		}
		return n, nil
	}
	return nil, p.fail("this is not valid JSON")
}
