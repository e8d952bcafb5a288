package service_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxInitAllocs bounds the allocations of every function's package
// initialisation (GODEBUG=inittrace=1), which runs on each cold start before
// the handler. Today the HTTP functions allocate 5.1k–5.4k (3.2k of them the
// AWS SDK's DynamoDB schemas, which every function needs) and stream-events,
// which also links the EventBridge and SQS clients, 8.9k; a hello-world
// Lambda 0.3k. The JSON Schema compiler's meta-schemas cost 21k more when
// they were compiled at init.
const maxInitAllocs = 15000

// TestFunctionInitAllocations builds every function and counts what its
// package inits allocate: a dependency that does work at init shows here.
// Counts, unlike times, do not depend on the machine's load. It also checks
// that only the apps function links the OpenAPI document.
func TestFunctionInitAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags", "-s -w", "-tags", "lambda.norpc", "-o", dir+"/", "../../functions/...")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bins, err := os.ReadDir(dir)
	if err != nil || len(bins) < 7 {
		t.Fatalf("built %d functions: %v", len(bins), err)
	}
	for _, b := range bins {
		t.Run(b.Name(), func(t *testing.T) {
			// Each function links only its own routes (main.go names its
			// group, never FunctionRoutes, which would pull in every
			// handler), so only apps, which serves /openapi.json, carries
			// the document.
			bin, err := os.ReadFile(filepath.Join(dir, b.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := bytes.Contains(bin, []byte(`{"openapi":"3.0.3",`)), b.Name() == "apps"; got != want {
				t.Errorf("links the OpenAPI document: got %v, want %v", got, want)
			}
			// Without configuration the function exits in main, after every
			// package init has run and been traced.
			cmd := exec.CommandContext(ctx, filepath.Join(dir, b.Name()))
			cmd.Env = []string{"GODEBUG=inittrace=1", "PATH=" + os.Getenv("PATH")}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			_ = cmd.Run()
			allocs, pkgs := 0, 0
			sc := bufio.NewScanner(&stderr)
			for sc.Scan() {
				// init <pkg> @<t> ms, <t> ms clock, <n> bytes, <n> allocs
				f := strings.Fields(sc.Text())
				if len(f) == 11 && f[0] == "init" && f[10] == "allocs" {
					n, err := strconv.Atoi(f[9])
					if err != nil {
						t.Fatalf("unreadable trace line %q", sc.Text())
					}
					allocs += n
					pkgs++
				}
			}
			if pkgs < 50 {
				t.Fatalf("traced %d package inits, want the whole program's:\n%s", pkgs, stderr.String())
			}
			t.Logf("%d package inits, %d allocations", pkgs, allocs)
			if allocs > maxInitAllocs {
				t.Errorf("package inits allocate %d times, want at most %d", allocs, maxInitAllocs)
			}
		})
	}
}
