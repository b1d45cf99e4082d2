package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Inbound is one received SMS, reassembled when it came in several parts.
type Inbound struct {
	ID         int64
	Number     string // originator: E.164, national digits or alphanumeric
	Modem      string
	SMSC       string
	Text       string
	Encoding   string
	Parts      int
	Incomplete bool      // SPEC P4: stored after a timeout with the parts that came
	SCTS       time.Time // service centre time stamp
	ReceivedAt time.Time
	ClockOK    bool // false: written while the box clock was not plausible
	Read       bool
	Keyword    string // stop, start, contact when the text was one
	ReplyTo    int64  // the last message sent to Number before this arrived, 0 none
	DedupeKey  string // SPEC I9
}

const inboundColumns = `id, number, modem, smsc, text, encoding, parts, incomplete, scts, received_at, clock_ok, read, keyword, coalesce(reply_to, 0), dedupe_key`

func scanInbound(sc scanner) (Inbound, error) {
	var in Inbound
	var scts, received int64
	err := sc.Scan(&in.ID, &in.Number, &in.Modem, &in.SMSC, &in.Text, &in.Encoding, &in.Parts, &in.Incomplete, &scts, &received,
		&in.ClockOK, &in.Read, &in.Keyword, &in.ReplyTo, &in.DedupeKey)
	in.SCTS, in.ReceivedAt = fromMS(scts), fromMS(received)
	return in, err
}

const (
	qInsertInbound = `INSERT INTO inbound (number, modem, smsc, text, encoding, parts, incomplete, scts, received_at, clock_ok, keyword, reply_to, dedupe_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			(SELECT id FROM messages WHERE number = ?1 AND sent_at > 0 ORDER BY created_at DESC LIMIT 1), ?)
		ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`
	qConversationIn = `INSERT INTO conversations (number, last_at, last_text, last_inbound, unread) VALUES (?, ?, ?, 1, 1)
		ON CONFLICT (number) DO UPDATE SET unread = unread + 1,
			last_at = max(last_at, excluded.last_at),
			last_text = CASE WHEN excluded.last_at >= last_at THEN excluded.last_text ELSE last_text END,
			last_inbound = CASE WHEN excluded.last_at >= last_at THEN 1 ELSE last_inbound END`
)

// InsertInbound stores a received message, threads it into its
// conversation (unread) and links it to the last message sent to that
// number. A message whose DedupeKey is already stored is a network
// duplicate (SPEC I9): nothing changes and it returns 0, false.
func (tx *Tx) InsertInbound(in Inbound) (int64, bool, error) {
	var id int64
	err := tx.queryRow(qInsertInbound, in.Number, in.Modem, in.SMSC, in.Text, in.Encoding, in.Parts, boolInt(in.Incomplete),
		ms(in.SCTS), ms(in.ReceivedAt), boolInt(in.ClockOK), in.Keyword, in.DedupeKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: insert inbound from %s: %w", in.Number, err)
	}
	if _, err := tx.exec(qConversationIn, in.Number, ms(in.ReceivedAt), in.Text); err != nil {
		return 0, false, fmt.Errorf("store: insert inbound from %s: conversation: %w", in.Number, err)
	}
	return id, true, nil
}

// Inbound returns received message id.
func (s *Store) Inbound(ctx context.Context, id int64) (Inbound, error) {
	in, err := scanInbound(s.r.QueryRowContext(ctx, `SELECT `+inboundColumns+` FROM inbound WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("store: inbound %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("store: inbound %d: %w", id, err)
	}
	return in, nil
}

// InboundFilter selects received messages (UI W6, W7, API); zero fields do
// not filter.
type InboundFilter struct {
	Number     string // prefix of the originator
	UnreadOnly bool
	Search     string // full-text query on the text
	From, To   time.Time
	BeforeID   int64 // pages backwards
	Limit      int
}

// InboundMessages returns received messages matching f, newest first.
func (s *Store) InboundMessages(ctx context.Context, f InboundFilter) ([]Inbound, error) {
	var l listQuery
	from := `inbound i`
	order := `i.id DESC`
	switch {
	case f.Search != "":
		// Driven by the full-text index, newest first (see Messages).
		from = `inbound_fts CROSS JOIN inbound i ON i.id = inbound_fts.rowid`
		order = `inbound_fts.rowid DESC`
		l.add(`inbound_fts MATCH ?`, ftsQuery(f.Search))
	case f.UnreadOnly:
		from = `inbound i INDEXED BY inbound_unread`
	case !f.From.IsZero() || !f.To.IsZero():
		order = `i.received_at DESC, i.id DESC`
	}
	if f.UnreadOnly {
		l.add(`i.read = 0`)
	}
	l.prefix(`i.number`, f.Number)
	l.between(`i.received_at`, f.From, f.To)
	if f.BeforeID > 0 {
		if f.Search != "" {
			l.add(`inbound_fts.rowid < ?`, f.BeforeID)
		} else {
			l.add(`i.id < ?`, f.BeforeID)
		}
	}
	q, args := l.sql(prefixed("i.", inboundColumns), from, order, f.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list inbound: %w", err)
	}
	return scanRows(rows, scanInbound, "list inbound")
}

// SetRead marks received messages read (or unread) and keeps their
// conversations' unread counts right.
func (s *Store) SetRead(ctx context.Context, ids []int64, read bool) error {
	return s.Write(ctx, func(tx *Tx) error {
		for _, id := range ids {
			var number string
			err := tx.tx.QueryRowContext(tx.ctx, `UPDATE inbound SET read = ? WHERE id = ? AND read <> ? RETURNING number`,
				boolInt(read), id, boolInt(read)).Scan(&number)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("store: mark inbound %d: %w", id, err)
			}
			delta := 1
			if read {
				delta = -1
			}
			if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE conversations SET unread = max(0, unread + ?) WHERE number = ?`, delta, number); err != nil {
				return fmt.Errorf("store: mark inbound %d: %w", id, err)
			}
		}
		return nil
	})
}

// MarkConversationRead marks every message received from number read.
func (s *Store) MarkConversationRead(ctx context.Context, number string) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE inbound SET read = 1 WHERE number = ? AND read = 0`, number); err != nil {
			return fmt.Errorf("store: read conversation %s: %w", number, err)
		}
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE conversations SET unread = 0 WHERE number = ?`, number); err != nil {
			return fmt.Errorf("store: read conversation %s: %w", number, err)
		}
		return nil
	})
}

// Conversation is the thread with one number (SPEC I1, W3).
type Conversation struct {
	Number       string
	Name         string // contact name when known
	LastAt       time.Time
	LastText     string
	LastInbound  bool
	Unread       int
	ContactID    int64
	ContactBlock bool
}

// Conversations lists threads, most recent first, paging with before (the
// LastAt of the last row of the previous page; zero for the first page).
func (s *Store) Conversations(ctx context.Context, before time.Time, limit int) ([]Conversation, error) {
	q := `SELECT c.number, c.last_at, c.last_text, c.last_inbound, c.unread,
		coalesce(k.id, 0), coalesce(trim(k.first_name || ' ' || k.last_name), ''), coalesce(k.blocked, 0)
		FROM conversations c LEFT JOIN contacts k ON k.id = (SELECT id FROM contacts WHERE mobile = c.number ORDER BY account_id LIMIT 1)`
	var args []any
	if !before.IsZero() {
		q += ` WHERE c.last_at < ?`
		args = append(args, ms(before))
	}
	q += ` ORDER BY c.last_at DESC LIMIT ?`
	args = append(args, clampLimit(limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		var c Conversation
		var last int64
		if err := rows.Scan(&c.Number, &last, &c.LastText, &c.LastInbound, &c.Unread, &c.ContactID, &c.Name, &c.ContactBlock); err != nil {
			return nil, fmt.Errorf("store: conversations: %w", err)
		}
		c.LastAt = fromMS(last)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: conversations: %w", err)
	}
	return out, nil
}

// ThreadItem is one message of a conversation, either direction.
type ThreadItem struct {
	Inbound bool
	ID      int64 // inbound id or outbound message id
	At      time.Time
	Text    string
	Status  Status // outbound only
}

// Thread returns the messages exchanged with number, newest first, before
// the given time (zero: now).
func (s *Store) Thread(ctx context.Context, number string, before time.Time, limit int) ([]ThreadItem, error) {
	b := int64(1<<62 - 1)
	if !before.IsZero() {
		b = ms(before)
	}
	l := clampLimit(limit)
	rows, err := s.r.QueryContext(ctx, `SELECT * FROM (
			SELECT 1, id, received_at AS at, text, '' FROM inbound WHERE number = ?1 AND received_at < ?2 ORDER BY received_at DESC LIMIT ?3)
		UNION ALL SELECT * FROM (
			SELECT 0, id, created_at AS at, text, status FROM messages WHERE number = ?1 AND created_at < ?2 ORDER BY created_at DESC LIMIT ?3)
		ORDER BY at DESC LIMIT ?3`, number, b, l)
	if err != nil {
		return nil, fmt.Errorf("store: thread %s: %w", number, err)
	}
	defer rows.Close()
	var out []ThreadItem
	for rows.Next() {
		var it ThreadItem
		var at int64
		if err := rows.Scan(&it.Inbound, &it.ID, &at, &it.Text, &it.Status); err != nil {
			return nil, fmt.Errorf("store: thread %s: %w", number, err)
		}
		it.At = fromMS(at)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: thread %s: %w", number, err)
	}
	return out, nil
}

// InsertReject keeps a PDU that could not be decoded, so it is not lost
// and the modem may delete it (SPEC S7).
func (tx *Tx) InsertReject(modem string, pdu []byte, reason string, at time.Time) error {
	if _, err := tx.exec(`INSERT INTO inbound_rejects (modem, pdu, error, received_at) VALUES (?, ?, ?, ?)`, modem, pdu, reason, ms(at)); err != nil {
		return fmt.Errorf("store: keep undecodable PDU: %w", err)
	}
	return nil
}

// PendingPart is one part of a concatenated inbound message waiting for its
// siblings (SPEC P4).
type PendingPart struct {
	Key        string
	Seq, Total int
	Received   time.Time
	Modem      string
	TPDU       []byte
}

// PutPart stores a pending part (the same key and seq twice keeps the
// first) and returns every part now held for its key, by seq.
func (tx *Tx) PutPart(p PendingPart) ([]PendingPart, error) {
	if _, err := tx.exec(`INSERT INTO inbound_parts (key, seq, total, received_at, modem, tpdu) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.Key, p.Seq, p.Total, ms(p.Received), p.Modem, p.TPDU); err != nil {
		return nil, fmt.Errorf("store: put pending part %s/%d: %w", p.Key, p.Seq, err)
	}
	return tx.PendingParts(p.Key)
}

// PendingParts returns the parts held for key, by seq.
func (tx *Tx) PendingParts(key string) ([]PendingPart, error) {
	rows, err := tx.query(`SELECT key, seq, total, received_at, modem, tpdu FROM inbound_parts WHERE key = ? ORDER BY seq`, key)
	if err != nil {
		return nil, fmt.Errorf("store: pending parts %s: %w", key, err)
	}
	defer rows.Close()
	var out []PendingPart
	for rows.Next() {
		var p PendingPart
		var at int64
		if err := rows.Scan(&p.Key, &p.Seq, &p.Total, &at, &p.Modem, &p.TPDU); err != nil {
			return nil, fmt.Errorf("store: pending parts %s: %w", key, err)
		}
		p.Received = fromMS(at)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending parts %s: %w", key, err)
	}
	return out, nil
}

// DeleteParts forgets the pending parts of key.
func (tx *Tx) DeleteParts(key string) error {
	if _, err := tx.exec(`DELETE FROM inbound_parts WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: delete pending parts %s: %w", key, err)
	}
	return nil
}

// StaleKeys returns the keys whose first part arrived before t.
func (tx *Tx) StaleKeys(before time.Time) ([]string, error) {
	rows, err := tx.query(`SELECT key FROM inbound_parts GROUP BY key HAVING min(received_at) < ? ORDER BY min(received_at)`, ms(before))
	if err != nil {
		return nil, fmt.Errorf("store: stale pending parts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: stale pending parts: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stale pending parts: %w", err)
	}
	return out, nil
}

// OldestPendingPart returns when the oldest waiting part arrived, false when
// none waits (the inbound handler sets its expiry timer from it).
func (s *Store) OldestPendingPart(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(received_at) FROM inbound_parts`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest pending part: %w", err)
	}
	return fromMS(v.Int64), v.Valid, nil
}

// SeenPart records the fingerprint of a part merged into a stored message
// and reports whether it was already recorded (a network duplicate).
func (tx *Tx) SeenPart(key string, at time.Time) (already bool, err error) {
	res, err := tx.exec(`INSERT INTO inbound_seen (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, ms(at))
	if err != nil {
		return false, fmt.Errorf("store: seen part: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: seen part: %w", err)
	}
	return n == 0, nil
}

// IsSeenPart reports whether a part fingerprint is recorded.
func (tx *Tx) IsSeenPart(key string) (bool, error) {
	var one int
	err := tx.queryRow(`SELECT 1 FROM inbound_seen WHERE key = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: seen part: %w", err)
	}
	return true, nil
}

// PurgeSeenParts forgets part fingerprints recorded before t (a network
// redelivers within hours, not weeks).
func (s *Store) PurgeSeenParts(ctx context.Context, before time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM inbound_seen WHERE at < ?`, ms(before)); err != nil {
			return fmt.Errorf("store: purge seen parts: %w", err)
		}
		return nil
	})
}

// StopEntry is one number on the STOP list (SPEC I2, W11).
type StopEntry struct {
	Number    string
	CreatedAt time.Time
	Source    string // sms, ui, api, import
	InboundID int64  // the STOP message, 0 when added by hand
	Note      string
}

// AddStop puts a number on the STOP list; it reports false when it was
// already there (the first entry is kept).
func (tx *Tx) AddStop(e StopEntry) (bool, error) {
	res, err := tx.exec(`INSERT INTO stop_list (number, created_at, source, inbound_id, note) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.Number, ms(e.CreatedAt), e.Source, nullID(e.InboundID), e.Note)
	if err != nil {
		return false, fmt.Errorf("store: add %s to the STOP list: %w", e.Number, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// AddStop is Tx.AddStop in its own transaction.
func (s *Store) AddStop(ctx context.Context, e StopEntry) (bool, error) {
	var added bool
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.AddStop(e)
		return err
	})
	return added, err
}

// RemoveStop takes a number off the STOP list; it reports false when it was
// not there.
func (tx *Tx) RemoveStop(number string) (bool, error) {
	res, err := tx.exec(`DELETE FROM stop_list WHERE number = ?`, number)
	if err != nil {
		return false, fmt.Errorf("store: remove %s from the STOP list: %w", number, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RemoveStop is Tx.RemoveStop in its own transaction.
func (s *Store) RemoveStop(ctx context.Context, number string) (bool, error) {
	var removed bool
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		removed, err = tx.RemoveStop(number)
		return err
	})
	return removed, err
}

// StoppedAmong returns which of numbers are on the STOP list.
func (tx *Tx) StoppedAmong(numbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(numbers); start += inChunk {
		chunk := numbers[start:min(start+inChunk, len(numbers))]
		args := make([]any, len(chunk))
		for i, n := range chunk {
			args[i] = n
		}
		rows, err := tx.query(inQuery(qStoppedAmong, len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("store: STOP list: %w", err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: STOP list: %w", err)
			}
			out[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: STOP list: %w", err)
		}
	}
	return out, nil
}

// IsStopped reports whether number is on the STOP list.
func (tx *Tx) IsStopped(number string) (bool, error) {
	var one int
	err := tx.queryRow(qStopped, number).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: STOP list: %w", err)
	}
	return true, nil
}

// StopList returns the STOP list, newest first, paging with before.
func (s *Store) StopList(ctx context.Context, before time.Time, limit int) ([]StopEntry, error) {
	q := `SELECT number, created_at, source, coalesce(inbound_id, 0), note FROM stop_list`
	var args []any
	if !before.IsZero() {
		q += ` WHERE created_at < ?`
		args = append(args, ms(before))
	}
	q += ` ORDER BY created_at DESC LIMIT ?`
	args = append(args, clampLimit(limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: STOP list: %w", err)
	}
	defer rows.Close()
	var out []StopEntry
	for rows.Next() {
		var e StopEntry
		var at int64
		if err := rows.Scan(&e.Number, &at, &e.Source, &e.InboundID, &e.Note); err != nil {
			return nil, fmt.Errorf("store: STOP list: %w", err)
		}
		e.CreatedAt = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: STOP list: %w", err)
	}
	return out, nil
}

// StopQueued stops every waiting message to number (it just joined the
// STOP list, SPEC Q7) and returns their ids; their credits are refunded.
func (tx *Tx) StopQueued(number string, now time.Time) ([]int64, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id FROM messages INDEXED BY messages_number WHERE number = ? AND status IN ('scheduled', 'queued', 'retry', 'paused')`, number)
	if err != nil {
		return nil, fmt.Errorf("store: stop messages to %s: %w", number, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stop messages to %s: %w", number, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stop messages to %s: %w", number, err)
	}
	for _, id := range ids {
		if err := tx.finishMessage(id, StatusStopped, "number on the STOP list", now, true); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// Call is one incoming call (SPEC M7, W12).
type Call struct {
	ID      int64
	Number  string // "" when withheld
	Modem   string
	At      time.Time
	HungUp  bool
	Replied int64 // the SMS answer sent, 0 none
}

// InsertCall records an incoming call.
func (s *Store) InsertCall(ctx context.Context, c Call) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO calls (number, modem, at, hung_up, replied) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			c.Number, c.Modem, ms(c.At), boolInt(c.HungUp), nullID(c.Replied)).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: insert call from %q: %w", c.Number, err)
		}
		return nil
	})
	return id, err
}

// SetCallReply records the SMS sent in answer to call id.
func (s *Store) SetCallReply(ctx context.Context, id, messageID int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE calls SET replied = ? WHERE id = ?`, messageID, id)
		if err != nil {
			return fmt.Errorf("store: call %d reply: %w", id, err)
		}
		return affected(res, fmt.Sprintf("call %d reply", id))
	})
}

// Calls lists calls, newest first, paging with beforeID.
func (s *Store) Calls(ctx context.Context, number string, beforeID int64, limit int) ([]Call, error) {
	q := `SELECT id, number, modem, at, hung_up, coalesce(replied, 0) FROM calls WHERE 1`
	var args []any
	if number != "" {
		q += ` AND number = ?`
		args = append(args, number)
	}
	if beforeID > 0 {
		q += ` AND id < ?`
		args = append(args, beforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, clampLimit(limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		var c Call
		var at int64
		if err := rows.Scan(&c.ID, &c.Number, &c.Modem, &at, &c.HungUp, &c.Replied); err != nil {
			return nil, fmt.Errorf("store: calls: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: calls: %w", err)
	}
	return out, nil
}
