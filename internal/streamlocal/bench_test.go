package streamlocal_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/devhub-oss/devhub/internal/dynamo"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	evs "github.com/devhub-oss/devhub/internal/events"
	"github.com/devhub-oss/devhub/internal/events/eventstest"
	"github.com/devhub-oss/devhub/internal/probe"
)

// writeUnits sums the write capacity DynamoDB reports to a client.
type writeUnits struct{ milli atomic.Int64 }

func (w *writeUnits) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("benchWCU",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				var cc []types.ConsumedCapacity
				switch r := out.Result.(type) {
				case *dynamodb.BatchWriteItemOutput:
					cc = r.ConsumedCapacity
				case *dynamodb.PutItemOutput:
					if r.ConsumedCapacity != nil {
						cc = []types.ConsumedCapacity{*r.ConsumedCapacity}
					}
				case *dynamodb.UpdateItemOutput:
					if r.ConsumedCapacity != nil {
						cc = []types.ConsumedCapacity{*r.ConsumedCapacity}
					}
				}
				for _, c := range cc {
					w.milli.Add(int64(aws.ToFloat64(c.CapacityUnits) * 1000))
				}
				return out, md, err
			}), middleware.After)
	})
}

// BenchmarkCascade10000 deletes an app with 10,000 installations and runs
// everything that follows through DynamoDB Local's stream: the cascade's
// rounds, 10,000 uninstall notifications to a loopback server, the domain
// events. It reports items deleted per second (cascade start to last
// notification), DynamoDB write units per installation (cascade deletes,
// re-arms, delivery markers), and the peak heap in use while it ran.
func BenchmarkCascade10000(b *testing.B) {
	const installs = 10000
	for range b.N {
		b.StopTimer()
		var wcu writeUnits
		s := dynamotest.MustOpenStore(b)
		hs := dynamo.New(dynamotest.Client(b, wcu.option), s.Table())
		db := dynamotest.Client(b)
		cb := eventstest.NewCallback(b)
		h := &evs.Handler{
			Store:     hs,
			Notifier:  &evs.Notifier{Client: probe.New(probe.Options{AllowedHosts: []string{cb.HostPort()}, IdleConnsPerHost: evs.DefaultConcurrency}).Client()},
			Failures:  evs.LogSink{Logger: quiet},
			Publisher: &evs.Recorder{},
			Logger:    quiet,
			// A 60 s "invocation" deletes ~all in one round here; force rounds
			// as a slower table would.
			CascadeMaxItems: 2500,
		}
		a := eventstest.NewApp(b, s, cb.URL())
		eventstest.BulkInstall(b, db, s.Table(), a, installs)
		eventstest.PutExtensionItems(b, db, s.Table(), a, 5)
		ctx := context.Background()
		startPoller(b, s, h.Handle)
		// Let the poller pass the setup's records.
		time.Sleep(2 * time.Second)
		wcu.milli.Store(0)

		runtime.GC()
		var peakHeap, peakSys uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peakHeap, peakSys = max(peakHeap, ms.HeapInuse), max(peakSys, ms.Sys)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		if err := s.DeleteApp(ctx, a, "bench", "dev1"); err != nil {
			b.Fatal(err)
		}
		eventstest.WaitFor(b, 10*time.Minute, "notifications", func() bool { return len(cb.Received()) >= installs })
		eventstest.WaitFor(b, time.Minute, "cascade done", func() bool {
			st, err := s.GetCascadeState(ctx, a.ID)
			return err == nil && st.Done
		})
		elapsed := time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		st, _ := s.GetCascadeState(ctx, a.ID)
		if n := eventstest.PartitionSize(b, db, s.Table(), a.ID); n != 1 || len(cb.Received()) != installs {
			b.Fatalf("left %d items, %d notifications", n, len(cb.Received()))
		}
		b.ReportMetric(float64(st.Deleted)/elapsed.Seconds(), "items/s")
		b.ReportMetric(float64(wcu.milli.Load())/1000/installs, "WCU/installation")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakSys)/(1<<20), "peak-sys-MB")
		b.ReportMetric(float64(st.Round+1), "rounds")
		b.ReportMetric(float64(cb.Connections()), "connections")
		b.ReportMetric(elapsed.Seconds(), "s/cascade")
	}
}
