// Command coldstart measures a Lambda function's init the way the Lambda
// service bills it: from exec of its bootstrap to its first request for an
// invocation (GET /2018-06-01/runtime/invocation/next on the Runtime API),
// here against a Runtime API stand-in on loopback. It runs the bootstrap
// -n times and prints the median, minimum and maximum.
//
//	go build -o /tmp/apps ./functions/apps
//	go run ./infra/coldstart -n 30 /tmp/apps
//
// The bootstrap gets this process's environment (TABLE_NAME,
// AUTH_JWT_SECRET or AUTH_JWT_SECRET_ID and AWS_ENDPOINT_URL_SECRETS_MANAGER,
// …) plus AWS_LAMBDA_RUNTIME_API. Nothing else is answered: the bootstrap is
// killed at its first /next.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 20, "runs")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-n runs] path/to/bootstrap")
		os.Exit(2)
	}
	var runs []time.Duration
	for range *n {
		d, err := once(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "coldstart:", err)
			os.Exit(1)
		}
		runs = append(runs, d)
	}
	slices.Sort(runs)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("%s: init median %s, min %s, max %s (%d runs)\n", flag.Arg(0), ms(runs[len(runs)/2]), ms(runs[0]), ms(runs[len(runs)-1]), len(runs))
}

// once runs the bootstrap until its first /next and returns the time from
// exec to that request.
func once(bootstrap string) (time.Duration, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	next := make(chan time.Time, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/runtime/invocation/next") {
			select {
			case next <- time.Now():
			default:
			}
			<-r.Context().Done() // hold it: the measurement is over
			return
		}
		if strings.HasSuffix(r.URL.Path, "/runtime/init/error") {
			http.Error(w, "init error reported", http.StatusAccepted)
			select {
			case next <- time.Time{}:
			default:
			}
			return
		}
		http.NotFound(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	cmd := exec.Command(bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+l.Addr().String(), "_LAMBDA_SERVER_PORT=", "AWS_LAMBDA_FUNCTION_NAME=coldstart")
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() { _ = cmd.Process.Kill(); <-exited }
	select {
	case t := <-next:
		stop()
		if t.IsZero() {
			return 0, fmt.Errorf("%s reported an init error", bootstrap)
		}
		return t.Sub(start), nil
	case err := <-exited:
		return 0, fmt.Errorf("%s exited before asking for an invocation: %v", bootstrap, err)
	case <-time.After(30 * time.Second):
		stop()
		return 0, fmt.Errorf("%s did not ask for an invocation within 30 s", bootstrap)
	}
}
