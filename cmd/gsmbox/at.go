package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"gsmbox/ctl"
)

// atArgs are the arguments of the "at" control command.
type atArgs struct {
	Modem string `json:"modem"`
	Cmd   string `json:"cmd"`
}

// atReply is a modem's answer to one command.
type atReply struct {
	Lines []string `json:"lines"`
	Error string   `json:"error,omitempty"`
}

func (d *daemon) ctlAT(ctx context.Context, raw json.RawMessage) (any, error) {
	var a atArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	id, err := d.modemID(a.Modem)
	if err != nil {
		return nil, err
	}
	lines, err := d.pool.Command(ctx, id, a.Cmd)
	reply := atReply{Lines: lines}
	if err != nil {
		reply.Error = err.Error()
	}
	return reply, nil
}

// modemID resolves a modem named by ID, by index in the pool's order, or by
// nothing when there is one.
func (d *daemon) modemID(name string) (string, error) {
	list := d.pool.Statuses()
	for i, s := range list {
		if s.ID == name || fmt.Sprint(i) == name || name == "" && len(list) == 1 {
			return s.ID, nil
		}
	}
	return "", fmt.Errorf("no modem %q (see 'gsmbox modems'; name it by ID or index)", name)
}

func runAT(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "at", "[--data DIR] [--modem ID|INDEX] [COMMAND...]\n\n"+
		"Talks AT to a modem through the running daemon (which holds the port), between its sends.\n"+
		"With commands as arguments, runs them and exits; else reads one command per line.\n"+
		"  gsmbox at --modem 0 +CSQ +COPS?\n"+
		"Changing +CMGF or +CNMI breaks reception until the modem is reopened.")
	if err != nil {
		return err
	}
	which := fs.String("modem", "", "modem ID or index; may be omitted when there is one")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	failed := false
	do := func(line string) error {
		cmd := strings.TrimSpace(line)
		if len(cmd) >= 2 && strings.EqualFold(cmd[:2], "AT") {
			cmd = cmd[2:]
		}
		var r atReply
		if err := ctl.Call(ctx, cfg.Data, "at", atArgs{Modem: *which, Cmd: cmd}, &r); err != nil {
			return err
		}
		for _, l := range r.Lines {
			fmt.Fprintln(env.stdout, l)
		}
		if r.Error != "" {
			failed = true
			fmt.Fprintln(env.stdout, "ERROR:", r.Error)
		} else {
			fmt.Fprintln(env.stdout, "OK")
		}
		return nil
	}
	if len(pos) > 0 {
		for _, c := range pos {
			if err := do(c); err != nil {
				return err
			}
		}
		if failed {
			return fmt.Errorf("a command failed")
		}
		return nil
	}
	f, isFile := env.stdin.(*os.File)
	interactive := isFile && term.IsTerminal(int(f.Fd()))
	sc := bufio.NewScanner(env.stdin)
	for {
		if interactive {
			fmt.Fprint(env.stderr, "AT> ")
		}
		if !sc.Scan() {
			return sc.Err()
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if err := do(sc.Text()); err != nil {
			return err
		}
	}
}
