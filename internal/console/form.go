package console

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// Form is a submitted form on its way back to the person who sent it: what
// they typed (kept, whatever was refused) and, after a refused save, the
// message of each field that broke a rule (the GOV.UK pattern: an error
// summary at the top linking to each field, the message beside the field).
//
// Field names are the API's field names ("name", "callback_url",
// "listing.summary"), so the use cases' *devhub.Error fields land beside the
// inputs that caused them without a translation table.
type Form struct {
	Values url.Values
	// Labels override fieldLabels for this form (e.g. the extension forms).
	Labels map[string]string
	// Message is the refusal's general message, when it named no field.
	Message string
	// Where returns the page on which field is edited, when it is not this
	// one ("" here): the summary links there.
	Where func(field string) string
	errs  map[string]string
	order []string
}

// NewForm returns a form holding values (nil: an empty form).
func NewForm(values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values}
}

// Set replaces the value of name.
func (f *Form) Set(name, value string) { f.Values.Set(name, value) }

// Get returns the value typed into name.
func (f *Form) Get(name string) string { return f.Values.Get(name) }

// Has reports whether value is among the values of name (checkboxes).
func (f *Form) Has(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Fail records why a save was refused. A *devhub.Error's fields go beside
// their inputs ("scopes[2]" beside "scopes"); its message, or any other
// error's safe message, goes to the summary. It returns f.
func (f *Form) Fail(err error) *Form {
	fields := devhub.ErrorFields(err)
	for _, fe := range fields {
		f.AddError(baseField(fe.Field), fe.Message)
	}
	var de *devhub.Error
	if len(fields) == 0 || !errors.As(err, &de) {
		f.Message = devhub.ErrorMessage(err)
	}
	return f
}

// AddError puts message beside field (the first message of a field wins).
func (f *Form) AddError(field, message string) {
	if f.errs == nil {
		f.errs = map[string]string{}
	}
	if _, ok := f.errs[field]; ok {
		return
	}
	f.errs[field] = message
	f.order = append(f.order, field)
}

// baseField strips list indexes: "scopes[2]" → "scopes".
func baseField(field string) string {
	if i := strings.IndexByte(field, '['); i >= 0 {
		return field[:i]
	}
	return field
}

// Failed reports whether anything was refused.
func (f *Form) Failed() bool { return f != nil && (len(f.errs) > 0 || f.Message != "") }

// Error returns the message beside field, "" when it has none.
func (f *Form) Error(field string) string {
	if f == nil || f.errs[field] == "" {
		return ""
	}
	return f.sentence(field, f.errs[field])
}

// Label returns what the form calls field.
func (f *Form) Label(field string) string {
	if l, ok := f.Labels[field]; ok {
		return l
	}
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return field
}

// sentence makes a field's message readable on its own: "must be https"
// becomes "Callback URL must be https".
func (f *Form) sentence(field, msg string) string {
	if r, _ := utf8.DecodeRuneInString(msg); unicode.IsUpper(r) {
		return msg
	}
	return f.Label(field) + " " + msg
}

// SummaryItem is one line of the error summary.
type SummaryItem struct {
	Href, Text string
}

// Summary lists the refused fields in the order they were reported,
// each linking to its input.
func (f *Form) Summary() []SummaryItem {
	if f == nil {
		return nil
	}
	order := slices.Clone(f.order)
	// The summary follows the page, top to bottom, whatever order the
	// rules reported in.
	slices.SortStableFunc(order, func(a, b string) int { return fieldRank(a) - fieldRank(b) })
	out := make([]SummaryItem, 0, len(order))
	for _, field := range order {
		page := ""
		if f.Where != nil {
			page = f.Where(field)
		}
		out = append(out, SummaryItem{Href: page + "#" + FieldID(field), Text: f.sentence(field, f.errs[field])})
	}
	return out
}

// FieldID is the id of field's input: what labels and the summary point to.
func FieldID(field string) string {
	b := []byte("f-")
	for i := 0; i < len(field); i++ {
		c := field[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b = append(b, c)
		} else {
			b = append(b, '-')
		}
	}
	return string(b)
}

// fieldOrder is the order fields appear in on the app settings pages.
var fieldOrder = []string{"name", "callback_url", "scopes", "installation_url", "listing.summary", "listing.description",
	"listing.icon_url", "listing.image_urls", "listing.video_url", "listing.support_url", "listing.privacy_policy_url"}

func fieldRank(field string) int {
	if i := slices.Index(fieldOrder, field); i >= 0 {
		return i
	}
	return len(fieldOrder)
}
