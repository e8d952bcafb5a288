package oauth_test

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU reads CLOCK_THREAD_CPUTIME_ID: the CPU time of the calling
// thread, for benchmarks whose goroutine is locked to its thread.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
