package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem"
)

func runModems(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "modems", "[--data DIR] [--json] [--probe]")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	probe := fs.Bool("probe", false, "probe the serial ports directly instead of asking the daemon (only when the daemon is stopped: it holds the ports)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var list []modem.Status
	if !*probe {
		err = ctl.Call(ctx, cfg.Data, "modems", nil, &list)
		if err != nil && !errors.Is(err, ctl.ErrNoDaemon) {
			return err
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "gsmbox modems: no daemon running; probing the serial ports")
			*probe = true
		}
	}
	if *probe {
		candidates, err := modem.Candidates()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		found, err := modem.Detect(ctx, candidates, 0)
		if err != nil {
			return err
		}
		for _, f := range found {
			list = append(list, f.Status)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	printModems(env.stdout, list)
	return nil
}

func printModems(w io.Writer, list []modem.Status) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no modem")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSIGNAL\tOPERATOR\tMODEL\tIMEI\tICCID\tSENT\tRECEIVED\tERROR")
	for _, s := range list {
		signal := "-"
		if s.Signal != 99 {
			signal = fmt.Sprintf("%d (%d dBm)", s.Signal, s.SignalDBm)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%s\t%s\t%d\t%d\t%s\n", s.ID, s.State, signal, s.Operator,
			s.Manufacturer, s.Model, s.IMEI, s.ICCID, s.Sent, s.Received, s.LastError)
	}
	tw.Flush()
}
