package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Reply is a received message with the send it answers, for the API
// (sMsmode responseList, notification_url_reponse).
type Reply struct {
	Inbound
	// AccountID is the account of the message it answers, 0 when it
	// answers nothing known.
	AccountID    int64
	SendID       int64  // 0 when the message it answers has no send
	SendPublicID string // "" when the message it answers has no send
	RefClient    string // the answered message's client reference
}

// ReplyFilter selects replies; zero fields do not filter.
type ReplyFilter struct {
	// AccountID keeps replies to that account's messages (0: every
	// received message, for top-level accounts).
	AccountID int64
	From, To  time.Time // received at or after From, before To
	Offset    int       // skip this many of the newest (sMsmode start)
	Limit     int
}

// Replies lists received messages matching f, newest first.
func (s *Store) Replies(ctx context.Context, f ReplyFilter) ([]Reply, error) {
	var where []string
	var args []any
	if f.AccountID != 0 {
		where = append(where, `m.account_id = ?`)
		args = append(args, f.AccountID)
	}
	if !f.From.IsZero() {
		where = append(where, `i.received_at >= ?`)
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `i.received_at < ?`)
		args = append(args, ms(f.To))
	}
	q := `SELECT ` + inboundColumnsI + `, coalesce(m.account_id, 0), coalesce(s.id, 0), coalesce(s.public_id, ''), coalesce(m.ref_client, '')
		FROM inbound i LEFT JOIN messages m ON m.id = i.reply_to LEFT JOIN sends s ON s.id = m.send_id`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY i.id DESC LIMIT ? OFFSET ?`
	args = append(args, clampLimit(f.Limit), max(f.Offset, 0))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: replies: %w", err)
	}
	defer rows.Close()
	var out []Reply
	for rows.Next() {
		var r Reply
		in, err := scanInbound(multiScanner{rows, []any{&r.AccountID, &r.SendID, &r.SendPublicID, &r.RefClient}})
		if err != nil {
			return nil, fmt.Errorf("store: replies: %w", err)
		}
		r.Inbound = in
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: replies: %w", err)
	}
	return out, nil
}

// inboundColumnsI is inboundColumns qualified with the alias i.
const inboundColumnsI = `i.id, i.number, i.modem, i.smsc, i.text, i.encoding, i.parts, i.incomplete, i.scts, i.received_at,
	i.clock_ok, i.read, i.keyword, coalesce(i.reply_to, 0), i.dedupe_key`
