//go:build !linux

// Package benchclock reads the CPU time of the calling thread, for
// benchmarks. Benchmarks only: nothing on a request path uses it.
package benchclock

import "time"

var start = time.Now()

// ThreadCPU falls back to wall time where no thread CPU clock is read.
func ThreadCPU() time.Duration { return time.Since(start) }
