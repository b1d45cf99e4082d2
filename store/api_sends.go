package store

// SQL of the HTTP API layer (package ui) about send requests: one row of
// the sends table per API request, whose public id is the sMsmode smsID /
// campagneID, and the notification URLs that belong to the request.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Send is one send request made through an API (SPEC A1-A5): the messages
// it created point to it.
type Send struct {
	ID        int64
	AccountID int64
	// PublicID is the id API clients see (sMsmode smsID): 12 base62
	// characters that cannot be guessed (see NewPublicID).
	PublicID  string
	API       string // native, smsmode, url2sms, smstob, kannel
	RefClient string
	NotifyURL string // sMsmode notification_url: delivery reports
	ReplyURL  string // sMsmode notification_url_reponse: replies
	DLRURL    string // Kannel dlr-url template
	DLRMask   int    // Kannel dlr-mask
	// Rejected are the recipients refused at submission, so that they are
	// reported (sMsmode compteRendu 3998/3999), never silently dropped.
	Rejected  []SendRejection
	CreatedAt time.Time
}

// SendRejection is one refused recipient of a send.
type SendRejection struct {
	Number string `json:"number"` // as given, or E.164 when it was valid
	Reason string `json:"reason"` // queue.Reason
}

const sendColumns = `id, account_id, public_id, api, ref_client, notify_url, reply_url, dlr_url, dlr_mask, rejected, created_at`

func scanSend(sc scanner) (Send, error) {
	var s Send
	var rejected string
	var created int64
	err := sc.Scan(&s.ID, &s.AccountID, &s.PublicID, &s.API, &s.RefClient, &s.NotifyURL, &s.ReplyURL, &s.DLRURL, &s.DLRMask, &rejected, &created)
	if err != nil {
		return s, err
	}
	s.CreatedAt = fromMS(created)
	if rejected != "" && rejected != "[]" {
		if err := json.Unmarshal([]byte(rejected), &s.Rejected); err != nil {
			return s, fmt.Errorf("rejections of send %d: %w", s.ID, err)
		}
	}
	return s, nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// publicIDEpoch starts the time part of public ids.
var publicIDEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// NewPublicID returns a 12-character base62 id for a send made at now: 5
// characters of seconds since 2024 (so ids sort by time and land at the
// end of the unique index instead of splitting pages all over it), then 7
// random characters (41 bits: unguessable, and collisions within one
// second negligible; InsertSend retries one anyway).
func NewPublicID(now time.Time) (string, error) {
	var b [12]byte
	secs := max(now.Sub(publicIDEpoch)/time.Second, 0)
	for i := 4; i >= 0; i-- {
		b[i] = base62[secs%62]
		secs /= 62
	}
	var r [7]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("store: random id: %w", err)
	}
	for i, c := range r {
		// 256 % 62 = 8: the first 8 symbols are very slightly more
		// likely, which costs a fraction of a bit.
		b[5+i] = base62[int(c)%len(base62)]
	}
	return string(b[:]), nil
}

// InsertSend stores s (PublicID generated when empty) and returns it with
// its ID and PublicID set.
func (tx *Tx) InsertSend(s Send) (Send, error) {
	rej := []byte("[]")
	if len(s.Rejected) > 0 {
		var err error
		if rej, err = json.Marshal(s.Rejected); err != nil {
			return s, fmt.Errorf("store: insert send: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		if s.PublicID == "" || attempt > 0 {
			id, err := NewPublicID(s.CreatedAt)
			if err != nil {
				return s, err
			}
			s.PublicID = id
		}
		res, err := tx.exec(qInsertSend, s.AccountID, s.PublicID, s.API, s.RefClient, s.NotifyURL, s.ReplyURL, s.DLRURL,
			s.DLRMask, string(rej), ms(s.CreatedAt))
		if isUnique(err) && attempt < 3 {
			continue
		}
		if err == nil {
			s.ID, err = res.LastInsertId()
		}
		if err != nil {
			return s, fmt.Errorf("store: insert send: %w", err)
		}
		return s, nil
	}
}

const qInsertSend = `INSERT INTO sends (account_id, public_id, api, ref_client, notify_url, reply_url, dlr_url, dlr_mask, rejected, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const qLinkSend = `UPDATE messages SET send_id = ? WHERE id = ?`

// The statements of every API send join the statements prepared once at
// Open (hot.go): parsing them per request cost as much as the rest of
// the enqueue transaction.
func init() {
	hotStatements = append(hotStatements, qInsertSend, qLinkSend)
}

// SetSendRejected records the recipients refused at submission of send
// id: the API layer inserts the send before its messages (so that they
// carry its id) and learns the refusals after.
func (tx *Tx) SetSendRejected(id int64, rejected []SendRejection) error {
	rej := []byte("[]")
	if len(rejected) > 0 {
		var err error
		if rej, err = json.Marshal(rejected); err != nil {
			return fmt.Errorf("store: rejections of send %d: %w", id, err)
		}
	}
	res, err := tx.exec(`UPDATE sends SET rejected = ? WHERE id = ?`, string(rej), id)
	if err != nil {
		return fmt.Errorf("store: rejections of send %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("rejections of send %d", id))
}

// LinkSend attaches messages to send sendID.
func (tx *Tx) LinkSend(sendID int64, messageIDs []int64) error {
	for _, id := range messageIDs {
		if _, err := tx.exec(qLinkSend, sendID, id); err != nil {
			return fmt.Errorf("store: link message %d to send %d: %w", id, sendID, err)
		}
	}
	return nil
}

// SendByPublicID returns the send publicID of accountID (0: any account).
func (s *Store) SendByPublicID(ctx context.Context, accountID int64, publicID string) (Send, error) {
	sd, err := scanSend(s.r.QueryRowContext(ctx, `SELECT `+sendColumns+` FROM sends WHERE public_id = ? AND (? = 0 OR account_id = ?)`,
		publicID, accountID, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return sd, fmt.Errorf("store: send %q: %w", publicID, ErrNotFound)
	}
	if err != nil {
		return sd, fmt.Errorf("store: send %q: %w", publicID, err)
	}
	return sd, nil
}

// SendByID returns send id.
func (s *Store) SendByID(ctx context.Context, id int64) (Send, error) {
	sd, err := scanSend(s.r.QueryRowContext(ctx, `SELECT `+sendColumns+` FROM sends WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sd, fmt.Errorf("store: send %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return sd, fmt.Errorf("store: send %d: %w", id, err)
	}
	return sd, nil
}

// SendOf returns the send message id belongs to, ErrNotFound when none.
func (s *Store) SendOf(ctx context.Context, messageID int64) (Send, error) {
	sd, err := scanSend(s.r.QueryRowContext(ctx, `SELECT `+prefixed("s.", sendColumns)+` FROM sends s JOIN messages m ON m.send_id = s.id WHERE m.id = ?`, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return sd, fmt.Errorf("store: send of message %d: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return sd, fmt.Errorf("store: send of message %d: %w", messageID, err)
	}
	return sd, nil
}

// prefixed qualifies the plain column names of a comma-separated column
// list with p ("m."); expressions are left as they are.
func prefixed(p, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if strings.Trim(f, "abcdefghijklmnopqrstuvwxyz_") == "" {
			f = p + f
		}
		fields[i] = f
	}
	return strings.Join(fields, ", ")
}

// SendRecipient is one message of a send with what its parts' status
// reports say, for the sMsmode status codes.
type SendRecipient struct {
	Message Message
	// ReportPending: a status report said the SC is still trying (TS
	// 23.040 §9.2.3.15, TP-ST 0x20-0x3F).
	ReportPending bool
	// ReportFailed: a status report said a part was not delivered.
	ReportFailed bool
}

// SendRecipients returns the messages of send sendID in id order.
func (s *Store) SendRecipients(ctx context.Context, sendID int64) ([]SendRecipient, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixed("m.", messageColumns)+`,
		EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id AND p.delivery = 'pending'),
		EXISTS (SELECT 1 FROM parts p WHERE p.message_id = m.id AND p.delivery IN ('failed', 'expired'))
		FROM messages m INDEXED BY messages_send WHERE m.send_id = ? ORDER BY m.id`, sendID)
	if err != nil {
		return nil, fmt.Errorf("store: recipients of send %d: %w", sendID, err)
	}
	defer rows.Close()
	var out []SendRecipient
	for rows.Next() {
		var r SendRecipient
		var pending, failed bool
		m, err := scanMessage(multiScanner{rows, []any{&pending, &failed}})
		if err != nil {
			return nil, fmt.Errorf("store: recipients of send %d: %w", sendID, err)
		}
		r.Message, r.ReportPending, r.ReportFailed = m, pending, failed
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recipients of send %d: %w", sendID, err)
	}
	return out, nil
}

// multiScanner appends extra destinations to a row scan, so scanMessage
// can read a row with more columns than messageColumns.
type multiScanner struct {
	sc    scanner
	extra []any
}

func (m multiScanner) Scan(dest ...any) error {
	return m.sc.Scan(append(dest, m.extra...)...)
}

// SendMessageIDs returns the ids of the messages of send sendID.
func (s *Store) SendMessageIDs(ctx context.Context, sendID int64) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM messages INDEXED BY messages_send WHERE send_id = ? ORDER BY id`, sendID)
	if err != nil {
		return nil, fmt.Errorf("store: messages of send %d: %w", sendID, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: messages of send %d: %w", sendID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: messages of send %d: %w", sendID, err)
	}
	return ids, nil
}

// LatestSendTo returns the most recent send of accountID that has a
// message to number (sMsmode deleteSMS by numero).
func (s *Store) LatestSendTo(ctx context.Context, accountID int64, number string) (Send, error) {
	sd, err := scanSend(s.r.QueryRowContext(ctx, `SELECT `+prefixed("s.", sendColumns)+` FROM messages m INDEXED BY messages_number
		JOIN sends s ON s.id = m.send_id WHERE m.number = ? AND m.account_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT 1`,
		number, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return sd, fmt.Errorf("store: send to %s: %w", number, ErrNotFound)
	}
	if err != nil {
		return sd, fmt.Errorf("store: send to %s: %w", number, err)
	}
	return sd, nil
}

// SendSummary is one line of a send history (sMsmode smsList).
type SendSummary struct {
	Send       Send
	Text       string // text of the first message
	Numbers    []string
	Recipients int
	Parts      int // credits used
	FirstAt    time.Time
	ScheduleAt time.Time
}

// maxSummaryNumbers bounds the numbers listed for one send.
const maxSummaryNumbers = 50

// SendSummaries returns the last limit sends of accountID, newest first.
func (s *Store) SendSummaries(ctx context.Context, accountID int64, limit int) ([]SendSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sendColumns+` FROM sends INDEXED BY sends_account WHERE account_id = ? ORDER BY id DESC LIMIT ?`,
		accountID, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: send history: %w", err)
	}
	var out []SendSummary
	for rows.Next() {
		sd, err := scanSend(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: send history: %w", err)
		}
		out = append(out, SendSummary{Send: sd})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: send history: %w", err)
	}
	for i := range out {
		sum := &out[i]
		var first, sched int64
		err := s.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(parts), 0), coalesce(min(created_at), 0), coalesce(max(scheduled_at), 0),
			coalesce((SELECT text FROM messages INDEXED BY messages_send WHERE send_id = ?1 ORDER BY id LIMIT 1), '')
			FROM messages INDEXED BY messages_send WHERE send_id = ?1`, sum.Send.ID).Scan(&sum.Recipients, &sum.Parts, &first, &sched, &sum.Text)
		if err != nil {
			return nil, fmt.Errorf("store: send history: %w", err)
		}
		sum.FirstAt, sum.ScheduleAt = fromMS(first), fromMS(sched)
		nrows, err := s.r.QueryContext(ctx, `SELECT number FROM messages INDEXED BY messages_send WHERE send_id = ? ORDER BY id LIMIT ?`,
			sum.Send.ID, maxSummaryNumbers)
		if err != nil {
			return nil, fmt.Errorf("store: send history: %w", err)
		}
		for nrows.Next() {
			var n string
			if err := nrows.Scan(&n); err != nil {
				nrows.Close()
				return nil, fmt.Errorf("store: send history: %w", err)
			}
			sum.Numbers = append(sum.Numbers, n)
		}
		nrows.Close()
		if err := nrows.Err(); err != nil {
			return nil, fmt.Errorf("store: send history: %w", err)
		}
	}
	return out, nil
}

// SetRefClient sets the client reference of message id (a per-row
// refClient of a sMsmode batch file).
func (tx *Tx) SetRefClient(id int64, ref string) error {
	if _, err := tx.exec(`UPDATE messages SET ref_client = ? WHERE id = ?`, ref, id); err != nil {
		return fmt.Errorf("store: ref of message %d: %w", id, err)
	}
	return nil
}

// ScheduledBetween returns the ids of accountID's scheduled messages due in
// [from, to), to one of numbers when numbers is not empty (SMStoB deletes a
// deferred send by its time).
func (s *Store) ScheduledBetween(ctx context.Context, accountID int64, from, to time.Time, numbers []string) ([]int64, error) {
	q := `SELECT id FROM messages INDEXED BY messages_scheduled WHERE status = 'scheduled' AND scheduled_at >= ? AND scheduled_at < ? AND account_id = ?`
	args := []any{ms(from), ms(to), accountID}
	if len(numbers) > 0 {
		q += ` AND number IN (` + placeholders(len(numbers)) + `)`
		for _, n := range numbers {
			args = append(args, n)
		}
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: scheduled messages: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: scheduled messages: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scheduled messages: %w", err)
	}
	return ids, nil
}

// SendPublicIDs returns the public send id of each message among ids that
// belongs to a send.
func (s *Store) SendPublicIDs(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, `SELECT m.id, s.public_id FROM messages m JOIN sends s ON s.id = m.send_id
			WHERE m.id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: send ids: %w", err)
		}
		for rows.Next() {
			var id int64
			var pub string
			if err := rows.Scan(&id, &pub); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: send ids: %w", err)
			}
			out[id] = pub
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: send ids: %w", err)
		}
	}
	return out, nil
}
