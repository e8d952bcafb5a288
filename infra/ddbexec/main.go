// Command ddbexec runs a command with a fresh, in-memory DynamoDB Local on a
// free port, exported to it as DYNAMODB_ENDPOINT, and stops the emulator when
// the command ends, whether it passed or failed. `make test` uses it.
//
//	go run ./infra/ddbexec -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

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
	srv, err := ddblocal.Start(ctx, ddblocal.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddbexec:", err)
		return 1
	}
	defer srv.Stop()
	fmt.Fprintln(os.Stderr, "ddbexec: DynamoDB Local at", srv.Endpoint)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DYNAMODB_ENDPOINT="+srv.Endpoint)
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
