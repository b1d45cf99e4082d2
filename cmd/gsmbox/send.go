package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gsmbox/ctl"
)

// sendArgs are the arguments of the "send" control command.
type sendArgs struct {
	To        []string  `json:"to"`
	Text      string    `json:"text"`
	At        time.Time `json:"at,omitzero"`
	Marketing bool      `json:"marketing,omitempty"`
	Modem     string    `json:"modem,omitempty"`
	Flash     bool      `json:"flash,omitempty"`
}

// sendResult is one recipient's outcome.
type sendResult struct {
	Input     string `json:"input"`
	Number    string `json:"number,omitempty"`
	MessageID int64  `json:"message_id,omitempty"`
	Parts     int    `json:"parts,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

func runSend(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "send", "[--data DIR] --to NUMBER[,NUMBER...] [--at TIME] [--marketing] [--modem ID] [--flash] TEXT\n\n"+
		"Queues an SMS through the running daemon and prints one line per recipient:\n"+
		"the new message id, or why the recipient was refused.")
	if err != nil {
		return err
	}
	to := fs.String("to", "", "recipients: numbers (E.164, national or international), comma-separated")
	at := fs.String("at", "", "send later: RFC 3339 (2026-12-24T09:00:00+01:00) or 'YYYY-MM-DD HH:MM' in the box's time zone")
	a := sendArgs{}
	fs.BoolVar(&a.Marketing, "marketing", false, "marketing channel: after notifications, within quiet hours")
	fs.StringVar(&a.Modem, "modem", "", "send through this modem only")
	fs.BoolVar(&a.Flash, "flash", false, "flash SMS (class 0): shown at once, not stored by the phone")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" || fs.NArg() == 0 {
		fmt.Fprintln(env.stderr, "gsmbox send: --to and a text are required")
		fs.Usage()
		return errUsage
	}
	for _, n := range strings.Split(*to, ",") {
		if n = strings.TrimSpace(n); n != "" {
			a.To = append(a.To, n)
		}
	}
	a.Text = strings.Join(fs.Args(), " ")
	if *at != "" {
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			return fmt.Errorf("time zone %q: %w", cfg.TimeZone, err)
		}
		t, err := parseTime(*at, loc)
		if err != nil {
			return err
		}
		a.At = t
	}
	var results []sendResult
	if err := ctl.Call(ctx, cfg.Data, "send", a, &results); err != nil {
		return err
	}
	refused := 0
	for _, r := range results {
		if r.MessageID != 0 {
			fmt.Fprintln(env.stdout, r.MessageID)
			continue
		}
		refused++
		fmt.Fprintf(env.stderr, "gsmbox send: %s refused: %s %s\n", r.Input, r.Reason, r.Detail)
	}
	if refused == len(results) {
		return fmt.Errorf("no recipient accepted")
	}
	return nil
}

// parseTime reads RFC 3339, or "YYYY-MM-DD HH:MM" in the box's time zone
// (schedules follow the box's clock, not the technician's shell).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 or 'YYYY-MM-DD HH:MM'", s)
}
