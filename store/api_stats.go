package store

import (
	"context"
	"fmt"
	"time"
)

// PeriodStats counts what happened between two times (SPEC W2, W13).
type PeriodStats struct {
	From, To time.Time
	// Messages counts outbound messages created in the period by their
	// current status; Parts sums their SMS parts.
	Messages map[Status]int
	Parts    int
	Received int // inbound messages received in the period
}

// Stats counts outbound messages of accountID (0: all) and inbound
// messages between from and to (to excluded).
func (s *Store) Stats(ctx context.Context, accountID int64, from, to time.Time) (PeriodStats, error) {
	ps := PeriodStats{From: from, To: to, Messages: map[Status]int{}}
	q := `SELECT status, count(*), coalesce(sum(parts), 0) FROM messages INDEXED BY messages_created WHERE created_at >= ? AND created_at < ?`
	args := []any{ms(from), ms(to)}
	if accountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, accountID)
	}
	rows, err := s.r.QueryContext(ctx, q+` GROUP BY status`, args...)
	if err != nil {
		return ps, fmt.Errorf("store: statistics: %w", err)
	}
	for rows.Next() {
		var st Status
		var n, parts int
		if err := rows.Scan(&st, &n, &parts); err != nil {
			rows.Close()
			return ps, fmt.Errorf("store: statistics: %w", err)
		}
		ps.Messages[st] = n
		ps.Parts += parts
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ps, fmt.Errorf("store: statistics: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM inbound INDEXED BY inbound_received WHERE received_at >= ? AND received_at < ?`,
		ms(from), ms(to)).Scan(&ps.Received); err != nil {
		return ps, fmt.Errorf("store: statistics: %w", err)
	}
	return ps, nil
}

// GroupCount is a count of messages and parts for one key (a modem, a
// source, a country prefix).
type GroupCount struct {
	Key      string
	Messages int
	Parts    int
}

// StatsBy counts the outbound messages of accountID (0: all) created in
// [from, to) by modem or by source ("modem" or "source"), most first.
func (s *Store) StatsBy(ctx context.Context, accountID int64, from, to time.Time, by string) ([]GroupCount, error) {
	col := ""
	switch by {
	case "modem":
		col = "modem"
	case "source":
		col = "source"
	default:
		return nil, fmt.Errorf("store: statistics by %q", by)
	}
	q := `SELECT ` + col + `, count(*), coalesce(sum(parts), 0) FROM messages INDEXED BY messages_created WHERE created_at >= ? AND created_at < ?`
	args := []any{ms(from), ms(to)}
	if accountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, accountID)
	}
	rows, err := s.r.QueryContext(ctx, q+` GROUP BY `+col+` ORDER BY count(*) DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: statistics by %s: %w", by, err)
	}
	defer rows.Close()
	var out []GroupCount
	for rows.Next() {
		var g GroupCount
		if err := rows.Scan(&g.Key, &g.Messages, &g.Parts); err != nil {
			return nil, fmt.Errorf("store: statistics by %s: %w", by, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: statistics by %s: %w", by, err)
	}
	return out, nil
}
