package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: setting %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, nil
}

// Settings returns every stored setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: settings: %w", err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
	}
	return m, nil
}

// SetSetting stores value under key.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetSetting(key, value) })
}

// SetSetting stores value under key.
func (tx *Tx) SetSetting(key, value string) error {
	_, err := tx.exec(`INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}

// DeleteSetting removes key (no error when absent).
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM settings WHERE key = ?`, key); err != nil {
			return fmt.Errorf("store: delete setting %q: %w", key, err)
		}
		return nil
	})
}

// NextCounter adds n to the persisted counter name and returns the value it
// had before, so the caller owns [before, before+n). Used for the
// concatenation reference (SPEC P6): two long messages never share one, even
// across restarts.
func (tx *Tx) NextCounter(name string, n int64) (int64, error) {
	var after int64
	err := tx.queryRow(`INSERT INTO counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
		RETURNING value`, name, n).Scan(&after)
	if err != nil {
		return 0, fmt.Errorf("store: counter %q: %w", name, err)
	}
	return after - n, nil
}

// Webhook is one notification in the persistent outbox (SPEC A4): kept until
// the receiver acknowledges it or the sender gives up.
type Webhook struct {
	ID          int64
	Event       string // e.g. "delivery", "inbound"
	URL         string
	ContentType string
	Body        []byte
	CreatedAt   time.Time
	Attempts    int
	NextAttempt time.Time
	LastError   string
	DeliveredAt time.Time
	GaveUp      bool
}

const webhookColumns = `id, event, url, content_type, body, created_at, attempts, next_attempt, last_error, delivered_at, gave_up`

func scanWebhook(sc scanner) (Webhook, error) {
	var w Webhook
	var created, next, delivered int64
	err := sc.Scan(&w.ID, &w.Event, &w.URL, &w.ContentType, &w.Body, &created, &w.Attempts, &next, &w.LastError, &delivered, &w.GaveUp)
	w.CreatedAt, w.NextAttempt, w.DeliveredAt = fromMS(created), fromMS(next), fromMS(delivered)
	return w, err
}

// EnqueueWebhook adds a notification to the outbox, due at once. It runs in
// the caller's transaction so that the event and its notification commit
// together.
func (tx *Tx) EnqueueWebhook(w Webhook, now time.Time) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO webhook_outbox (event, url, content_type, body, created_at, next_attempt)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, w.Event, w.URL, w.ContentType, w.Body, ms(now), ms(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue webhook: %w", err)
	}
	return id, nil
}

// DueWebhooks returns up to limit undelivered notifications whose next
// attempt is at or before now, oldest first.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]Webhook, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_outbox
		WHERE delivered_at = 0 AND gave_up = 0 AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	defer rows.Close()
	var ws []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due webhooks: %w", err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	return ws, nil
}

// NextWebhookAt returns when the earliest pending notification is due, and
// false when the outbox is empty.
func (s *Store) NextWebhookAt(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM webhook_outbox WHERE delivered_at = 0 AND gave_up = 0`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next webhook: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(next.Int64), true, nil
}

// WebhookDelivered records the receiver's acknowledgement of id.
func (s *Store) WebhookDelivered(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`, ms(now), id)
		if err != nil {
			return fmt.Errorf("store: webhook %d delivered: %w", id, err)
		}
		return affected(res, fmt.Sprintf("webhook %d delivered", id))
	})
}

// WebhookFailed records a failed attempt on id: the next one is due at next,
// or never again when giveUp is set.
func (s *Store) WebhookFailed(ctx context.Context, id int64, errText string, next time.Time, giveUp bool) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ?, gave_up = ? WHERE id = ?`,
			errText, ms(next), boolInt(giveUp), id)
		if err != nil {
			return fmt.Errorf("store: webhook %d failed: %w", id, err)
		}
		return affected(res, fmt.Sprintf("webhook %d failed", id))
	})
}
