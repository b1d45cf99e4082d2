package sim

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"
)

// waitLimit only guards against a hung test; no test asserts a duration.
const waitLimit = 10 * time.Second

// term is the driver's side of the line: the pty slave opened with
// go.bug.st/serial, as the real driver does.
type term struct {
	t      *testing.T
	port   serial.Port
	mu     sync.Mutex
	buf    []byte
	err    error
	signal chan struct{}
	done   chan struct{}
}

func newTestModem(t *testing.T, cfg Config) *Modem {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		m.Close()
		if n := m.Stats().Panics; n != 0 {
			t.Errorf("the modem loop panicked %d time(s)", n)
		}
	})
	return m
}

func openTerm(t *testing.T, path string) *term {
	t.Helper()
	p, err := serial.Open(path, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("serial.Open(%s): %v", path, err)
	}
	tm := &term{t: t, port: p, signal: make(chan struct{}, 1), done: make(chan struct{})}
	go tm.read()
	t.Cleanup(tm.close)
	return tm
}

func (tm *term) read() {
	defer close(tm.done)
	b := make([]byte, 4096)
	for {
		n, err := tm.port.Read(b)
		tm.mu.Lock()
		tm.buf = append(tm.buf, b[:n]...)
		if err != nil {
			tm.err = err
		}
		tm.mu.Unlock()
		select {
		case tm.signal <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (tm *term) close() {
	tm.port.Close()
	<-tm.done
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.port.Write([]byte(s)); err != nil {
		tm.t.Fatalf("write %q: %v", s, err)
	}
}

// expect waits until the received text contains want, then consumes and
// returns everything up to and including it.
func (tm *term) expect(want string) string {
	tm.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		if i := bytes.Index(tm.buf, []byte(want)); i >= 0 {
			got := string(tm.buf[:i+len(want)])
			tm.buf = tm.buf[i+len(want):]
			tm.mu.Unlock()
			return got
		}
		err := tm.err
		tm.mu.Unlock()
		if err != nil {
			tm.t.Fatalf("waiting for %q: read error %v; got %q", want, err, tm.pending())
		}
		select {
		case <-tm.signal:
		case <-deadline.C:
			tm.t.Fatalf("waiting for %q: got %q", want, tm.pending())
		}
	}
}

// cmd sends an AT command line and returns its answer up to the final
// result code (OK or an error line).
func (tm *term) cmd(line string) string {
	tm.t.Helper()
	tm.send(line + "\r")
	got := tm.expectFinal()
	return got
}

// expectFinal waits for a final result code line.
func (tm *term) expectFinal() string {
	tm.t.Helper()
	var all strings.Builder
	for {
		l := tm.expect("\r\n")
		all.WriteString(l)
		s := strings.TrimSpace(l)
		if s == "OK" || s == "ERROR" || strings.HasPrefix(s, "+CME ERROR") ||
			strings.HasPrefix(s, "+CMS ERROR") || s == "NO CARRIER" {
			return all.String()
		}
	}
}

// pending returns what was received and not consumed yet.
func (tm *term) pending() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return string(tm.buf)
}
