package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is the state of an outbound message (SPEC Q10). The sMsmode status
// codes are derived from it by the API layer.
type Status string

// Message statuses. A message moves scheduled -> queued -> sending -> sent
// -> delivered | failed | expired; retry and paused are waiting rooms beside
// queued; unknown means a part may or may not have left (crash or timeout
// during +CMGS) and is never resent automatically (SPEC Q6).
const (
	StatusScheduled Status = "scheduled" // waiting for its time (SPEC Q3)
	StatusQueued    Status = "queued"    // due, waiting for a modem
	StatusRetry     Status = "retry"     // waiting out a backoff after a temporary error
	StatusPaused    Status = "paused"    // its campaign is paused
	StatusSending   Status = "sending"   // a part is being handed to a modem
	StatusSent      Status = "sent"      // every part accepted by the network (MRs known)
	StatusDelivered Status = "delivered" // status reports say every part reached the phone
	StatusFailed    Status = "failed"    // permanent error; Reason says why
	StatusExpired   Status = "expired"   // the SMSC gave up (validity period)
	StatusUnknown   Status = "unknown"   // a part may have been sent; a person decides
	StatusCancelled Status = "cancelled" // cancelled before it went
	StatusStopped   Status = "stopped"   // the number joined the STOP list before it went
)

// Final reports whether s is a final state (nothing more will happen
// without a person).
func (s Status) Final() bool {
	switch s {
	case StatusDelivered, StatusFailed, StatusExpired, StatusUnknown, StatusCancelled, StatusStopped:
		return true
	}
	return false
}

// Waiting reports whether a message in state s has not been handed to any
// modem yet and can still be edited or cancelled.
func (s Status) Waiting() bool {
	switch s {
	case StatusScheduled, StatusQueued, StatusRetry, StatusPaused:
		return true
	}
	return false
}

// PartStatus is the state of one SMS-SUBMIT part.
type PartStatus string

// Part statuses. "sending" is committed before +CMGS and "sent" with the MR
// after it (SPEC Q6).
const (
	PartPending   PartStatus = "pending"
	PartSending   PartStatus = "sending"
	PartSent      PartStatus = "sent"
	PartUnknown   PartStatus = "unknown"
	PartFailed    PartStatus = "failed"
	PartCancelled PartStatus = "cancelled"
)

// Delivery outcomes of a part, from its status report (TS 23.040 §9.2.3.15).
const (
	DeliveryNone      = ""
	DeliveryPending   = "pending" // SC still trying
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryExpired   = "expired"
)

// Channels (SPEC Q4): notifications go before marketing.
const (
	ChannelNotification = 0
	ChannelMarketing    = 1
)

// Message is one outbound SMS to one recipient.
type Message struct {
	ID          int64
	AccountID   int64
	CampaignID  int64 // 0: none
	RecurringID int64 // 0: none
	ContactID   int64 // 0: none
	Number      string
	Channel     int
	Text        string
	TextHash    int64
	Encoding    string
	Parts       int
	Flash       bool
	Validity    time.Duration
	Status      Status
	Reason      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ScheduledAt time.Time // zero: immediate
	NextAttempt time.Time // informative while in retry
	Attempts    int
	PinModem    string // requested modem, "" any
	Modem       string // modem the parts went through
	SentAt      time.Time
	DoneAt      time.Time
	RefClient   string
	Source      string
	// IgnoreStop sends the message even though its number is on the STOP
	// list: only the confirmation of a STOP request (SPEC I2) does this.
	IgnoreStop bool
}

// Part is one SMS-SUBMIT TPDU of a message.
type Part struct {
	MessageID   int64
	Seq         int
	TPDU        []byte
	Status      PartStatus
	MR          int // -1 until sent
	Modem       string
	SentAt      time.Time
	Error       string
	Delivery    string
	TPStatus    int // -1 until a status report arrives
	DeliveredAt time.Time
}

const messageColumns = `id, account_id, campaign_id, recurring_id, contact_id, number, channel, text, text_hash,
	encoding, parts, flash, validity_s, status, reason, created_at, updated_at, scheduled_at, next_attempt,
	attempts, pin_modem, modem, sent_at, done_at, ref_client, source, ignore_stop`

type scanner interface{ Scan(...any) error }

func scanMessage(sc scanner) (Message, error) {
	var m Message
	var campaign, recurring, contact sql.NullInt64
	var validity int64
	var created, updated, scheduled, next, sent, done int64
	err := sc.Scan(&m.ID, &m.AccountID, &campaign, &recurring, &contact, &m.Number, &m.Channel, &m.Text, &m.TextHash,
		&m.Encoding, &m.Parts, &m.Flash, &validity, &m.Status, &m.Reason, &created, &updated, &scheduled, &next,
		&m.Attempts, &m.PinModem, &m.Modem, &sent, &done, &m.RefClient, &m.Source, &m.IgnoreStop)
	m.CampaignID, m.RecurringID, m.ContactID = campaign.Int64, recurring.Int64, contact.Int64
	m.Validity = time.Duration(validity) * time.Second
	m.CreatedAt, m.UpdatedAt, m.ScheduledAt = fromMS(created), fromMS(updated), fromMS(scheduled)
	m.NextAttempt, m.SentAt, m.DoneAt = fromMS(next), fromMS(sent), fromMS(done)
	return m, err
}

const partColumns = `message_id, seq, tpdu, status, mr, modem, sent_at, error, delivery, tp_status, delivered_at`

func scanPart(sc scanner) (Part, error) {
	var p Part
	var mr, tpst sql.NullInt64
	var sent, delivered int64
	err := sc.Scan(&p.MessageID, &p.Seq, &p.TPDU, &p.Status, &mr, &p.Modem, &sent, &p.Error, &p.Delivery, &tpst, &delivered)
	p.MR, p.TPStatus = -1, -1
	if mr.Valid {
		p.MR = int(mr.Int64)
	}
	if tpst.Valid {
		p.TPStatus = int(tpst.Int64)
	}
	p.SentAt, p.DeliveredAt = fromMS(sent), fromMS(delivered)
	return p, err
}

// nullID stores 0 as NULL for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// messageInsertColumns are the columns InsertMessages writes, id first.
const messageInsertColumns = `id, account_id, campaign_id, recurring_id, contact_id, number, channel, text, text_hash,
	encoding, parts, flash, validity_s, status, reason, created_at, updated_at, scheduled_at, pin_modem, ref_client, source, ignore_stop,
	send_id`

const messageInsertArity = 23

// Rows per multi-row INSERT. One statement per batch matters beyond
// parsing: the full-text index flushes its pending terms at the end of
// every statement, so row-by-row inserts write one tiny FTS segment each.
const (
	messageBatch = 200  // 200*23 parameters
	partBatch    = 1000 // 1000*3 parameters
)

var (
	qInsertMessages = insertValues(`INSERT INTO messages (`+messageInsertColumns+`) VALUES `, messageInsertArity, messageBatch)
	qInsertParts    = insertValues(`INSERT INTO parts (message_id, seq, tpdu) VALUES `, 3, partBatch)
	qInsertMessage  = insertValues(`INSERT INTO messages (`+messageInsertColumns+`) VALUES `, messageInsertArity, 1)
	qInsertPart     = insertValues(`INSERT INTO parts (message_id, seq, tpdu) VALUES `, 3, 1)
)

// insertValues builds a multi-row INSERT of rows rows of arity columns.
func insertValues(head string, arity, rows int) string {
	row := "(" + placeholders(arity) + ")"
	var b strings.Builder
	b.WriteString(head)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// qMaxMessageID is the highest id used, counting the full-text watermark:
// an id at or below it must never be given again (its text may be in the
// index).
const qMaxMessageID = `SELECT max(coalesce((SELECT max(id) FROM messages), 0),
	coalesce((SELECT value FROM counters WHERE name = 'fts_messages'), 0))`

const (
	qFTSWatermark    = `SELECT coalesce((SELECT value FROM counters WHERE name = 'fts_messages'), 0), coalesce((SELECT max(id) FROM messages), 0)`
	qFTSIndex        = `INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > ? AND id <= ? ORDER BY id`
	qFTSSetWatermark = `INSERT INTO counters (name, value) VALUES ('fts_messages', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

// indexText adds to the full-text index up to max messages above the
// watermark (all when max <= 0) and reports how many it added and whether
// more wait.
func (tx *Tx) indexText(max int64) (int64, bool, error) {
	var wm, top int64
	if err := tx.queryRow(qFTSWatermark).Scan(&wm, &top); err != nil {
		return 0, false, fmt.Errorf("store: full-text index: %w", err)
	}
	if top <= wm {
		return 0, false, nil
	}
	upto := top
	if max > 0 && top-wm > max {
		upto = wm + max
	}
	if _, err := tx.exec(qFTSIndex, wm, upto); err != nil {
		return 0, false, fmt.Errorf("store: full-text index: %w", err)
	}
	if _, err := tx.exec(qFTSSetWatermark, upto); err != nil {
		return 0, false, fmt.Errorf("store: full-text index: %w", err)
	}
	return upto - wm, upto < top, nil
}

// IndexText adds up to max outbound texts (all when max <= 0) to the
// full-text index, and reports how many it added and whether more wait.
// Inserts do not index: one statement indexing thousands of rows costs far
// less than rows indexed one by one, and it keeps a 100 000-message
// campaign's enqueue short. The dispatcher calls it in small steps when it
// has nothing better to do; a search calls it first, so results are
// always complete.
func (s *Store) IndexText(ctx context.Context, max int64) (int64, bool, error) {
	var wm, top int64
	if err := s.r.QueryRowContext(ctx, qFTSWatermark).Scan(&wm, &top); err != nil {
		return 0, false, fmt.Errorf("store: full-text index: %w", err)
	}
	if top <= wm {
		return 0, false, nil
	}
	var n int64
	var more bool
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		n, more, err = tx.indexText(max)
		return err
	})
	return n, more, err
}

// NewMessage is a message to insert with its encoded parts.
type NewMessage struct {
	Message Message // ID, UpdatedAt and delivery fields are ignored
	TPDUs   [][]byte
	// SendID links the message to its API send (sends.id, 0: none) in
	// the INSERT itself, rather than by an UPDATE per message afterwards.
	SendID int64
}

// InsertMessage stores m with its encoded parts (numbered from 1) and
// returns the new id.
func (tx *Tx) InsertMessage(m *Message, tpdus [][]byte) (int64, error) {
	ids, err := tx.InsertMessages([]NewMessage{{Message: *m, TPDUs: tpdus}})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// InsertMessages stores messages with their parts, in multi-row
// statements, and returns their ids in order. Ids are assigned here (the
// transaction holds the only writer), so they are known without one
// statement per row.
func (tx *Tx) InsertMessages(batch []NewMessage) ([]int64, error) {
	if tx.sh.nextMessageID == 0 {
		var top int64
		if err := tx.queryRow(qMaxMessageID).Scan(&top); err != nil {
			return nil, fmt.Errorf("store: insert messages: %w", err)
		}
		tx.sh.nextMessageID = top + 1
	}
	last := tx.sh.nextMessageID - 1
	// The ids are reserved before the statements run: one that fails
	// leaves a gap, never an id given twice.
	tx.sh.nextMessageID += int64(len(batch))
	ids := make([]int64, len(batch))
	args := make([]any, 0, min(len(batch), messageBatch)*messageInsertArity)
	var parts []any
	nparts := 0
	flushParts := func(final bool) error {
		for nparts >= partBatch || (final && nparts > 0) {
			n := min(nparts, partBatch)
			q := qInsertParts
			switch {
			case n == 1:
				q = qInsertPart
			case n < partBatch:
				q = insertValues(`INSERT INTO parts (message_id, seq, tpdu) VALUES `, 3, n)
			}
			if _, err := tx.exec(q, parts[:3*n]...); err != nil {
				return fmt.Errorf("store: insert parts: %w", err)
			}
			parts = parts[3*n:]
			nparts -= n
		}
		return nil
	}
	for start := 0; start < len(batch); start += messageBatch {
		rows := batch[start:min(start+messageBatch, len(batch))]
		args = args[:0]
		for i := range rows {
			nm := &rows[i]
			m := &nm.Message
			if len(nm.TPDUs) == 0 {
				return nil, fmt.Errorf("store: insert message to %s: no parts", m.Number)
			}
			id := last + int64(start+i) + 1
			ids[start+i] = id
			args = append(args, id, m.AccountID, nullID(m.CampaignID), nullID(m.RecurringID), nullID(m.ContactID),
				// int64, not int: database/sql converts other integer
				// types by reflection, 100 000 times per campaign.
				m.Number, int64(m.Channel), m.Text, m.TextHash, m.Encoding, int64(len(nm.TPDUs)), int64(boolInt(m.Flash)),
				int64(m.Validity/time.Second), string(m.Status), m.Reason, ms(m.CreatedAt), ms(m.CreatedAt), ms(m.ScheduledAt),
				m.PinModem, m.RefClient, m.Source, int64(boolInt(m.IgnoreStop)), nullID(nm.SendID))
			for seq, t := range nm.TPDUs {
				parts = append(parts, id, int64(seq+1), t)
				nparts++
			}
		}
		q := qInsertMessages
		switch len(rows) {
		case 1:
			q = qInsertMessage
		case messageBatch:
		default:
			q = insertValues(`INSERT INTO messages (`+messageInsertColumns+`) VALUES `, messageInsertArity, len(rows))
		}
		if _, err := tx.exec(q, args...); err != nil {
			return nil, fmt.Errorf("store: insert messages: %w", err)
		}
		if err := flushParts(false); err != nil {
			return nil, err
		}
	}
	if err := flushParts(true); err != nil {
		return nil, err
	}
	return ids, nil
}

// Message returns the message id.
func (s *Store) Message(ctx context.Context, id int64) (Message, error) {
	return message(ctx, s.r, id)
}

// Message returns the message id, read inside the transaction.
func (tx *Tx) Message(id int64) (Message, error) {
	m, err := scanMessage(tx.queryRow(qMessage, id))
	return messageErr(m, err, id)
}

const qMessage = `SELECT ` + messageColumns + ` FROM messages WHERE id = ?`

func message(ctx context.Context, q querier, id int64) (Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, qMessage, id))
	return messageErr(m, err, id)
}

// messageErr wraps the error of reading message id.
func messageErr(m Message, err error, id int64) (Message, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("store: message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("store: message %d: %w", id, err)
	}
	return m, nil
}

// Parts returns the parts of message id, in order.
func (s *Store) Parts(ctx context.Context, id int64) ([]Part, error) {
	return parts(ctx, s.r, id)
}

// Parts returns the parts of message id, in order, inside the transaction.
func (tx *Tx) Parts(id int64) ([]Part, error) {
	return parts(tx.ctx, tx.tx, id)
}

func parts(ctx context.Context, q querier, id int64) ([]Part, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+partColumns+` FROM parts WHERE message_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: parts of message %d: %w", id, err)
	}
	defer rows.Close()
	var ps []Part
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, fmt.Errorf("store: parts of message %d: %w", id, err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: parts of message %d: %w", id, err)
	}
	return ps, nil
}

// MessageFilter selects outbound messages for lists (UI W5, W8, API, CLI).
// Zero fields do not filter.
type MessageFilter struct {
	AccountID  int64
	CampaignID int64
	Statuses   []Status
	// Number keeps messages whose number starts with it ("+3361" or a
	// whole E.164 number).
	Number string
	// Search is a full-text query on the text (words, "prefix*"); accents
	// and case are ignored.
	Search string
	From   time.Time // created at or after
	To     time.Time // created before
	// BeforeID pages backwards: only ids lower than it (0: from the newest;
	// with From or To, pages follow creation time, which ids follow).
	BeforeID int64
	Limit    int // default 50, at most 1000
}

// Messages returns the messages matching f, newest first.
//
// Plans, for 1 000 000 rows: the newest first by id; with a date range,
// by creation time through its index; with a search, driven by the
// full-text index in descending rowid order, so a common word stops after
// the first page instead of collecting every match.
func (s *Store) Messages(ctx context.Context, f MessageFilter) ([]Message, error) {
	var l listQuery
	from := `messages m`
	order := `m.id DESC`
	if f.Search != "" {
		if _, _, err := s.IndexText(ctx, 0); err != nil {
			return nil, err
		}
		from = `messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid`
		order = `messages_fts.rowid DESC`
		l.add(`messages_fts MATCH ?`, ftsQuery(f.Search))
	} else if !f.From.IsZero() || !f.To.IsZero() {
		order = `m.created_at DESC, m.id DESC`
	}
	if f.AccountID != 0 {
		l.add(`m.account_id = ?`, f.AccountID)
	}
	if f.CampaignID != 0 {
		l.add(`m.campaign_id = ?`, f.CampaignID)
	}
	if len(f.Statuses) > 0 {
		var sts []any
		for _, st := range f.Statuses {
			sts = append(sts, string(st))
		}
		l.add(`m.status IN (`+placeholders(len(f.Statuses))+`)`, sts...)
	}
	l.prefix(`m.number`, f.Number)
	l.between(`m.created_at`, f.From, f.To)
	if f.BeforeID > 0 {
		if f.Search != "" {
			l.add(`messages_fts.rowid < ?`, f.BeforeID)
		} else {
			l.add(`m.id < ?`, f.BeforeID)
		}
	}
	q, args := l.sql(prefixed("m.", messageColumns), from, order, f.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	return scanRows(rows, scanMessage, "list messages")
}

// CountMessages counts messages by status, for dashboards and queue depth.
func (s *Store) CountMessages(ctx context.Context, accountID int64, since time.Time) (map[Status]int, error) {
	q := `SELECT status, count(*) FROM messages WHERE created_at >= ?`
	args := []any{ms(since)}
	if accountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, accountID)
	}
	q += ` GROUP BY status`
	return countByStatus(ctx, s.r, q, args...)
}

// QueueDepth counts the messages not handed to a modem yet, by status
// (scheduled, queued, retry, paused).
func (s *Store) QueueDepth(ctx context.Context) (map[Status]int, error) {
	return countByStatus(ctx, s.r, `SELECT status, count(*) FROM messages WHERE status IN ('scheduled', 'queued', 'retry', 'paused', 'sending') GROUP BY status`)
}

func countByStatus(ctx context.Context, q querier, query string, args ...any) (map[Status]int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count messages: %w", err)
	}
	defer rows.Close()
	out := map[Status]int{}
	for rows.Next() {
		var st Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count messages: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count messages: %w", err)
	}
	return out, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// ftsQuery turns what a user typed into an FTS5 query: each word becomes a
// quoted prefix term, so punctuation and FTS operators in the input are
// inert (a quote inside a word is doubled).
func ftsQuery(s string) string {
	var terms []string
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, `"*`)
		if w == "" {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	if len(terms) == 0 {
		return `""`
	}
	return strings.Join(terms, " ")
}

// JournalEntry is one line of the status history of messages and campaigns
// (SPEC Q9, Q10).
type JournalEntry struct {
	ID         int64
	At         time.Time
	AccountID  int64
	CampaignID int64
	MessageID  int64
	Event      string
	Detail     string
}

const qJournal = `INSERT INTO journal (at, account_id, campaign_id, message_id, event, detail) VALUES (?, ?, ?, ?, ?, ?)`

// Journal appends an entry to the history.
func (tx *Tx) Journal(e JournalEntry) error {
	_, err := tx.exec(qJournal, ms(e.At), nullID(e.AccountID), nullID(e.CampaignID), nullID(e.MessageID), e.Event, e.Detail)
	if err != nil {
		return fmt.Errorf("store: journal %s: %w", e.Event, err)
	}
	return nil
}

// JournalFilter selects journal entries; zero fields do not filter.
type JournalFilter struct {
	MessageID  int64
	CampaignID int64
	From, To   time.Time
	Limit      int
}

// Journal returns history entries matching f, oldest first.
func (s *Store) Journal(ctx context.Context, f JournalFilter) ([]JournalEntry, error) {
	var where []string
	var args []any
	if f.MessageID != 0 {
		where = append(where, `message_id = ?`)
		args = append(args, f.MessageID)
	}
	if f.CampaignID != 0 {
		where = append(where, `campaign_id = ?`)
		args = append(args, f.CampaignID)
	}
	if !f.From.IsZero() {
		where = append(where, `at >= ?`)
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `at < ?`)
		args = append(args, ms(f.To))
	}
	q := `SELECT id, at, coalesce(account_id, 0), coalesce(campaign_id, 0), coalesce(message_id, 0), event, detail FROM journal`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY at, id LIMIT ?`
	args = append(args, clampLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: journal: %w", err)
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.AccountID, &e.CampaignID, &e.MessageID, &e.Event, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: journal: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: journal: %w", err)
	}
	return out, nil
}

// RecentTextHashes returns, for each of numbers, the text hashes of the
// messages created for it since since (cancelled, stopped and failed ones
// do not count): the duplicate guard (SPEC Q7, SMStoB code 91).
func (tx *Tx) RecentTextHashes(numbers []string, since time.Time) (map[string][]int64, error) {
	out := map[string][]int64{}
	for start := 0; start < len(numbers); start += inChunk {
		chunk := numbers[start:min(start+inChunk, len(numbers))]
		args := make([]any, 0, len(chunk)+1)
		for _, n := range chunk {
			args = append(args, n)
		}
		args = append(args, ms(since))
		rows, err := tx.query(inQuery(qRecentHashesIn, len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("store: duplicate guard: %w", err)
		}
		for rows.Next() {
			var num string
			var h int64
			if err := rows.Scan(&num, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: duplicate guard: %w", err)
			}
			out[num] = append(out[num], h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: duplicate guard: %w", err)
		}
	}
	return out, nil
}

// CancelMessage cancels a message that has not been handed to a modem yet
// (its credits are refunded). It fails with ErrConflict otherwise.
func (s *Store) CancelMessage(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		if !m.Status.Waiting() {
			return fmt.Errorf("store: cancel message %d: it is %s: %w", id, m.Status, ErrConflict)
		}
		return tx.finishMessage(id, StatusCancelled, "cancelled", now, true)
	})
}

// RetryMessage sends again, on a person's decision, a message that failed,
// expired, was cancelled or is unknown: its parts that did not reach the
// network (and, for an unknown message, the uncertain ones) go back to
// pending and the message to the queue. Parts already sent are not resent.
func (s *Store) RetryMessage(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		switch m.Status {
		case StatusFailed, StatusExpired, StatusCancelled, StatusUnknown, StatusStopped:
		default:
			return fmt.Errorf("store: retry message %d: it is %s: %w", id, m.Status, ErrConflict)
		}
		parts := `'failed', 'cancelled', 'unknown'`
		if m.Status == StatusExpired || (m.Status == StatusFailed && m.SentAt.After(time.Time{}) && m.Modem != "") {
			// The network took every part but did not deliver: send
			// the whole message again.
			parts = `'failed', 'cancelled', 'unknown', 'sent'`
		}
		res, err := tx.exec(`UPDATE parts SET status = 'pending', error = '', mr = NULL, delivery = '', tp_status = NULL, delivered_at = 0, sent_at = 0
			WHERE message_id = ? AND status IN (`+parts+`)`, id)
		if err != nil {
			return fmt.Errorf("store: retry message %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: retry message %d: no part left to send: %w", id, ErrConflict)
		}
		modem := m.Modem
		var sent int
		if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM parts WHERE message_id = ? AND status = 'sent'`, id).Scan(&sent); err != nil {
			return fmt.Errorf("store: retry message %d: %w", id, err)
		}
		if sent == 0 {
			modem = ""
		}
		if _, err := tx.exec(`UPDATE messages SET status = 'queued', reason = '', modem = ?, done_at = 0, updated_at = ? WHERE id = ?`, modem, ms(now), id); err != nil {
			return fmt.Errorf("store: retry message %d: %w", id, err)
		}
		return tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id, Event: "retry", Detail: "requeued by hand from " + string(m.Status)})
	})
}

// MessageEdit is a change to a waiting message (SPEC Q3).
type MessageEdit struct {
	Text     string // new text with its encoding facts and TPDUs; "" keeps the text
	TextHash int64
	Encoding string
	TPDUs    [][]byte
	// ScheduledAt, when not nil, is the new send time (zero: now).
	ScheduledAt *time.Time
	Now         time.Time
}

// EditMessage changes the text and/or time of a message that has not been
// handed to a modem yet. Credits follow a change in the number of parts
// (ErrInsufficientCredits when the account lacks them).
func (s *Store) EditMessage(ctx context.Context, id int64, e MessageEdit) (Message, error) {
	var out Message
	err := s.Write(ctx, func(tx *Tx) error {
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		if !m.Status.Waiting() {
			return fmt.Errorf("store: edit message %d: it is %s: %w", id, m.Status, ErrConflict)
		}
		if e.Text != "" {
			if delta := int64(len(e.TPDUs) - m.Parts); delta > 0 {
				if _, err := tx.ChargeCredits(m.AccountID, delta); err != nil {
					return err
				}
			} else if delta < 0 {
				if err := tx.AddCredits(m.AccountID, -delta); err != nil {
					return err
				}
			}
			if _, err := tx.exec(`DELETE FROM parts WHERE message_id = ?`, id); err != nil {
				return fmt.Errorf("store: edit message %d: %w", id, err)
			}
			for i, t := range e.TPDUs {
				if _, err := tx.exec(qInsertPart, id, i+1, t); err != nil {
					return fmt.Errorf("store: edit message %d: %w", id, err)
				}
			}
			if _, err := tx.exec(`UPDATE messages SET text = ?, text_hash = ?, encoding = ?, parts = ?, updated_at = ? WHERE id = ?`,
				e.Text, e.TextHash, e.Encoding, len(e.TPDUs), ms(e.Now), id); err != nil {
				return fmt.Errorf("store: edit message %d: %w", id, err)
			}
		}
		if e.ScheduledAt != nil && m.Status != StatusPaused {
			at := *e.ScheduledAt
			st := StatusQueued
			if at.After(e.Now) {
				st = StatusScheduled
			}
			if _, err := tx.exec(`UPDATE messages SET scheduled_at = ?, status = ?, updated_at = ? WHERE id = ?`, ms(at), string(st), ms(e.Now), id); err != nil {
				return fmt.Errorf("store: edit message %d: %w", id, err)
			}
		}
		if err := tx.Journal(JournalEntry{At: e.Now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id, Event: "edited"}); err != nil {
			return err
		}
		out, err = tx.Message(id)
		return err
	})
	return out, err
}
