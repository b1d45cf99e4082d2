package store

// SQL of package webhook (SPEC A4): the producer tails the journal (every
// status change of a message is journaled in the transaction that makes
// it) and the inbound table by id, with cursors kept in settings, and
// enqueues notifications in the same transaction that advances a cursor:
// nothing is notified twice or lost across a crash.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Setting returns the value stored under key inside the transaction, or
// ErrNotFound.
func (tx *Tx) Setting(key string) (string, error) {
	var v string
	err := tx.queryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: setting %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, nil
}

// StatusEvent is a journaled status change of a message, with the message
// as it is now and what its parts' reports say.
type StatusEvent struct {
	JournalID    int64
	At           time.Time
	Status       Status // the status the entry recorded
	Detail       string
	Message      Message
	ReportFailed bool // a status report said a part was not delivered
}

// statusEvents are the journal events that are message statuses worth a
// notification.
var statusEvents = []string{string(StatusSent), string(StatusDelivered), string(StatusFailed), string(StatusExpired),
	string(StatusUnknown), string(StatusStopped), string(StatusCancelled)}

// StatusEventsAfter returns up to limit status events journaled after
// journal id after, in order, and the journal id to resume from (the last
// id examined, which may be past the last event returned).
func (tx *Tx) StatusEventsAfter(after int64, limit int) ([]StatusEvent, int64, error) {
	var top int64
	if err := tx.queryRow(`SELECT coalesce(max(id), 0) FROM journal`).Scan(&top); err != nil {
		return nil, after, fmt.Errorf("store: journal: %w", err)
	}
	args := []any{after}
	for _, e := range statusEvents {
		args = append(args, e)
	}
	args = append(args, limit)
	rows, err := tx.query(`SELECT j.id, j.at, j.event, j.detail, `+prefixed("m.", messageColumns)+`,
		EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id AND p.delivery IN ('failed', 'expired'))
		FROM journal j JOIN messages m ON m.id = j.message_id
		WHERE j.id > ? AND j.message_id IS NOT NULL AND j.event IN (`+placeholders(len(statusEvents))+`)
		ORDER BY j.id LIMIT ?`, args...)
	if err != nil {
		return nil, after, fmt.Errorf("store: journal: %w", err)
	}
	defer rows.Close()
	var out []StatusEvent
	for rows.Next() {
		var e StatusEvent
		var at int64
		m, err := scanMessage(prefixScanner{rows, []any{&e.JournalID, &at, &e.Status, &e.Detail}, []any{&e.ReportFailed}})
		if err != nil {
			return nil, after, fmt.Errorf("store: journal: %w", err)
		}
		e.At, e.Message = fromMS(at), m
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, after, fmt.Errorf("store: journal: %w", err)
	}
	next := top
	if len(out) == limit {
		next = out[len(out)-1].JournalID
	}
	return out, next, nil
}

// prefixScanner puts destinations before and after those of a row scan.
type prefixScanner struct {
	sc          scanner
	before, aft []any
}

func (p prefixScanner) Scan(dest ...any) error {
	all := append(append(append([]any{}, p.before...), dest...), p.aft...)
	return p.sc.Scan(all...)
}

// MessageSendID returns the send id of message id, 0 when none.
func (tx *Tx) MessageSendID(id int64) (int64, error) {
	var sid int64
	err := tx.queryRow(`SELECT coalesce(send_id, 0) FROM messages WHERE id = ?`, id).Scan(&sid)
	if err != nil {
		return 0, fmt.Errorf("store: send of message %d: %w", id, err)
	}
	return sid, nil
}

// SendByID returns send id inside the transaction.
func (tx *Tx) SendByID(id int64) (Send, error) {
	sd, err := scanSend(tx.queryRow(`SELECT `+sendColumns+` FROM sends WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sd, fmt.Errorf("store: send %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return sd, fmt.Errorf("store: send %d: %w", id, err)
	}
	return sd, nil
}

// RepliesAfter returns up to limit received messages with ids above after,
// in order, with the send they answer, and the id to resume from.
func (tx *Tx) RepliesAfter(after int64, limit int) ([]Reply, int64, error) {
	var top int64
	if err := tx.queryRow(`SELECT coalesce(max(id), 0) FROM inbound`).Scan(&top); err != nil {
		return nil, after, fmt.Errorf("store: inbound: %w", err)
	}
	rows, err := tx.query(`SELECT `+inboundColumnsI+`, coalesce(m.account_id, 0), coalesce(s.id, 0), coalesce(s.public_id, ''), coalesce(m.ref_client, '')
		FROM inbound i LEFT JOIN messages m ON m.id = i.reply_to LEFT JOIN sends s ON s.id = m.send_id
		WHERE i.id > ? ORDER BY i.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("store: inbound: %w", err)
	}
	defer rows.Close()
	var out []Reply
	for rows.Next() {
		var r Reply
		in, err := scanInbound(multiScanner{rows, []any{&r.AccountID, &r.SendID, &r.SendPublicID, &r.RefClient}})
		if err != nil {
			return nil, after, fmt.Errorf("store: inbound: %w", err)
		}
		r.Inbound = in
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, after, fmt.Errorf("store: inbound: %w", err)
	}
	next := top
	if len(out) == limit {
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// WebhookFilter selects outbox rows; zero fields do not filter.
type WebhookFilter struct {
	// State is "pending" (not delivered, still tried), "failed" (given
	// up), "delivered", "retrying" (pending with at least one failed
	// attempt) or "" for all.
	State    string
	BeforeID int64
	Limit    int
}

// Webhooks lists outbox rows matching f, newest first (SPEC A4: failures
// visible).
func (s *Store) Webhooks(ctx context.Context, f WebhookFilter) ([]Webhook, error) {
	var where []string
	var args []any
	switch f.State {
	case "pending":
		where = append(where, `delivered_at = 0 AND gave_up = 0`)
	case "retrying":
		where = append(where, `delivered_at = 0 AND gave_up = 0 AND attempts > 0`)
	case "failed":
		where = append(where, `gave_up = 1`)
	case "delivered":
		where = append(where, `delivered_at > 0`)
	case "":
	default:
		return nil, fmt.Errorf("store: webhooks: unknown state %q", f.State)
	}
	if f.BeforeID > 0 {
		where = append(where, `id < ?`)
		args = append(args, f.BeforeID)
	}
	q := `SELECT ` + webhookColumns + ` FROM webhook_outbox`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, clampLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	return scanRows(rows, scanWebhook, "webhooks")
}

// WebhookByID returns outbox row id.
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("store: webhook %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("store: webhook %d: %w", id, err)
	}
	return w, nil
}

// RetryWebhook makes an undelivered notification (given up or waiting)
// due at now again, on a person's request.
func (s *Store) RetryWebhook(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE webhook_outbox SET gave_up = 0, next_attempt = ? WHERE id = ? AND delivered_at = 0`, ms(now), id)
		if err != nil {
			return fmt.Errorf("store: retry webhook %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("retry webhook %d (unknown or delivered)", id))
	})
}

// CountWebhooks counts outbox rows by state: pending, retrying (pending
// after a failure), failed (given up) and delivered.
func (s *Store) CountWebhooks(ctx context.Context) (map[string]int, error) {
	var p, r, f, d int
	err := s.r.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE delivered_at = 0 AND gave_up = 0),
		count(*) FILTER (WHERE delivered_at = 0 AND gave_up = 0 AND attempts > 0),
		count(*) FILTER (WHERE gave_up = 1),
		count(*) FILTER (WHERE delivered_at > 0)
		FROM webhook_outbox`).Scan(&p, &r, &f, &d)
	if err != nil {
		return nil, fmt.Errorf("store: count webhooks: %w", err)
	}
	return map[string]int{"pending": p, "retrying": r, "failed": f, "delivered": d}, nil
}

// LatestIDs returns the largest journal and inbound ids (0 when empty), so
// the webhook producer can tell from the read pool that nothing happened
// and skip its write transaction.
func (s *Store) LatestIDs(ctx context.Context) (journal, inbound int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM journal), (SELECT coalesce(max(id), 0) FROM inbound)`).Scan(&journal, &inbound)
	if err != nil {
		return 0, 0, fmt.Errorf("store: latest ids: %w", err)
	}
	return journal, inbound, nil
}
