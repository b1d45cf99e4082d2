package main

import (
	"context"
	"fmt"
	"strings"

	"gsmbox/ctl"
)

func runSim(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "sim", "[--data DIR] [--modem N] VERB [ARGS...]\n\n"+
		"Drives a virtual modem of a daemon started with --simulate, e.g.\n"+
		"  gsmbox sim deliver +33612345678 Bonjour\n  gsmbox sim ring +33612345678\n  gsmbox sim unplug | replug | hang | resume | submitted | status")
	if err != nil {
		return err
	}
	which := fs.String("modem", "", "virtual modem: its index (0, 1, ...) or path; may be omitted when there is one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	var out string
	if err := ctl.Call(ctx, cfg.Data, "sim", simArgs{Modem: *which, Line: strings.Join(fs.Args(), " ")}, &out); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintln(env.stdout, strings.TrimRight(out, "\n"))
	}
	return nil
}

// simArgs are the arguments of the "sim" control command.
type simArgs struct {
	Modem string `json:"modem"`
	Line  string `json:"line"`
}
