package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// readBody reads the whole body, refusing one over MaxBodyBytes, and checks
// its media type against accept (the first is the one to name in errors).
func readBody(w http.ResponseWriter, r *http.Request, accept ...string) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	if err := checkMediaType(r, accept); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, devhub.Errorf(devhub.EMALFORMED, "The request body could not be read.")
	}
	return body, nil
}

var errTooLarge = devhub.Errorf(devhub.ETOOLARGE, "The request body is larger than %d KiB.", MaxBodyBytes>>10)

func checkMediaType(r *http.Request, accept []string) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		// An empty body may go without a type.
		if r.ContentLength == 0 && ct == "" {
			return nil
		}
		return devhub.Errorf(devhub.EUNSUPPORTED, "Content-Type must be %s.", strings.Join(accept, " or "))
	}
	for _, a := range accept {
		if strings.EqualFold(mt, a) {
			return nil
		}
	}
	return devhub.Errorf(devhub.EUNSUPPORTED, "Content-Type must be %s, not %s.", strings.Join(accept, " or "), mt)
}

// readJSON reads a JSON body (application/json) into v. An empty body is
// accepted when optional, and leaves v as it is. It returns the raw body,
// which an idempotent POST hashes.
func readJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) ([]byte, error) {
	body, err := readBody(w, r, "application/json")
	if err != nil {
		return nil, err
	}
	if optional && len(body) == 0 {
		return body, nil
	}
	return body, decodeJSON(body, v)
}

// decodeJSON decodes body into v: exactly one JSON value, no unknown members.
// Every failure is EMALFORMED and says where when it can.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return devhub.Errorf(devhub.EMALFORMED, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return devhub.Errorf(devhub.EMALFORMED, "The request body must hold exactly one JSON value.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return devhub.Errorf(devhub.EMALFORMED, "The request body must hold exactly one JSON value.")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return devhub.Errorf(devhub.EMALFORMED, "The request body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			if typ.Type != nil && typ.Type.Kind() == reflect.Struct {
				return devhub.Errorf(devhub.EMALFORMED, "The request body must be a JSON object.")
			}
			return devhub.Errorf(devhub.EMALFORMED, "A member of the request body has the wrong JSON type (%s).", typ.Value)
		}
		return &devhub.Error{Code: devhub.EMALFORMED, Message: "A member has the wrong JSON type.",
			Fields: []devhub.FieldError{{Field: field, Message: "must be " + jsonTypeName(typ.Type.String())}}}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return devhub.Errorf(devhub.EMALFORMED, "The request body is truncated JSON.")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return &devhub.Error{Code: devhub.EMALFORMED, Message: "The request body has an unknown member.",
			Fields: []devhub.FieldError{{Field: name, Message: "is not a known field"}}}
	}
	return devhub.Errorf(devhub.EMALFORMED, "The request body could not be decoded as JSON.")
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string", strings.HasSuffix(goType, "AppType"), strings.HasSuffix(goType, "Type"):
		return "a string"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	}
	return "an object"
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return writeJSONBody(w, v)
}

func writeJSONBody(w io.Writer, v any) error {
	b, err := devhub.MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	_, _ = w.Write(b)
	return nil
}

// etag is the entity tag of a resource at version.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads If-Match (RFC 9110 §13.1.1) as the hub's condition on the
// version: "*" is any version; an entity tag matches by strong comparison,
// so only the exact tag this API sends ("<version>") names a version, and a
// header with no such tag matches nothing.
func ifMatch(r *http.Request) hub.IfMatch {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return hub.IfMatch{}
	}
	m := hub.IfMatch{Given: true}
	for _, v := range values {
		for _, tag := range strings.Split(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				m.Any = true
				continue
			}
			inner, open := strings.CutPrefix(tag, `"`)
			inner, closed := strings.CutSuffix(inner, `"`)
			if !open || !closed {
				continue
			}
			if n, err := strconv.Atoi(inner); err == nil && strconv.Itoa(n) == inner {
				m.Versions = append(m.Versions, n)
			}
		}
	}
	return m
}

// pageParams reads ?limit= (1–100, default 20) and ?cursor=.
func pageParams(r *http.Request) (hub.PageRequest, error) {
	q, qErr := url.ParseQuery(r.URL.RawQuery)
	if qErr != nil {
		return hub.PageRequest{}, devhub.Errorf(devhub.EMALFORMED, "The query string is malformed.")
	}
	limit := 20
	if s := q.Get("limit"); s != "" {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > 100 {
			return hub.PageRequest{}, &devhub.Error{Code: devhub.EMALFORMED, Message: "limit must be a whole number from 1 to 100.",
				Fields: []devhub.FieldError{{Field: "limit", Message: "must be from 1 to 100"}}}
		}
		limit = n
	}
	return hub.PageRequest{Limit: limit, Cursor: q.Get("cursor")}, nil
}

// listResponse is the shape of every list.
type listResponse[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](items []T, next string) listResponse[T] {
	l := listResponse[T]{Data: items}
	if l.Data == nil {
		l.Data = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
