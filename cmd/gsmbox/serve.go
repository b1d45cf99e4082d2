package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"gsmbox/modem/sim"
)

func runServe(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "serve", "[--config FILE] [--data DIR] [--listen ADDR] [--modem PATH]... [--simulate[=N]]")
	if err != nil {
		return err
	}
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
		return dumpConfig(env.stdout, *cfg)
	}
	log, err := newLogger(env, cfg.LogLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	d := &daemon{cfg: *cfg, env: env, log: log, sims: map[string]*sim.Modem{}}
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
