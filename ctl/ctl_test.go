package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func serve(t *testing.T, dir string) *Server {
	t.Helper()
	srv := NewServer(nil)
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv
}

func TestCall(t *testing.T) {
	dir := t.TempDir()
	srv := serve(t, dir)
	srv.Handle("echo", func(ctx context.Context, args json.RawMessage) (any, error) {
		var s string
		if err := json.Unmarshal(args, &s); err != nil {
			return nil, err
		}
		return strings.ToUpper(s), nil
	})
	srv.Handle("fail", func(ctx context.Context, args json.RawMessage) (any, error) {
		return nil, errors.New("queue: no such message")
	})
	srv.Handle("panic", func(ctx context.Context, args json.RawMessage) (any, error) {
		panic("bug")
	})
	ctx := context.Background()
	var out string
	if err := Call(ctx, dir, "echo", "bonjour", &out); err != nil || out != "BONJOUR" {
		t.Errorf("echo: %q, %v", out, err)
	}
	if err := Call(ctx, dir, "fail", nil, nil); err == nil || err.Error() != "queue: no such message" {
		t.Errorf("fail: %v", err)
	}
	if err := Call(ctx, dir, "nope", nil, nil); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
	if err := Call(ctx, dir, "panic", nil, nil); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("panic: %v", err)
	}
	// The server survived the panic.
	if err := Call(ctx, dir, "echo", "encore", &out); err != nil || out != "ENCORE" {
		t.Errorf("echo after panic: %q, %v", out, err)
	}
}

func TestVersionMismatchAndGarbage(t *testing.T) {
	dir := t.TempDir()
	serve(t, dir)
	for _, req := range []string{`{"version":99,"cmd":"status"}` + "\n", "not json\n"} {
		c, err := net.Dial("unix", filepath.Join(dir, SocketName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		var resp Response
		if err := json.NewDecoder(c).Decode(&resp); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if resp.Error == "" {
			t.Errorf("request %q accepted", req)
		}
	}
}

func TestListenRefusesALiveDaemonAndReplacesAStaleSocket(t *testing.T) {
	dir := t.TempDir()
	serve(t, dir)
	if _, err := Listen(dir); err == nil || !strings.Contains(err.Error(), "already serves") {
		t.Errorf("second daemon on the same socket: %v", err)
	}
	stale := t.TempDir()
	if err := os.WriteFile(filepath.Join(stale, SocketName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(stale)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l.Close()
}

func TestCallWithoutDaemon(t *testing.T) {
	err := Call(context.Background(), t.TempDir(), "status", nil, nil)
	if !errors.Is(err, ErrNoDaemon) {
		t.Errorf("err = %v, want ErrNoDaemon", err)
	}
}
