package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gsmbox/ctl"
	"gsmbox/inbound"
	"gsmbox/modem"
	"gsmbox/modem/sim"
	"gsmbox/queue"
	"gsmbox/store"
	"gsmbox/ui"
	"gsmbox/webhook"
)

// DBName is the database file in the data directory.
const DBName = "gsmbox.db"

// shutdownGrace bounds phase 2 of the shutdown: what still runs after it is
// abandoned (the parts being sent are then "unknown" at the next start).
const shutdownGrace = 15 * time.Second

// daemon is one running gsmbox: it owns the database, the modems, the
// virtual modems of demo mode, the queue and the control socket.
type daemon struct {
	cfg  Config
	env  *cmdEnv
	log  *slog.Logger
	st   *store.Store
	q    *queue.Queue
	pool *modem.Pool
	sims map[string]*sim.Modem // by modem ID
}

func (d *daemon) run(ctx context.Context) error {
	loc, err := time.LoadLocation(d.cfg.TimeZone)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", d.cfg.TimeZone, err)
	}
	ports := append([]string(nil), d.cfg.Modems...)
	if d.cfg.Simulate > 0 {
		simPorts, err := d.startSims(d.cfg.Simulate)
		defer d.closeSims()
		if err != nil {
			return err
		}
		ports = append(ports, simPorts...)
	}
	if len(ports) == 0 {
		found, err := modem.Candidates()
		if err != nil {
			return err
		}
		ports = found
		d.log.Info("no modem configured: using detected ports", slog.Any("ports", found))
	}

	d.st, err = store.Open(ctx, filepath.Join(d.cfg.Data, DBName))
	if err != nil {
		return err
	}
	defer d.st.Close()

	handler := &lateHandler{}
	d.pool, err = modem.NewPool(modem.Config{
		BaudRate:     d.cfg.Modem.BaudRate,
		PIN:          d.cfg.Modem.PIN,
		InitCmds:     d.cfg.Modem.InitCmds,
		CNMI:         d.cfg.Modem.CNMI,
		CmdTimeout:   d.cfg.Modem.CmdTimeout,
		SendTimeout:  d.cfg.Modem.SendTimeout,
		PollInterval: d.cfg.Modem.PollInterval,
		Handler:      handler,
		Logger:       d.log,
	}, ports...)
	if err != nil {
		return err
	}
	d.q, err = queue.New(d.st, d.pool, queue.Config{
		Logger:         d.log,
		Location:       loc,
		DefaultCountry: d.cfg.Country,
	})
	if err != nil {
		return err
	}
	in, err := inbound.New(inbound.Config{Store: d.st, Queue: d.q, Logger: d.log})
	if err != nil {
		return err
	}
	handler.h = in

	hooks, err := webhook.New(webhook.Config{Store: d.st, Logger: d.log, Location: loc, OperatorCode: d.operatorCode})
	if err != nil {
		return err
	}
	wakeHooks := newCoalescer(ctx, hooks.Kick)
	web, err := ui.New(ui.Config{Location: loc}, ui.Deps{Store: d.st, Queue: d.q, Modems: d.pool, Webhooks: wakeHooks, Logger: d.log})
	if err != nil {
		return err
	}
	// Bind before anything runs, so a taken port fails the start at once.
	httpLn, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", d.cfg.Listen, err)
	}
	defer httpLn.Close()

	l, err := ctl.Listen(d.cfg.Data)
	if err != nil {
		return err
	}
	srv := ctl.NewServer(d.log)
	d.registerCtl(srv)

	// Phase 1 of the shutdown cancels ctx: the control socket and the queue
	// stop taking work. The modems get their own context, cancelled only
	// once the queue has recorded the parts it was sending.
	modemCtx, stopModems := context.WithCancel(context.WithoutCancel(ctx))
	defer stopModems()
	var modemsDone sync.WaitGroup
	modemsDone.Add(1)
	go func() {
		defer modemsDone.Done()
		d.pool.Run(modemCtx)
	}()
	if err := d.q.Start(ctx); err != nil {
		l.Close()
		return err
	}
	inboundDone := make(chan struct{})
	go func() {
		defer close(inboundDone)
		in.Run(ctx)
	}()
	ctlDone := make(chan error, 1)
	go func() { ctlDone <- srv.Serve(ctx, l) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- web.Serve(ctx, httpLn) }()
	hooksDone := make(chan struct{})
	events, unsubscribe := d.q.Subscribe(64)
	defer unsubscribe()
	go func() {
		for range events {
			wakeHooks.Kick()
		}
	}()
	go func() {
		defer close(hooksDone)
		if err := hooks.Run(ctx); err != nil {
			d.log.Error("webhooks stopped", slog.Any("error", err))
		}
	}()

	d.log.Info("gsmbox serving", slog.String("data", d.cfg.Data), slog.String("http", httpLn.Addr().String()),
		slog.Any("modems", ports), slog.String("version", version))
	if err := sdNotify(d.env, "READY=1"); err != nil {
		d.log.Warn("systemd notification failed", slog.Any("error", err))
	}
	go watchdog(ctx, d.env, d.healthy, func(err error) { d.log.Error("unhealthy: watchdog not fed", slog.Any("error", err)) })

	<-ctx.Done()
	sdNotify(d.env, "STOPPING=1")
	d.log.Info("gsmbox stopping")
	ctlErr := <-ctlDone
	if err := <-httpDone; err != nil {
		d.log.Error("HTTP server", slog.Any("error", err))
	}
	<-hooksDone
	queueDone := make(chan struct{})
	go func() {
		d.q.Wait()
		close(queueDone)
	}()
	select {
	case <-queueDone:
	case <-time.After(shutdownGrace):
		d.log.Error("queue did not stop in time; its sending parts will be unknown at the next start")
	}
	stopModems()
	modemsDone.Wait()
	<-inboundDone
	os.Remove(filepath.Join(d.cfg.Data, ctl.SocketName))
	d.log.Info("gsmbox stopped")
	return ctlErr
}

// webhookCoalesce is how long wake-ups gather before the webhook runner
// runs: each run reads everything new, so waking it once per event would
// only spend the CPU the dispatcher and the API need (a 3 000-message burst
// makes 6 000 events).
const webhookCoalesce = 100 * time.Millisecond

// coalescer passes Kick calls on to kick at most once per webhookCoalesce,
// and never when there were none.
type coalescer struct{ in chan struct{} }

func newCoalescer(ctx context.Context, kick func()) *coalescer {
	c := &coalescer{in: make(chan struct{}, 1)}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.in:
			}
			t := time.NewTimer(webhookCoalesce)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			kick()
		}
	}()
	return c
}

// Kick asks for a run; it never blocks.
func (c *coalescer) Kick() {
	select {
	case c.in <- struct{}{}:
	default:
	}
}

// operatorCode returns the MCC+MNC of a modem's network (webhooks' mcc_mnc).
func (d *daemon) operatorCode(id string) string {
	for _, s := range d.pool.Statuses() {
		if s.ID == id {
			return s.OperatorCode
		}
	}
	return ""
}

// healthy tells the watchdog whether the daemon works: the database answers.
func (d *daemon) healthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.st.Ping(ctx)
}

// startSims starts n virtual modems whose stable names live in the data
// directory, as /dev/serial/by-id names do for real ones.
func (d *daemon) startSims(n int) ([]string, error) {
	dir := filepath.Join(d.cfg.Data, "sim")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sim directory: %w", err)
	}
	var ports []string
	for i := range n {
		link := filepath.Join(dir, fmt.Sprintf("modem%d", i))
		m, err := sim.New(sim.Config{Link: link, Identity: sim.IdentityFor(i), Logger: d.log.With(slog.String("sim", link))})
		if err != nil {
			return ports, fmt.Errorf("virtual modem %d: %w", i, err)
		}
		d.sims[m.Path()] = m
		ports = append(ports, m.Path())
	}
	return ports, nil
}

func (d *daemon) closeSims() {
	for _, m := range d.sims {
		m.Close()
	}
}

// simFor finds a virtual modem by ID, by index ("0") or, when there is only
// one, by nothing.
func (d *daemon) simFor(name string) (*sim.Modem, error) {
	if len(d.sims) == 0 {
		return nil, errors.New("sim: this daemon runs no virtual modem (start it with --simulate)")
	}
	if m, ok := d.sims[name]; ok {
		return m, nil
	}
	for id, m := range d.sims {
		if name == "" && len(d.sims) == 1 || strings.HasSuffix(id, "modem"+name) {
			return m, nil
		}
	}
	return nil, fmt.Errorf("sim: no virtual modem %q", name)
}

// lateHandler forwards to the inbound handler, which needs the queue,
// which needs the pool, which needs a handler: the pool gets this one and
// the inbound handler is set before the pool runs.
type lateHandler struct{ h modem.Handler }

func (l *lateHandler) Inbound(ctx context.Context, in modem.Inbound) error {
	return l.h.Inbound(ctx, in)
}

func (l *lateHandler) Call(ctx context.Context, c modem.Call) { l.h.Call(ctx, c) }

func (l *lateHandler) State(s modem.Status) { l.h.State(s) }
