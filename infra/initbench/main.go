// Command initbench measures a Lambda function's init against a hello-world
// Lambda's: each binary is built as the Makefile builds it (for this
// machine's architecture), started many times against a fake Lambda
// runtime API on loopback, and timed from exec to its first
// GET /2018-06-01/runtime/invocation/next, the moment it is ready to serve.
// Runs alternate between the two binaries, so that both see the same
// machine. It prints medians and the ratio (console.md: ≤ 1.3×).
//
//	go run ./infra/initbench [-n 60] ./functions/console
//
// The console's bootstrap is built with the Makefile's GCFLAGS_console: pass
// them with -gcflags to measure it as deployed.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

func main() {
	n := flag.Int("n", 60, "starts per binary")
	gcflags := flag.String("gcflags", "", "`flags` for the function's build only (the Makefile's GCFLAGS_<name>), e.g. github.com/devhub-oss/devhub/internal/console/...=-l")
	flag.Func("env", "`K=V` added to both binaries' environment, e.g. AUTH_JWT_SECRET_ID=… to init with Secrets Manager (repeatable)", func(kv string) error {
		extraEnv = append(extraEnv, kv)
		return nil
	})
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: initbench [-n N] ./functions/<name>")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "initbench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	fn, hello := filepath.Join(dir, "function"), filepath.Join(dir, "hello")
	for bin, pkg := range map[string]string{fn: flag.Arg(0), hello: "./infra/initbench/hello"} {
		args := []string{"build", "-trimpath", "-ldflags", "-s -w", "-tags", "lambda.norpc"}
		if bin == fn && *gcflags != "" {
			args = append(args, "-gcflags", *gcflags)
		}
		cmd := exec.Command("go", append(args, "-o", bin, pkg)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fail(err)
		}
	}
	var fnTimes, helloTimes []time.Duration
	for range *n {
		helloTimes = append(helloTimes, start(hello))
		fnTimes = append(fnTimes, start(fn))
	}
	f, h := median(fnTimes), median(helloTimes)
	fmt.Printf("%s: init median %v (p10 %v, p90 %v); hello-world %v; ratio %.2f×\n",
		flag.Arg(0), f, pct(fnTimes, 10), pct(fnTimes, 90), h, float64(f)/float64(h))
}

// extraEnv is what -env adds (later entries win).
var extraEnv []string

// start runs bin once and returns the time until it asked for its first
// invocation. The environment is what the function needs to init without
// AWS: a table name, a static JWT secret, dummy credentials.
func start(bin string) time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	got := make(chan time.Time, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- time.Now():
		default:
		}
		<-r.Context().Done() // hold the long poll, as the runtime API does
	})}
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(), "TABLE_NAME=t", "ISSUER_URL=https://example.com",
		"AUTH_JWT_SECRET=initbench-initbench-initbench-0123", "AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_LAMBDA_FUNCTION_NAME=initbench"}
	cmd.Env = append(cmd.Env, extraEnv...)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	var d time.Duration
	select {
	case t := <-got:
		d = t.Sub(t0)
	case <-time.After(10 * time.Second):
		fail(fmt.Errorf("%s did not ask for an invocation in 10 s", bin))
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return d
}

func median(ds []time.Duration) time.Duration { return pct(ds, 50) }

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*p/100]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "initbench:", err)
	os.Exit(1)
}
