package preview_test

import (
	"runtime"
	"testing"

	"github.com/devhub-oss/devhub/internal/benchclock"
	"github.com/devhub-oss/devhub/internal/console/preview"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// BenchmarkPreview measures one preview per documentation template: the
// validator's check (what the preview endpoint also runs) and the drawing
// alone, in thread CPU time per document.
func BenchmarkPreview(b *testing.B) {
	for _, tc := range []struct {
		name  string
		modal bool
	}{
		{"modal-cake-order.json", true},
		{"modal-visible-on.json", true},
		{"panel-multiple-object.json", false},
		{"panel-developer-hub-sample.json", false},
	} {
		doc := fixture(b, tc.name)
		b.Run("check+draw/"+tc.name, func(b *testing.B) {
			stop := cpuClock(b)
			for b.Loop() {
				var buf []byte
				if tc.modal {
					buf = preview.CheckModal(checker, "Title", doc).AppendHTML(buf)
				} else {
					buf = preview.CheckPanel(checker, "Title", doc).AppendHTML(buf)
				}
				_ = buf
			}
			stop()
		})
		var p devhub.Problems
		if tc.modal {
			checker.CheckModalSchema(preview.ModalField, doc, &p)
		} else {
			checker.CheckPanelSchema(preview.PanelField, doc, &p)
		}
		errs := devhub.ErrorFields(p.Err())
		b.Run("draw/"+tc.name, func(b *testing.B) {
			stop := cpuClock(b)
			buf := make([]byte, 0, 16<<10)
			for b.Loop() {
				if tc.modal {
					buf = preview.NewModal("Title", doc, errs).AppendHTML(buf[:0])
				} else {
					buf = preview.NewPanel("Title", doc, errs).AppendHTML(buf[:0])
				}
			}
			stop()
		})
	}
}

// cpuClock locks the benchmark to its thread and returns a func reporting
// the thread's CPU time per iteration, which the other processes on a
// shared machine do not inflate as they do wall time.
func cpuClock(b *testing.B) func() {
	runtime.LockOSThread()
	start := benchclock.ThreadCPU()
	return func() {
		cpu := benchclock.ThreadCPU() - start
		runtime.UnlockOSThread()
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/doc")
	}
}
