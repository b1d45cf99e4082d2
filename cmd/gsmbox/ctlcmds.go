package main

import (
	"context"
	"encoding/json"
	"fmt"

	"gsmbox/ctl"
	"gsmbox/queue"
	"gsmbox/store"
)

// registerCtl declares the commands the daemon answers on its control socket.
func (d *daemon) registerCtl(srv *ctl.Server) {
	srv.Handle("modems", func(ctx context.Context, _ json.RawMessage) (any, error) {
		return d.pool.Statuses(), nil
	})
	srv.Handle("status", d.ctlStatus)
	srv.Handle("at", d.ctlAT)
	srv.Handle("backup", d.ctlBackup)
	registerAPIKeyCtl(srv, d.st)
	registerUserCtl(srv, d.st)
	srv.Handle("send", d.ctlSend)
	srv.Handle("queue.list", d.ctlQueueList)
	srv.Handle("queue.retry", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a idArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		return nil, d.q.Retry(ctx, a.ID)
	})
	srv.Handle("queue.cancel", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a idArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		return nil, d.q.Cancel(ctx, a.ID)
	})
	srv.Handle("sim", func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a simArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		m, err := d.simFor(a.Modem)
		if err != nil {
			return nil, err
		}
		return m.Control(a.Line)
	})
}

func decodeArgs(raw json.RawMessage, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("bad arguments: %w", err)
	}
	return nil
}

func (d *daemon) ctlStatus(ctx context.Context, _ json.RawMessage) (any, error) {
	depth, err := d.st.QueueDepth(ctx)
	if err != nil {
		return nil, err
	}
	reply := statusReply{Version: version, Modems: d.pool.Statuses(), Queue: map[string]int{}}
	for st, n := range depth {
		reply.Queue[string(st)] = n
	}
	return reply, nil
}

func (d *daemon) ctlSend(ctx context.Context, raw json.RawMessage) (any, error) {
	var a sendArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	req := queue.Request{Text: a.Text, Numbers: a.To, At: a.At, Modem: a.Modem, Flash: a.Flash, Source: "cli"}
	if a.Marketing {
		req.Channel = queue.Marketing
	}
	rec, err := d.q.Submit(ctx, req)
	if err != nil && len(rec.Results) == 0 {
		return nil, err
	}
	out := make([]sendResult, 0, len(rec.Results))
	for _, r := range rec.Results {
		out = append(out, sendResult{Input: r.Input, Number: r.Number, MessageID: r.MessageID, Parts: r.Parts, Reason: string(r.Reason), Detail: r.Detail})
	}
	return out, nil
}

func (d *daemon) ctlQueueList(ctx context.Context, raw json.RawMessage) (any, error) {
	var a queueListArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	f := store.MessageFilter{Number: a.Number, Limit: a.Limit, BeforeID: a.BeforeID}
	for _, s := range a.Statuses {
		f.Statuses = append(f.Statuses, store.Status(s))
	}
	msgs, err := d.st.Messages(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]queueItem, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, queueItem{ID: m.ID, Number: m.Number, Status: string(m.Status), Reason: m.Reason, Parts: m.Parts,
			Attempts: m.Attempts, Modem: m.Modem, Created: m.CreatedAt, Scheduled: m.ScheduledAt, Text: m.Text})
	}
	return out, nil
}
