//go:build !linux

package oauth_test

import "time"

var processStart = time.Now()

// threadCPU falls back to wall time where there is no thread CPU clock.
func threadCPU() time.Duration { return time.Since(processStart) }
