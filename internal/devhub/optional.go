package devhub

import (
	"bytes"
	"encoding/json"
)

// Optional is one member of a JSON merge patch (RFC 7396): absent (Set is
// false), null (Null: remove or reset the member), or a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON is called only for members present in the document, null
// included, which is how absence and null are told apart.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	// Nested objects refuse unknown members too, as the top level does.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&o.Value)
}
