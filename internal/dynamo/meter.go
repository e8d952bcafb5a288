package dynamo

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts DynamoDB round trips by operation, and the time (and, when
// Allocs is on, the heap allocations) spent inside them, so that tests can
// pin the cost of a request and benchmarks can tell handler overhead from
// time spent in DynamoDB. It is safe for concurrent use.
type Meter struct {
	// Allocs turns on allocation counting; it reads runtime.MemStats around
	// each call, which stops the world: benchmarks only.
	Allocs bool
	// Clock, when set, replaces wall time: a benchmark that locks its
	// goroutine to a thread can pass that thread's CPU clock, which Java's
	// DynamoDB Local competing for the same cores does not disturb.
	Clock func() time.Duration

	mu      sync.Mutex
	calls   map[string]int
	elapsed time.Duration
	mallocs uint64
}

// Option installs the meter on a client: dynamo.NewClient(ctx, ep, m.Option).
// Round trips are counted per attempt (inside the retry loop); time and
// allocations around the whole SDK call, marshalling included.
func (m *Meter) Option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("devhubMeterSpent",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				var before, after runtime.MemStats
				if m.Allocs {
					runtime.ReadMemStats(&before)
				}
				clock := m.Clock
				if clock == nil {
					clock = sinceStart
				}
				start := clock()
				out, md, err := next.HandleInitialize(ctx, in)
				d := clock() - start
				if m.Allocs {
					runtime.ReadMemStats(&after)
				}
				m.mu.Lock()
				m.elapsed += d
				m.mallocs += after.Mallocs - before.Mallocs
				m.mu.Unlock()
				return out, md, err
			}), middleware.Before)
		if err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("devhubMeterCalls",
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
	m.calls, m.elapsed, m.mallocs = nil, 0, 0
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

// Spent returns the time and allocations spent inside DynamoDB calls.
func (m *Meter) Spent() (time.Duration, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.elapsed, m.mallocs
}

var processStart = time.Now()

func sinceStart() time.Duration { return time.Since(processStart) }
