package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/dynamo/dynamotest"
	"github.com/devhub-oss/devhub/internal/testprobe"
)

// TestSweepTimer: the runner sweeps on its timer, as the schedule does on
// AWS, and stops when its context ends.
func TestSweepTimer(t *testing.T) {
	store := dynamotest.MustOpenStore(t)
	srv := testprobe.NewServer(t, http.StatusOK, 0)
	a, err := devhub.NewApp(devhub.NewAppInput{Type: devhub.AppPrivate, Name: "Timed", CallbackURL: srv.URL + "/cb"},
		devhub.Identity{UserID: "u", CompanyID: "c", Sandbox: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.Status = devhub.StatusLive
	if _, err := store.CreateApp(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PROBE_SWEEP_INTERVAL", "200ms")
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startSweeps(ctx, store, testprobe.New(t, srv), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := store.GetApp(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CallbackHealth != nil && got.CallbackHealth.OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sweep stored a result")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the sweeps did not stop with the context")
	}

	t.Run("Off", func(t *testing.T) {
		t.Setenv("PROBE_SWEEP_INTERVAL", "0")
		done, err := startSweeps(context.Background(), store, testprobe.New(t), slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		default:
			t.Error("PROBE_SWEEP_INTERVAL=0 still sweeps")
		}
	})
	t.Run("ErrBadInterval", func(t *testing.T) {
		t.Setenv("PROBE_SWEEP_INTERVAL", "often")
		if _, err := startSweeps(context.Background(), store, testprobe.New(t), slog.Default()); err == nil {
			t.Error("got no error")
		}
	})
}
