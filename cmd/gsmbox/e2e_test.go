package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem"
	"gsmbox/store"
)

// binPath is the gsmbox binary built once by TestMain for the end-to-end
// tests, which run it as a subprocess like a technician or systemd would.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gsmbox-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binPath = filepath.Join(dir, "gsmbox")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build gsmbox: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemonProc is a `gsmbox serve` subprocess whose log is kept for checks.
type daemonProc struct {
	t    testing.TB
	data string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
	// bound is how long waitFor waits before failing (default 30 s).
	bound time.Duration
}

// startDaemon runs `gsmbox serve --data DIR args...` and waits until its
// control socket answers.
func startDaemon(t testing.TB, data string, args ...string) *daemonProc {
	t.Helper()
	// An empty configuration file of its own, so that no /etc/gsmbox file
	// of the machine changes the test.
	conf := filepath.Join(data, "gsmbox.toml")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--listen") }) {
		// Tests never take a fixed port: the kernel picks a free one.
		args = append(args, "--listen", "127.0.0.1:0")
	}
	cmd := exec.Command(binPath, append([]string{"serve", "--data", data, "--config", conf}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	d := &daemonProc{t: t, data: data, cmd: cmd, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.Stdout = pw
	go func() {
		s := bufio.NewScanner(pr)
		for s.Scan() {
			d.mu.Lock()
			d.log.WriteString(s.Text() + "\n")
			d.mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	go func() {
		cmd.Wait()
		pw.Close()
		close(d.done)
	}()
	t.Cleanup(func() { d.stop() })
	d.waitFor(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return ctl.Call(ctx, data, "modems", nil, nil) == nil
	}, "control socket answers")
	return d
}

// waitFor polls cond until it holds; it fails the test after a generous
// bound so that a broken daemon does not hang the suite.
func (d *daemonProc) waitFor(cond func() bool, what string) {
	d.t.Helper()
	bound := d.bound
	if bound == 0 {
		bound = 30 * time.Second
	}
	deadline := time.Now().Add(bound)
	for !cond() {
		select {
		case <-d.done:
			d.t.Fatalf("daemon exited while waiting for %s; log:\n%s", what, d.logText())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s; log:\n%s", what, d.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// httpAddr is the address the daemon's HTTP server listens on, from its log.
func (d *daemonProc) httpAddr() string {
	d.t.Helper()
	for _, f := range strings.Fields(d.logText()) {
		if a, ok := strings.CutPrefix(f, "http="); ok {
			return a
		}
	}
	d.t.Fatalf("no HTTP address in the log:\n%s", d.logText())
	return ""
}

func (d *daemonProc) logText() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemonProc) stop() error {
	select {
	case <-d.done:
		return nil
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		return fmt.Errorf("daemon ignored SIGTERM")
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("daemon exit code %d", code)
	}
	return nil
}

// gsmbox runs one CLI command against the daemon's data directory.
func gsmbox(t testing.TB, data string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{args[0], "--data", data}, args[1:]...)
	out, err := exec.Command(binPath, full...).CombinedOutput()
	return string(out), err
}

func modemsOf(t testing.TB, data string) []modem.Status {
	t.Helper()
	out, err := gsmbox(t, data, "modems", "--json")
	if err != nil {
		t.Fatalf("gsmbox modems: %v\n%s", err, out)
	}
	var list []modem.Status
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("gsmbox modems --json: %v\n%s", err, out)
	}
	return list
}

func allReady(list []modem.Status, n int) bool {
	if len(list) != n {
		return false
	}
	for _, s := range list {
		if !s.Ready() {
			return false
		}
	}
	return true
}

// TestServeSimulate runs the demo mode: two virtual modems come up ready,
// an SMS delivered on one reaches the daemon, a replugged modem is reopened
// without a restart, and SIGTERM stops everything cleanly.
func TestServeSimulate(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, data, "--simulate=2")
	d.waitFor(func() bool { return allReady(modemsOf(t, data), 2) }, "two ready modems")

	list := modemsOf(t, data)
	if list[0].IMEI == "" || list[0].Operator == "" || list[0].Signal == 99 {
		t.Errorf("identity/signal not read: %+v", list[0])
	}
	if out, err := gsmbox(t, data, "sim", "--modem", "0", "deliver", "+33612345678", "Bonjour"); err != nil {
		t.Fatalf("sim deliver: %v\n%s", err, out)
	}
	if out, err := gsmbox(t, data, "sim", "--modem", "0", "deliver", "+33612345678", "STOP"); err != nil {
		t.Fatalf("sim deliver: %v\n%s", err, out)
	}
	if out, err := gsmbox(t, data, "sim", "--modem", "1", "ring", "+33698765432"); err != nil {
		t.Fatalf("sim ring: %v\n%s", err, out)
	}
	// The STOP confirmation goes out through a modem.
	d.waitFor(func() bool {
		out, _ := gsmbox(t, data, "queue", "list", "--status", "sent")
		return strings.Contains(out, "+33612345678")
	}, "the STOP confirmation sent")

	if out, err := gsmbox(t, data, "sim", "--modem", "1", "unplug"); err != nil {
		t.Fatalf("sim unplug: %v\n%s", err, out)
	}
	d.waitFor(func() bool { return !allReady(modemsOf(t, data), 2) }, "modem 1 down")
	if out, err := gsmbox(t, data, "sim", "--modem", "1", "replug"); err != nil {
		t.Fatalf("sim replug: %v\n%s", err, out)
	}
	d.waitFor(func() bool { return allReady(modemsOf(t, data), 2) }, "modem 1 back")

	if err := d.stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, d.logText())
	}
	if _, err := os.Stat(filepath.Join(data, ctl.SocketName)); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}

	// What the daemon committed, read offline.
	st, err := store.Open(context.Background(), filepath.Join(data, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in, err := st.InboundMessages(context.Background(), store.InboundFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range in {
		texts = append(texts, m.Number+" "+m.Text)
	}
	if !slices.Contains(texts, "+33612345678 Bonjour") || !slices.Contains(texts, "+33612345678 STOP") {
		t.Errorf("inbound messages stored: %q", texts)
	}
	if stopped, err := st.StopList(context.Background(), time.Time{}, 10); err != nil || len(stopped) != 1 || stopped[0].Number != "+33612345678" {
		t.Errorf("STOP list %+v, %v", stopped, err)
	}
	if calls, err := st.Calls(context.Background(), "", 0, 10); err != nil || len(calls) != 1 || calls[0].Number != "+33698765432" {
		t.Errorf("calls %+v, %v", calls, err)
	}
}

func TestCLIUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "usage: gsmbox COMMAND"},
		{[]string{"nope"}, 2, "unknown command"},
		{[]string{"serve", "--help"}, 0, "--simulate"},
		{[]string{"serve", "--simulate=x"}, 2, "number of virtual modems"},
		{[]string{"version"}, 0, "gsmbox "},
	} {
		var out, errb bytes.Buffer
		env := &cmdEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		code := run(context.Background(), env, tc.args)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("gsmbox %v: code %d, output %q; want code %d containing %q", tc.args, code, out.String()+errb.String(), tc.code, tc.want)
		}
	}
}

func TestCLIWithoutDaemonSaysSo(t *testing.T) {
	data := t.TempDir()
	out, _ := gsmbox(t, data, "sim", "status")
	if !strings.Contains(out, "not running") {
		t.Errorf("sim without daemon: %q", out)
	}
}
