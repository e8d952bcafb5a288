package dynamo

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts DynamoDB round trips by operation, so that tests can pin what
// a request costs (and fail when it creeps up). It counts attempts, inside
// the SDK's retry loop. It is safe for concurrent use.
type Meter struct {
	mu    sync.Mutex
	calls map[string]int
}

// Option installs the meter on a client: dynamo.NewClient(ep, m.Option).
func (m *Meter) Option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("devhubMeter",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				m.mu.Lock()
				if m.calls == nil {
					m.calls = map[string]int{}
				}
				m.calls[middleware.GetOperationName(ctx)]++
				m.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// Reset zeroes the meter.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = nil
}

// Calls returns the round trips per operation since the last Reset.
func (m *Meter) Calls() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// Total returns the round trips since the last Reset.
func (m *Meter) Total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, v := range m.calls {
		n += v
	}
	return n
}
