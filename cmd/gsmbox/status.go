package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"gsmbox/ctl"
	"gsmbox/modem"
)

// statusReply is the answer of the "status" control command.
type statusReply struct {
	Version string         `json:"version"`
	Modems  []modem.Status `json:"modems"`
	Queue   map[string]int `json:"queue"` // messages by status, final ones excluded
}

func runStatus(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "status", "[--data DIR] [--json]")
	if err != nil {
		return err
	}
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var st statusReply
	if err := ctl.Call(ctx, cfg.Data, "status", nil, &st); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(env.stdout, "gsmbox %s\n\nmodems:\n", st.Version)
	printModems(env.stdout, st.Modems)
	fmt.Fprintln(env.stdout, "\nqueue:")
	if len(st.Queue) == 0 {
		fmt.Fprintln(env.stdout, "  empty")
	}
	keys := make([]string, 0, len(st.Queue))
	for k := range st.Queue {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(env.stdout, "  %-10s %d\n", k, st.Queue[k])
	}
	return nil
}
