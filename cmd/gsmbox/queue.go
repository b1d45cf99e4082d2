package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gsmbox/ctl"
)

// queueListArgs are the arguments of the "queue.list" control command.
type queueListArgs struct {
	Statuses []string `json:"statuses,omitempty"`
	Number   string   `json:"number,omitempty"`
	Limit    int      `json:"limit,omitempty"`
	BeforeID int64    `json:"before_id,omitempty"`
}

// queueItem is one message as `gsmbox queue list` shows it.
type queueItem struct {
	ID        int64     `json:"id"`
	Number    string    `json:"number"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Parts     int       `json:"parts"`
	Attempts  int       `json:"attempts"`
	Modem     string    `json:"modem,omitempty"`
	Created   time.Time `json:"created"`
	Scheduled time.Time `json:"scheduled,omitzero"`
	Text      string    `json:"text"`
}

// idArgs name one message.
type idArgs struct {
	ID int64 `json:"id"`
}

func runQueue(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "queue", "[--data DIR] list [--status S,S] [--number N] [--limit N] [--json] | retry ID... | cancel ID...\n\n"+
		"list: the newest messages (default: those not final yet)\n"+
		"retry: send again a failed or unknown message (a person decided it did not go)\n"+
		"cancel: cancel a message that has not gone yet")
	if err != nil {
		return err
	}
	status := fs.String("status", "scheduled,queued,retry,paused,sending,unknown", "list: statuses to show, comma-separated, or 'all'")
	number := fs.String("number", "", "list: only this recipient")
	limit := fs.Int("limit", 50, "list: at most this many (up to 1000)")
	asJSON := fs.Bool("json", false, "list: print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	verb, rest := pos[0], pos[1:]
	switch verb {
	case "list":
		a := queueListArgs{Number: *number, Limit: *limit}
		if *status != "all" {
			a.Statuses = strings.Split(*status, ",")
		}
		var items []queueItem
		if err := ctl.Call(ctx, cfg.Data, "queue.list", a, &items); err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(env.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(items)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNUMBER\tSTATUS\tPARTS\tTRIES\tMODEM\tCREATED\tTEXT")
		for _, it := range items {
			st := it.Status
			if it.Reason != "" {
				st += " (" + it.Reason + ")"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", it.ID, it.Number, st, it.Parts, it.Attempts, it.Modem,
				it.Created.Local().Format("2006-01-02 15:04:05"), abbreviate(it.Text, 40))
		}
		return tw.Flush()
	case "retry", "cancel":
		if len(rest) == 0 {
			fmt.Fprintf(env.stderr, "gsmbox queue %s: give message ids\n", verb)
			return errUsage
		}
		failed := 0
		for _, s := range rest {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				fmt.Fprintf(env.stderr, "gsmbox queue %s: %q is not a message id\n", verb, s)
				failed++
				continue
			}
			if err := ctl.Call(ctx, cfg.Data, "queue."+verb, idArgs{ID: id}, nil); err != nil {
				fmt.Fprintf(env.stderr, "gsmbox queue %s %d: %v\n", verb, id, err)
				failed++
				continue
			}
			fmt.Fprintf(env.stdout, "%d %s\n", id, map[string]string{"retry": "queued again", "cancel": "cancelled"}[verb])
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d failed", failed, len(rest))
		}
		return nil
	}
	fmt.Fprintf(env.stderr, "gsmbox queue: unknown verb %q\n", verb)
	return errUsage
}

// abbreviate shortens s to n runes for one-line listings.
func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
