// Package benchclock reads the CPU time of the calling thread, for
// benchmarks that lock their goroutine to its thread so that what they
// measure is their own work, not the JVM of DynamoDB Local beside them.
// Benchmarks only: nothing on a request path uses it.
package benchclock

import (
	"syscall"
	"time"
	"unsafe"
)

// ThreadCPU reads CLOCK_THREAD_CPUTIME_ID: the CPU time of the calling thread.
func ThreadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
