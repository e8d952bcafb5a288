package devhub

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON encodes v as json.Marshal does, except that &, < and > stay as
// they are instead of becoming \u0026, \u003c and \u003e. Every JSON document
// devhub writes (API bodies, problems, OAuth answers, notifications, events)
// goes through it: they are read by programs, never pasted into HTML
// unescaped (the console's templates escape what they show), and a name
// like "Deals & leads" should read as sent.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
