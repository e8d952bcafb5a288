package preview

import (
	"fmt"
	"sort"
	"strings"
)

// maxDepth bounds how deeply a document may nest before the preview gives
// up on it; the validator refuses the same depth.
const maxDepth = 32

// node is one JSON value, with object members kept in document order (the
// platform shows blocks, actions and fields in the order they are written,
// which encoding/json's maps forget) and the line it starts on.
type node struct {
	kind  kind
	text  string // a string's value, a number's digits, "true"/"false"
	keys  []string
	vals  []*node // object members (with keys) or array elements
	line  int
	isNum bool
}

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kObject
	kArray
)

// get returns the member key of an object node, or nil. A repeated key
// answers its last value, as encoding/json would.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kObject {
		return nil
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.vals[i]
		}
	}
	return nil
}

// str returns the node's text when it is a string.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != kString {
		return "", false
	}
	return n.text, true
}

// scalar returns a string, number or boolean as text.
func (n *node) scalar() (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.kind {
	case kString, kNumber, kBool:
		return n.text, true
	}
	return "", false
}

func (n *node) isTrue() bool { return n != nil && n.kind == kBool && n.text == "true" }

// syntaxError is a document that is not JSON, with where it went wrong.
type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

// lines turns byte offsets into 1-based line numbers and columns.
type lines []int // offsets of each '\n'

func newLines(doc []byte) lines {
	var l lines
	for i, c := range doc {
		if c == '\n' {
			l = append(l, i)
		}
	}
	return l
}

func (l lines) at(off int64) (line, col int) {
	i := sort.SearchInts(l, int(off))
	start := 0
	if i > 0 {
		start = l[i-1] + 1
	}
	return i + 1, int(off) - start + 1
}

// locate follows a validator path (keys after dots, indexes in brackets,
// as in "properties.blocks.properties.size.options.label") from n as far as
// the document goes, and returns the line of the deepest value it reaches.
// Keys may themselves hold dots, so at each object the longest member name
// that fits is taken.
func locate(n *node, path string) int {
	line := n.line
	for n != nil && path != "" {
		var next *node
		switch {
		case n.kind == kObject && path[0] == '.':
			best := -1
			for i, k := range n.keys {
				rest, ok := strings.CutPrefix(path[1:], k)
				if ok && (rest == "" || rest[0] == '.' || rest[0] == '[') && (best < 0 || len(k) > len(n.keys[best])) {
					best = i
				}
			}
			if best >= 0 {
				next, path = n.vals[best], path[1+len(n.keys[best]):]
			}
		case n.kind == kArray && path[0] == '[':
			end := strings.IndexByte(path, ']')
			var i int
			if end > 0 {
				if _, err := fmt.Sscanf(path[1:end], "%d", &i); err == nil && i >= 0 && i < len(n.vals) {
					next, path = n.vals[i], path[end+1:]
				}
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.line
	}
	return line
}
