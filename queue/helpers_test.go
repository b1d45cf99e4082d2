package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"gsmbox/modem"
	"gsmbox/modem/sim"
	"gsmbox/pdu"
	"gsmbox/store"
)

// t0 is a Monday 10:00 in Paris, inside the marketing window.
var paris = mustLoad("Europe/Paris")

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, paris)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Timer(deadline time.Time) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: deadline, c: make(chan time.Time, 1)}
	if !deadline.After(c.now) {
		t.c <- c.now
		return t.c, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.c <- c.now
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func tcheck(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls cond; the bound only keeps a broken queue from hanging the
// suite, it asserts nothing about speed.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newTestStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gsmbox.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newAcceptQueue is a queue that only accepts (no dispatcher).
func newAcceptQueue(t testing.TB, cfg Config) (*Queue, *store.Store, *fakeClock) {
	t.Helper()
	st := newTestStore(t)
	clk := newFakeClock(t0)
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	if cfg.Location == nil {
		cfg.Location = paris
	}
	q, err := New(st, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q, st, clk
}

// reportHandler is the modem.Handler of the dispatcher tests: it passes
// status reports to the queue, as package inbound does, and modem state
// changes.
type reportHandler struct {
	mu sync.Mutex
	q  *Queue
}

func (h *reportHandler) queue() *Queue {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.q
}

func (h *reportHandler) Inbound(ctx context.Context, in modem.Inbound) error {
	q := h.queue()
	if q == nil {
		return fmt.Errorf("queue not wired yet")
	}
	if in.Kind != modem.InboundStatusReport {
		return nil
	}
	m, err := pdu.Decode(in.PDU, true)
	if err != nil {
		return nil
	}
	_, err = q.StatusReport(ctx, Report{Modem: in.Modem, MR: m.MR, Recipient: m.Address, TPStatus: m.Status, Discharge: m.Discharge})
	return err
}

func (h *reportHandler) Call(context.Context, modem.Call) {}

func (h *reportHandler) State(s modem.Status) {
	if q := h.queue(); q != nil {
		q.ModemChanged(s)
	}
}

// rig is a queue dispatching to n virtual modems through the real pool.
type rig struct {
	t     testing.TB
	st    *store.Store
	q     *Queue
	clk   *fakeClock
	pool  *modem.Pool
	sims  []*sim.Modem
	ids   []string
	stop  context.CancelFunc
	qdone chan struct{}
}

func newRig(t testing.TB, n int, cfg Config, scfg sim.Config) *rig {
	t.Helper()
	scfgs := make([]sim.Config, n)
	for i := range scfgs {
		scfgs[i] = scfg
	}
	return newRigWith(t, rigOptions{cfg: cfg, sims: scfgs})
}

// rigOptions tunes newRigWith.
type rigOptions struct {
	cfg   Config
	sims  []sim.Config // one per virtual modem
	start time.Time    // the fake clock's start (default t0)
	// prep runs on the store before the queue starts (a previous run's
	// leftovers).
	prep func(st *store.Store)
	// wrap, when set, wraps the pool as the queue's Sender.
	wrap func(Sender) Sender
}

func newRigWith(t testing.TB, o rigOptions) *rig {
	t.Helper()
	if o.start.IsZero() {
		o.start = t0
	}
	cfg := o.cfg
	r := &rig{t: t, clk: newFakeClock(o.start)}
	dir := t.TempDir()
	for i, scfg := range o.sims {
		c := scfg
		c.Link = filepath.Join(dir, fmt.Sprintf("usb-Sim_Modem_%d-if00", i))
		m, err := sim.New(c)
		if err != nil {
			t.Fatalf("sim: %v", err)
		}
		t.Cleanup(func() { m.Close() })
		r.sims = append(r.sims, m)
		r.ids = append(r.ids, m.Path())
	}
	h := &reportHandler{}
	pool, err := modem.NewPool(modem.Config{Handler: h, PollInterval: 200 * time.Millisecond, ReopenMax: 200 * time.Millisecond}, r.ids...)
	if err != nil {
		t.Fatal(err)
	}
	r.pool = pool
	ctx, cancel := context.WithCancel(context.Background())
	poolDone := make(chan struct{})
	go func() {
		pool.Run(ctx)
		close(poolDone)
	}()
	r.st = r.openStore(filepath.Join(dir, "gsmbox.db"))
	if o.prep != nil {
		o.prep(r.st)
	}
	if cfg.Clock == nil {
		cfg.Clock = r.clk
	}
	if cfg.Location == nil {
		cfg.Location = paris
	}
	var snd Sender = pool
	if o.wrap != nil {
		snd = o.wrap(pool)
	}
	r.q, err = New(r.st, snd, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.q = r.q
	h.mu.Unlock()
	waitFor(t, "modems ready", func() bool {
		for _, s := range pool.Statuses() {
			if !s.Ready() {
				return false
			}
		}
		return true
	})
	qctx, qcancel := context.WithCancel(ctx)
	tcheck(t, r.q.Start(qctx), "start queue")
	r.qdone = make(chan struct{})
	go func() {
		r.q.Wait()
		close(r.qdone)
	}()
	r.stop = qcancel
	t.Cleanup(func() {
		qcancel()
		<-r.qdone
		if p := r.q.Panics(); p > 0 {
			t.Errorf("%d panics recovered in the queue", p)
		}
		cancel()
		select {
		case <-poolDone:
		case <-time.After(30 * time.Second):
			t.Error("pool did not stop")
		}
	})
	return r
}

func (r *rig) openStore(path string) *store.Store {
	st, err := store.Open(context.Background(), path)
	if err != nil {
		r.t.Fatalf("open store: %v", err)
	}
	r.t.Cleanup(func() { st.Close() })
	return st
}

// submitted returns every SMS-SUBMIT the virtual modems accepted.
func (r *rig) submitted() []sim.Submitted {
	var all []sim.Submitted
	for _, m := range r.sims {
		all = append(all, m.Submitted()...)
	}
	return all
}

// destinations counts the accepted parts per destination.
func (r *rig) destinations() map[string]int {
	out := map[string]int{}
	for _, s := range r.submitted() {
		out[s.Destination]++
	}
	return out
}

func (r *rig) status(id int64) store.Status {
	r.t.Helper()
	m, err := r.st.Message(context.Background(), id)
	tcheck(r.t, err, "message")
	return m.Status
}

func (r *rig) waitStatus(id int64, want ...store.Status) {
	r.t.Helper()
	waitFor(r.t, fmt.Sprintf("message %d %v", id, want), func() bool {
		st := r.status(id)
		for _, w := range want {
			if st == w {
				return true
			}
		}
		return false
	})
}

func ids(rc Receipt) []int64 {
	var out []int64
	for _, res := range rc.Results {
		if res.MessageID != 0 {
			out = append(out, res.MessageID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
