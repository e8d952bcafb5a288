package preview

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// scanner reads a JSON document into nodes in one pass over its bytes. It
// accepts exactly what encoding/json accepts (FuzzScanner holds it to
// that), at a fraction of json.Decoder.Token's cost, and keeps what the
// preview needs: member order and the line of every value.
type scanner struct {
	doc  []byte
	pos  int
	line int
}

func (s *scanner) fail(msg string) error {
	ls := newLines(s.doc)
	line, col := ls.at(int64(s.pos))
	return &syntaxError{line: line, col: col, msg: msg}
}

func (s *scanner) space() {
	for s.pos < len(s.doc) {
		switch s.doc[s.pos] {
		case '\n':
			s.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		s.pos++
	}
}

// scan parses a whole document.
func scan(doc []byte) (*node, error) {
	s := &scanner{doc: doc, line: 1}
	n, err := s.value(0)
	if err != nil {
		return nil, err
	}
	s.space()
	if s.pos < len(doc) {
		return nil, s.fail("unexpected data after the document's end")
	}
	return n, nil
}

func (s *scanner) value(depth int) (*node, error) {
	s.space()
	if s.pos >= len(s.doc) {
		return nil, s.fail("the document ends too early")
	}
	line := s.line
	switch c := s.doc[s.pos]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return nil, s.fail(fmt.Sprintf("the document nests deeper than %d levels", maxDepth))
		}
		return s.container(c, depth, line)
	case c == '"':
		str, err := s.str()
		if err != nil {
			return nil, err
		}
		return &node{kind: kString, text: str, line: line}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := s.pos
		if !s.number() {
			return nil, s.fail("invalid number")
		}
		return &node{kind: kNumber, text: string(s.doc[start:s.pos]), line: line, isNum: true}, nil
	default:
		for _, lit := range []struct {
			word string
			kind kind
		}{{"true", kBool}, {"false", kBool}, {"null", kNull}} {
			if len(s.doc)-s.pos >= len(lit.word) && string(s.doc[s.pos:s.pos+len(lit.word)]) == lit.word {
				s.pos += len(lit.word)
				n := &node{kind: lit.kind, line: line}
				if lit.kind == kBool {
					n.text = lit.word
				}
				return n, nil
			}
		}
		return nil, s.fail(fmt.Sprintf("invalid character %s looking for the beginning of a value", quoteChar(c)))
	}
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c < 0x20 || c >= 0x7f {
		return strconv.Quote(string(rune(c)))
	}
	return "'" + string(c) + "'"
}

func (s *scanner) container(open byte, depth, line int) (*node, error) {
	n := &node{kind: kObject, line: line}
	closeCh := byte('}')
	if open == '[' {
		n.kind, closeCh = kArray, ']'
	}
	s.pos++
	s.space()
	if s.pos < len(s.doc) && s.doc[s.pos] == closeCh {
		s.pos++
		return n, nil
	}
	for {
		if n.kind == kObject {
			s.space()
			if s.pos >= len(s.doc) {
				return nil, s.fail("the document ends too early")
			}
			if s.doc[s.pos] != '"' {
				return nil, s.fail(fmt.Sprintf("invalid character %s looking for the beginning of an object key string", quoteChar(s.doc[s.pos])))
			}
			key, err := s.str()
			if err != nil {
				return nil, err
			}
			s.space()
			if s.pos >= len(s.doc) {
				return nil, s.fail("the document ends too early")
			}
			if s.doc[s.pos] != ':' {
				return nil, s.fail(fmt.Sprintf("invalid character %s after object key", quoteChar(s.doc[s.pos])))
			}
			s.pos++
			n.keys = append(n.keys, key)
		}
		v, err := s.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, v)
		s.space()
		if s.pos >= len(s.doc) {
			return nil, s.fail("the document ends too early")
		}
		switch s.doc[s.pos] {
		case ',':
			s.pos++
		case closeCh:
			s.pos++
			return n, nil
		default:
			what := "object key:value pair"
			if n.kind == kArray {
				what = "array element"
			}
			return nil, s.fail(fmt.Sprintf("invalid character %s after %s", quoteChar(s.doc[s.pos]), what))
		}
	}
}

// str reads a string at s.pos, decoding escapes as encoding/json does
// (invalid UTF-8 and lone surrogates become U+FFFD).
func (s *scanner) str() (string, error) {
	start := s.pos
	s.pos++
	plain := true
	for s.pos < len(s.doc) {
		c := s.doc[s.pos]
		switch {
		case c == '"':
			s.pos++
			raw := s.doc[start:s.pos]
			if plain {
				inner := raw[1 : len(raw)-1]
				if utf8.Valid(inner) {
					return string(inner), nil
				}
			}
			var out string
			if err := json.Unmarshal(raw, &out); err != nil {
				s.pos = start
				return "", s.fail("invalid string")
			}
			return out, nil
		case c == '\\':
			plain = false
			if s.pos+1 >= len(s.doc) {
				s.pos++
				return "", s.fail("the document ends too early")
			}
			switch e := s.doc[s.pos+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.doc) || !isHex4(s.doc[s.pos+2:s.pos+6]) {
					s.pos++
					return "", s.fail("invalid escape in string")
				}
				s.pos += 6
			default:
				s.pos++
				return "", s.fail("invalid escape in string")
			}
		case c < 0x20:
			return "", s.fail("invalid control character in string")
		default:
			s.pos++
		}
	}
	return "", s.fail("the document ends too early")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads a JSON number at s.pos, reporting whether it is well formed.
func (s *scanner) number() bool {
	d := s.doc
	if s.pos < len(d) && d[s.pos] == '-' {
		s.pos++
	}
	digits := func() int {
		n := 0
		for s.pos < len(d) && d[s.pos] >= '0' && d[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.pos < len(d) && d[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return false
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return false
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
