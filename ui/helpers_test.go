package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gsmbox/modem"
	"gsmbox/queue"
	"gsmbox/store"
	"gsmbox/ui/apikey"
)

// testEnv is a server over a real SQLite store and a real queue (which
// accepts and stores; no modem dispatches in these tests), served on
// loopback.
type testEnv struct {
	t     testing.TB
	st    *store.Store
	q     *queue.Queue
	srv   *Server
	ts    *httptest.Server
	key   string // a key of the default account
	clock *testClock
	loc   *time.Location
	kicks *kickCounter
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Timer never fires: the queue is not started in these tests.
func (c *testClock) Timer(time.Time) (<-chan time.Time, func() bool) {
	return make(chan time.Time), func() bool { return true }
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

type kickCounter struct {
	mu sync.Mutex
	n  int
}

func (k *kickCounter) Kick() {
	k.mu.Lock()
	k.n++
	k.mu.Unlock()
}

type fakeModems []modem.Status

func (f fakeModems) Statuses() []modem.Status { return f }

// envOptions tune newTestEnv.
type envOptions struct {
	country string // queue default country (FR)
}

func newTestEnv(t testing.TB, opts ...envOptions) *testEnv {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.country == "" {
		o.country = "FR"
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "gsmbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, loc)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	q, err := queue.New(st, nil, queue.Config{Clock: clock, Location: loc, DefaultCountry: o.country, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	kicks := &kickCounter{}
	srv, err := New(Config{Location: loc}, Deps{Store: st, Queue: q, Logger: log, Now: clock.Now, Webhooks: kicks,
		Modems: fakeModems{{ID: "/dev/serial/by-id/sim0", Port: "/dev/pts/3", State: modem.StateReady, Operator: "Orange F", OperatorCode: "20801", Signal: 21}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	key, _, err := apikey.Create(ctx, st, 0, "test", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, st: st, q: q, srv: srv, ts: ts, key: key, clock: clock, loc: loc, kicks: kicks}
}

// response is what a request got.
type response struct {
	status int
	body   string
	header http.Header
}

// do sends a request; body may be nil, a string (sent as is) or
// url.Values (form-encoded).
func (e *testEnv) do(method, path string, body any, hdr map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = strings.NewReader(string(b))
	case url.Values:
		rd = strings.NewReader(b.Encode())
		ct = "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// api calls the native API with the test key and a JSON body.
func (e *testEnv) api(method, path, body string) response {
	e.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + e.key}
	if body != "" {
		h["Content-Type"] = "application/json"
		return e.do(method, path, body, h)
	}
	return e.do(method, path, nil, h)
}

// rawGet sends a GET with a raw (unescaped as given) query string.
func (e *testEnv) rawGet(pathAndQuery string) response {
	e.t.Helper()
	return e.do("GET", pathAndQuery, nil, nil)
}

// countMessages counts the stored messages.
func (e *testEnv) countMessages() int {
	e.t.Helper()
	ms, err := e.st.Messages(context.Background(), store.MessageFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ms)
}

func tcompare[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
