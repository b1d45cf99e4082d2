package modem

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Pool holds several modems, each served by its own worker goroutine, and
// reports their state (SPEC M1, M8).
type Pool struct {
	cfg     Config
	mu      sync.RWMutex
	workers map[string]*worker
	wg      sync.WaitGroup
	ctx     context.Context
}

// NewPool returns a pool for the modems at paths (tty paths or stable
// /dev/serial/by-id names, which are kept as the modems' IDs). Nothing is
// opened before Run.
func NewPool(cfg Config, paths ...string) (*Pool, error) {
	if cfg.Handler == nil {
		return nil, errors.New("modem: pool needs a Handler")
	}
	p := &Pool{cfg: cfg.withDefaults(), workers: map[string]*worker{}}
	for _, path := range paths {
		if _, dup := p.workers[path]; dup {
			return nil, fmt.Errorf("modem: %s configured twice", path)
		}
		p.workers[path] = newWorker(path, p.cfg)
	}
	return p, nil
}

// Run starts every worker and blocks until ctx is cancelled and all workers
// have closed their ports.
func (p *Pool) Run(ctx context.Context) {
	p.mu.Lock()
	p.ctx = ctx
	for _, w := range p.workers {
		p.start(ctx, w)
	}
	p.mu.Unlock()
	<-ctx.Done()
	p.wg.Wait()
}

func (p *Pool) start(ctx context.Context, w *worker) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		w.run(ctx)
	}()
}

// Add adds a modem to a running (or not yet running) pool.
func (p *Pool) Add(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.workers[path]; dup {
		return fmt.Errorf("modem: %s already in the pool", path)
	}
	w := newWorker(path, p.cfg)
	p.workers[path] = w
	if p.ctx != nil {
		p.start(p.ctx, w)
	}
	return nil
}

// Statuses returns a snapshot of every modem, ordered by ID.
func (p *Pool) Statuses() []Status {
	p.mu.RLock()
	out := make([]Status, 0, len(p.workers))
	for _, w := range p.workers {
		out = append(out, w.Status())
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Send hands one SMS-SUBMIT TPDU (without SMSC field) to modem id, waits for
// +CMGS and returns the message reference (TP-MR, -1 if unreadable).
//
// Errors: ErrUnknownModem; ErrDown when the modem is not ready (the part was
// not handed over and may go through another modem); ErrTimeout when the
// modem did not answer in time (the part MAY have been sent); a *CMSError
// when the network or modem refused it; ctx.Err() when ctx ends first (the
// part may still be sent by the worker: treat it like ErrTimeout).
func (p *Pool) Send(ctx context.Context, id string, tpdu []byte) (int, error) {
	p.mu.RLock()
	w, ok := p.workers[id]
	p.mu.RUnlock()
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrUnknownModem, id)
	}
	if !w.Status().Ready() {
		return 0, fmt.Errorf("modem %s: %w", id, ErrDown)
	}
	req := sendReq{tpdu: tpdu, done: make(chan sendResult, 1)}
	select {
	case <-ctx.Done():
		return 0, fmt.Errorf("modem %s: %w: %w", id, ErrDown, ctx.Err())
	case w.sends <- req:
	}
	select {
	case <-ctx.Done():
		return 0, fmt.Errorf("modem %s: gave up waiting for +CMGS: %w", id, ctx.Err())
	case r := <-req.done:
		return r.mr, r.err
	}
}

// Command runs one raw AT command (without the AT prefix) on modem id, for a
// technician's console, and returns the modem's information lines. It runs
// in the modem's worker between sends, so it never interleaves with one;
// the modem must be ready. Commands that change the SMS settings (+CMGF,
// +CNMI) last until the next reconnection.
func (p *Pool) Command(ctx context.Context, id, cmd string) ([]string, error) {
	p.mu.RLock()
	w, ok := p.workers[id]
	p.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownModem, id)
	}
	if !w.Status().Ready() {
		return nil, fmt.Errorf("modem %s: %w", id, ErrDown)
	}
	req := atReq{cmd: cmd, done: make(chan atResult, 1)}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case w.ats <- req:
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-req.done:
		return r.lines, r.err
	}
}
