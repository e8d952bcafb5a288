// Command ddbexec runs a command with a fresh, in-memory DynamoDB Local on a
// free port, exported to it as DYNAMODB_ENDPOINT, and stops the emulator when
// the command ends, whether it passed or failed. `make test` uses it.
//
// When moto_server is on PATH it also starts one (Secrets Manager, SQS and
// EventBridge on loopback), exported as MOTO_ENDPOINT; the tests that need
// it skip with a message without it (internal/mototest), and .ci/run
// refuses to run without it.
//
//	go run ./infra/ddbexec -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/devhub-oss/devhub/internal/ddblocal"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: ddbexec -- command [args…]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	motoc := make(chan motoResult, 1)
	go func() { motoc <- startMoto(ctx) }() // both emulators start at once
	srv, err := ddblocal.Start(ctx, ddblocal.Options{})
	moto := <-motoc
	if moto.stop != nil {
		defer moto.stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddbexec:", err)
		return 1
	}
	defer srv.Stop()
	fmt.Fprintln(os.Stderr, "ddbexec: DynamoDB Local at", srv.Endpoint)
	env := append(os.Environ(), "DYNAMODB_ENDPOINT="+srv.Endpoint)
	switch {
	case moto.err != nil:
		fmt.Fprintln(os.Stderr, "ddbexec: moto_server:", moto.err)
		return 1
	case moto.endpoint == "":
		fmt.Fprintln(os.Stderr, "ddbexec: no moto_server on PATH: the Secrets Manager, SQS and EventBridge tests will skip")
	default:
		fmt.Fprintln(os.Stderr, "ddbexec: moto_server at", moto.endpoint)
		env = append(env, "MOTO_ENDPOINT="+moto.endpoint)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = env
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "ddbexec:", err)
		return 1
	}
	return 0
}

type motoResult struct {
	endpoint string
	stop     func()
	err      error
}

// startMoto starts moto_server on a free loopback port and waits until it
// answers; no moto_server on PATH is no error (endpoint "").
func startMoto(ctx context.Context) motoResult {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return motoResult{}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return motoResult{err: err}
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return motoResult{err: err}
	}
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ctx.Err() != nil {
			break
		}
		if resp, err := client.Get(endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return motoResult{endpoint: endpoint, stop: stop}
		}
	}
	stop()
	return motoResult{err: errors.New("did not answer on " + endpoint + " within 60 s")}
}
