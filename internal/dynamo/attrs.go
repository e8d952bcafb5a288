package dynamo

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// attrs reads an item's attributes by name without reflection. A missing or
// differently typed attribute reads as the zero value.
type attrs map[string]types.AttributeValue

func (m attrs) str(k string) string {
	if v, ok := m[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func (m attrs) strp(k string) *string {
	if v, ok := m[k].(*types.AttributeValueMemberS); ok {
		s := v.Value
		return &s
	}
	return nil
}

func (m attrs) int(k string) int {
	if v, ok := m[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.Atoi(v.Value)
		return n
	}
	return 0
}

// strs reads a list of strings; never nil, so that it encodes as [].
func (m attrs) strs(k string) []string {
	l, _ := m[k].(*types.AttributeValueMemberL)
	if l == nil {
		return []string{}
	}
	out := make([]string, 0, len(l.Value))
	for _, v := range l.Value {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}

func (m attrs) time(k string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, m.str(k))
	return t
}

func (m attrs) attrs(k string) attrs {
	if v, ok := m[k].(*types.AttributeValueMemberM); ok {
		return v.Value
	}
	return nil
}

func (m attrs) bool(k string) bool {
	v, ok := m[k].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}
