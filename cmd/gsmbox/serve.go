package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem"
	"gsmbox/modem/sim"
)

func runServe(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, _, err := loadConfig(env, args)
	if err != nil {
		return err
	}
	fs := newFlagSet(env, "serve", "[--config FILE] [--data DIR] [--listen ADDR] [--modem PATH]... [--simulate[=N]]")
	addDataFlags(fs, &cfg)
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "HTTP address of the web UI and API (env GSMBOX_LISTEN)")
	fs.Var(&listFlag{list: &cfg.Modems}, "modem", "serial port of a modem, repeatable; /dev/serial/by-id names are kept as stable IDs (env GSMBOX_MODEMS, comma-separated)")
	fs.Var(countFlag{&cfg.Simulate}, "simulate", "run N virtual modems on ptys instead of (or besides) real ones: demo mode, no hardware (--simulate means 1)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error (debug logs AT traffic)")
	dump := fs.Bool("config-dump", false, "print the effective configuration and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "gsmbox serve: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *dump {
		return dumpConfig(env.stdout, cfg)
	}
	log, err := newLogger(env, cfg.LogLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	d := &daemon{cfg: cfg, env: env, log: log, sims: map[string]*sim.Modem{}}
	return d.run(ctx)
}

// newLogger logs text to stderr, which journald collects (SPEC O3).
func newLogger(env *cmdEnv, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: l})), nil
}

// daemon is one running gsmbox: it owns the modems, the virtual modems of
// demo mode and the control socket.
type daemon struct {
	cfg  Config
	env  *cmdEnv
	log  *slog.Logger
	pool *modem.Pool
	sims map[string]*sim.Modem // by modem ID
}

func (d *daemon) run(ctx context.Context) error {
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
	handler := &logHandler{log: d.log}
	pool, err := modem.NewPool(modem.Config{
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
	d.pool = pool

	l, err := ctl.Listen(d.cfg.Data)
	if err != nil {
		return err
	}
	srv := ctl.NewServer(d.log)
	d.registerCtl(srv)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		pool.Run(ctx)
	}()
	var ctlErr error
	go func() {
		defer wg.Done()
		ctlErr = srv.Serve(ctx, l)
	}()
	d.log.Info("gsmbox serving", slog.String("data", d.cfg.Data), slog.Any("modems", ports), slog.String("version", version))
	if err := sdNotify(d.env, "READY=1"); err != nil {
		d.log.Warn("systemd notification failed", slog.Any("error", err))
	}
	go watchdog(ctx, d.env, d.healthy, func(err error) { d.log.Error("unhealthy: watchdog not fed", slog.Any("error", err)) })
	<-ctx.Done()
	sdNotify(d.env, "STOPPING=1")
	d.log.Info("gsmbox stopping")
	wg.Wait()
	os.Remove(filepath.Join(d.cfg.Data, ctl.SocketName))
	d.log.Info("gsmbox stopped")
	return ctlErr
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
		m, err := sim.New(sim.Config{Link: link, Logger: d.log.With(slog.String("sim", link))})
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

func (d *daemon) registerCtl(srv *ctl.Server) {
	srv.Handle("modems", func(ctx context.Context, _ json.RawMessage) (any, error) {
		return d.pool.Statuses(), nil
	})
	srv.Handle("sim", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var args simArgs
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, fmt.Errorf("sim: bad arguments: %w", err)
		}
		m, err := d.simFor(args.Modem)
		if err != nil {
			return nil, err
		}
		return m.Control(args.Line)
	})
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

// simArgs are the arguments of the "sim" control command.
type simArgs struct {
	Modem string `json:"modem"`
	Line  string `json:"line"`
}

// logHandler logs what the modems report. It stands until the store
// commits inbound messages: it acknowledges nothing it has not logged.
type logHandler struct{ log *slog.Logger }

func (h *logHandler) Inbound(ctx context.Context, in modem.Inbound) error {
	h.log.Info("inbound PDU", slog.String("modem", in.Modem), slog.String("kind", in.Kind.String()), slog.String("pdu", fmt.Sprintf("%X", in.PDU)))
	return nil
}

func (h *logHandler) Call(ctx context.Context, c modem.Call) {
	h.log.Info("call", slog.String("modem", c.Modem), slog.String("number", c.Number))
}

func (h *logHandler) State(s modem.Status) {}

// healthy tells the watchdog whether the daemon works: its control socket
// answers (the socket handler runs in the same process as every worker).
func (d *daemon) healthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ctl.Call(ctx, d.cfg.Data, "modems", nil, nil)
}
