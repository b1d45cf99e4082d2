package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ClaimRequest says which message a modem worker may take (SPEC Q4, Q5,
// Q13). See Store.Claim.
type ClaimRequest struct {
	Modem string
	// Marketing allows marketing messages (quiet hours say no, SPEC Q7).
	Marketing bool
	// Prefer lists number prefixes this modem should take first (least-cost
	// routing: destinations on its own operator).
	Prefer []string
	// Avoid lists number prefixes left to other modems (on-net for another
	// ready SIM); such messages are not taken from the general pool.
	Avoid []string
	// Hold says whether number is waiting out a per-destination backoff
	// (SPEC Q12); a held message goes to StatusRetry until the returned
	// time. Nil holds nothing.
	Hold func(number string) (until time.Time, held bool)
	Now  time.Time
}

// Outgoing is a claimed message and its next part to send, already marked
// "sending" in the database.
type Outgoing struct {
	Message Message
	Part    Part
}

// ClaimResult is what Claim did.
type ClaimResult struct {
	// Out is the claimed message, nil when nothing is due for this modem.
	Out *Outgoing
	// Held are messages moved to StatusRetry because their destination is
	// in backoff; the dispatcher requeues them when it ends.
	Held []Held
	// Stopped are messages not sent because their number is on the STOP
	// list now (SPEC Q7: checked again at dispatch).
	Stopped []int64
}

// Held is a message parked by a per-destination backoff.
type Held struct {
	ID    int64
	Until time.Time
}

// claimBatch is how many candidates one Claim looks at; held and stopped
// ones are skipped within the batch.
const claimBatch = 8

const (
	qStopped      = `SELECT 1 FROM stop_list WHERE number = ?`
	qClaimMessage = `UPDATE messages SET status = 'sending', modem = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND status = 'queued' RETURNING ` + messageColumns
	qNextPart = `UPDATE parts SET status = 'sending', modem = ?
		WHERE message_id = ? AND seq = (SELECT min(seq) FROM parts WHERE message_id = ? AND status = 'pending')
		RETURNING ` + partColumns
	qPartSent        = `UPDATE parts SET status = 'sent', mr = ?, modem = ?, sent_at = ?, error = '' WHERE message_id = ? AND seq = ? AND status = 'sending'`
	qMessageSent     = `UPDATE messages SET status = 'sent', sent_at = ?, updated_at = ?, reason = '' WHERE id = ? AND status = 'sending'`
	qConversationOut = `INSERT INTO conversations (number, last_at, last_text, last_inbound) VALUES (?, ?, ?, 0)
		ON CONFLICT (number) DO UPDATE SET last_at = excluded.last_at, last_text = excluded.last_text, last_inbound = 0
		WHERE excluded.last_at >= conversations.last_at`
)

// Claim picks the next due message for req.Modem and marks it and its first
// unsent part "sending" in one transaction, so the part is recorded before
// +CMGS (SPEC Q6). Notification messages come before marketing, then the
// oldest first; a message pinned or already bound to another modem is not
// taken. Candidates whose number is now on the STOP list become
// StatusStopped.
func (s *Store) Claim(ctx context.Context, req ClaimRequest) (ClaimResult, error) {
	var res ClaimResult
	err := s.Write(ctx, func(tx *Tx) error {
		res = ClaimResult{}
		for _, prefixes := range claimPasses(req) {
			out, err := tx.claimPass(req, prefixes, &res)
			if err != nil {
				return err
			}
			if out != nil {
				res.Out = out
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return ClaimResult{}, err
	}
	return res, nil
}

// claimPass describes one query of Claim: prefer lists prefixes to require,
// avoid to exclude.
type claimPass struct {
	prefer []string
	avoid  []string
}

func claimPasses(req ClaimRequest) []claimPass {
	if len(req.Prefer) == 0 {
		return []claimPass{{avoid: req.Avoid}}
	}
	return []claimPass{{prefer: req.Prefer}, {avoid: req.Avoid}}
}

// Claim queries without routing hints, prepared at Open.
var (
	qClaimAll          = claimQuery(true, 0, 0)
	qClaimNotification = claimQuery(false, 0, 0)
)

// claimQuery is the candidate query of one claim pass: pin and binding
// first, then the optional channel restriction and prefix conditions, in
// the order claimPass binds their arguments.
func claimQuery(marketing bool, prefer, avoid int) string {
	q := `SELECT id, number, ignore_stop FROM messages INDEXED BY messages_due WHERE status = 'queued' AND pin_modem IN ('', ?) AND modem IN ('', ?)`
	if !marketing {
		q += ` AND channel = 0`
	}
	if prefer > 0 {
		q += ` AND (` + strings.TrimSuffix(strings.Repeat(`substr(number, 1, ?) = ? OR `, prefer), ` OR `) + `)`
	}
	// A message pinned to this modem is taken even if another SIM would
	// be cheaper.
	q += strings.Repeat(` AND (substr(number, 1, ?) <> ? OR pin_modem = ?)`, avoid)
	return q + ` ORDER BY channel, id LIMIT ?`
}

func (tx *Tx) claimPass(req ClaimRequest, p claimPass, res *ClaimResult) (*Outgoing, error) {
	q := claimQuery(req.Marketing, len(p.prefer), len(p.avoid))
	args := []any{req.Modem, req.Modem}
	for _, pre := range p.prefer {
		args = append(args, len(pre), pre)
	}
	for _, pre := range p.avoid {
		args = append(args, len(pre), pre, req.Modem)
	}
	args = append(args, claimBatch)
	for {
		cands, err := tx.candidates(q, args)
		if err != nil {
			return nil, err
		}
		if len(cands) == 0 {
			return nil, nil
		}
		for _, c := range cands {
			var one int
			err := sql.ErrNoRows
			if !c.ignoreStop {
				err = tx.queryRow(qStopped, c.number).Scan(&one)
			}
			switch {
			case err == nil:
				if err := tx.finishMessage(c.id, StatusStopped, "number on the STOP list", req.Now, true); err != nil {
					return nil, err
				}
				res.Stopped = append(res.Stopped, c.id)
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return nil, fmt.Errorf("store: claim: stop list: %w", err)
			}
			if req.Hold != nil {
				if until, held := req.Hold(c.number); held {
					if err := tx.setRetry(c.id, until, req.Now); err != nil {
						return nil, err
					}
					res.Held = append(res.Held, Held{ID: c.id, Until: until})
					continue
				}
			}
			return tx.claim(c.id, req.Modem, req.Now)
		}
		// Every candidate of the batch was skipped (and left the queued
		// state): look at the next ones.
	}
}

type candidate struct {
	id         int64
	number     string
	ignoreStop bool
}

func (tx *Tx) candidates(q string, args []any) ([]candidate, error) {
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	defer rows.Close()
	var cs []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.number, &c.ignoreStop); err != nil {
			return nil, fmt.Errorf("store: claim: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	return cs, nil
}

func (tx *Tx) claim(id int64, modem string, now time.Time) (*Outgoing, error) {
	m, err := scanMessage(tx.queryRow(qClaimMessage, modem, ms(now), id))
	if err != nil {
		return nil, fmt.Errorf("store: claim message %d: %w", id, err)
	}
	p, err := scanPart(tx.queryRow(qNextPart, modem, id, id))
	if errors.Is(err, sql.ErrNoRows) {
		// Every part already went (a retry after the last part's
		// temporary error was fixed by hand): the message is sent.
		if _, err := tx.exec(qMessageSent, ms(now), ms(now), id); err != nil {
			return nil, fmt.Errorf("store: claim message %d: %w", id, err)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim message %d: next part: %w", id, err)
	}
	if err := tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id,
		Event: string(StatusSending), Detail: fmt.Sprintf("part %d/%d via %s", p.Seq, m.Parts, modem)}); err != nil {
		return nil, err
	}
	return &Outgoing{Message: m, Part: p}, nil
}

// PartSent records that part seq of message id was accepted with TP-MR mr.
// It marks the next pending part "sending" in the same transaction and
// returns it, or returns nil when the message is complete (and then marks
// the message sent and threads it into its conversation).
func (s *Store) PartSent(ctx context.Context, id int64, seq, mr int, modem string, now time.Time) (*Part, error) {
	var next *Part
	err := s.Write(ctx, func(tx *Tx) error {
		next = nil
		res, err := tx.exec(qPartSent, mr, modem, ms(now), id, seq)
		if err != nil {
			return fmt.Errorf("store: part %d/%d sent: %w", id, seq, err)
		}
		if err := affected(res, fmt.Sprintf("part %d/%d sent (not sending)", id, seq)); err != nil {
			return err
		}
		if err := tx.applyEarlyReport(id, seq, modem, mr); err != nil {
			return err
		}
		p, err := scanPart(tx.queryRow(qNextPart, modem, id, id))
		switch {
		case err == nil:
			next = &p
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: part %d/%d sent: next part: %w", id, seq, err)
		}
		return tx.completeSend(id, now)
	})
	return next, err
}

// completeSend closes a message whose parts have all been handed over:
// sent, or unknown when one of them timed out; status reports that arrived
// for early parts while later ones were still going are taken into account.
func (tx *Tx) completeSend(id int64, now time.Time) error {
	m, err := tx.Message(id)
	if err != nil {
		return err
	}
	agg, err := tx.partsSummary(id)
	if err != nil {
		return err
	}
	status, reason := StatusSent, ""
	if agg.unknown > 0 {
		status, reason = StatusUnknown, fmt.Sprintf("%d part(s) may not have been sent (modem timeout)", agg.unknown)
	}
	if st, why := agg.delivery(); st != "" && agg.unknown == 0 {
		status, reason = st, why
	}
	done := int64(0)
	if status.Final() {
		done = ms(now)
	}
	if _, err := tx.exec(qCompleteSend, string(status), reason, ms(now), done, ms(now), id); err != nil {
		return fmt.Errorf("store: complete message %d: %w", id, err)
	}
	if _, err := tx.exec(qConversationOut, m.Number, ms(now), m.Text); err != nil {
		return fmt.Errorf("store: complete message %d: conversation: %w", id, err)
	}
	return tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id,
		Event: string(status), Detail: reason})
}

const qCompleteSend = `UPDATE messages SET status = ?, reason = ?, sent_at = ?, done_at = ?, updated_at = ? WHERE id = ? AND status = 'sending'`

// partsSummary counts the parts of a message by state.
type partsSummary struct {
	total, unknown, delivered, failed, expired int
	lastTPStatus                               int
}

const qPartsSummary = `SELECT count(*),
	count(*) FILTER (WHERE status = 'unknown'),
	count(*) FILTER (WHERE delivery = 'delivered'),
	count(*) FILTER (WHERE delivery = 'failed'),
	count(*) FILTER (WHERE delivery = 'expired'),
	coalesce(max(tp_status) FILTER (WHERE delivery IN ('failed', 'expired')), -1)
	FROM parts WHERE message_id = ?`

func (tx *Tx) partsSummary(id int64) (partsSummary, error) {
	var a partsSummary
	err := tx.queryRow(qPartsSummary, id).Scan(&a.total, &a.unknown, &a.delivered, &a.failed, &a.expired, &a.lastTPStatus)
	if err != nil {
		return a, fmt.Errorf("store: parts of message %d: %w", id, err)
	}
	return a, nil
}

// delivery derives a message's status from its parts' status reports:
// failed or expired as soon as one part is, delivered when all are, ""
// while undecided.
func (a partsSummary) delivery() (Status, string) {
	switch {
	case a.failed > 0:
		return StatusFailed, fmt.Sprintf("status report: not delivered (TP-ST 0x%02X)", a.lastTPStatus)
	case a.expired > 0:
		return StatusExpired, fmt.Sprintf("status report: expired (TP-ST 0x%02X)", a.lastTPStatus)
	case a.total > 0 && a.delivered == a.total:
		return StatusDelivered, ""
	}
	return "", ""
}

// PartUnknown records that part seq of message id may or may not have been
// sent (+CMGS timed out, SPEC Q6). It is never resent automatically. The
// following parts are still sent (they are not duplicates), so the next
// pending part is marked "sending" and returned, nil when none is left.
func (s *Store) PartUnknown(ctx context.Context, id int64, seq int, detail string, now time.Time) (*Part, error) {
	var next *Part
	err := s.Write(ctx, func(tx *Tx) error {
		next = nil
		if _, err := tx.exec(`UPDATE parts SET status = 'unknown', error = ? WHERE message_id = ? AND seq = ? AND status = 'sending'`,
			detail, id, seq); err != nil {
			return fmt.Errorf("store: part %d/%d unknown: %w", id, seq, err)
		}
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		if err := tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id,
			Event: "part-unknown", Detail: fmt.Sprintf("part %d: %s", seq, detail)}); err != nil {
			return err
		}
		p, err := scanPart(tx.queryRow(qNextPart, m.Modem, id, id))
		switch {
		case err == nil:
			next = &p
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: part %d/%d unknown: next part: %w", id, seq, err)
		}
		return tx.completeSend(id, now)
	})
	return next, err
}

// PartRequeue puts a part that was not handed to the modem (modem down,
// temporary error) back to pending. The message goes to StatusQueued, or to
// StatusRetry until retryAt when retryAt is set; when no part of it has
// been sent yet it is also released from the modem, so another modem may
// take it. reason is recorded in the journal and the message.
func (s *Store) PartRequeue(ctx context.Context, id int64, seq int, reason string, retryAt, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE parts SET status = 'pending', error = ? WHERE message_id = ? AND seq = ? AND status = 'sending'`,
			reason, id, seq); err != nil {
			return fmt.Errorf("store: requeue part %d/%d: %w", id, seq, err)
		}
		status := StatusQueued
		if !retryAt.IsZero() {
			status = StatusRetry
		}
		// Parts of one message must leave through one SIM (one sender
		// number), so the binding stays once a part has gone.
		if _, err := tx.exec(`UPDATE messages SET status = ?, reason = ?, next_attempt = ?, updated_at = ?,
			modem = CASE WHEN EXISTS (SELECT 1 FROM parts WHERE message_id = messages.id AND status IN ('sent', 'unknown')) THEN modem ELSE '' END
			WHERE id = ? AND status = 'sending'`,
			string(status), reason, ms(retryAt), ms(now), id); err != nil {
			return fmt.Errorf("store: requeue message %d: %w", id, err)
		}
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		return tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id,
			Event: string(status), Detail: fmt.Sprintf("part %d: %s", seq, reason)})
	})
}

// PartFailed records a permanent error on part seq of message id: the
// message fails and its remaining parts are cancelled.
func (s *Store) PartFailed(ctx context.Context, id int64, seq int, reason string, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE parts SET status = 'failed', error = ? WHERE message_id = ? AND seq = ?`, reason, id, seq); err != nil {
			return fmt.Errorf("store: part %d/%d failed: %w", id, seq, err)
		}
		return tx.finishMessage(id, StatusFailed, reason, now, false)
	})
}

// finishMessage moves message id to a final state (failed, stopped,
// cancelled), cancels its unsent parts and journals it. refund gives the
// account back the credits of a message none of whose parts left.
func (tx *Tx) finishMessage(id int64, st Status, reason string, now time.Time, refund bool) error {
	if _, err := tx.exec(`UPDATE parts SET status = 'cancelled' WHERE message_id = ? AND status IN ('pending', 'sending')`, id); err != nil {
		return fmt.Errorf("store: %s message %d: %w", st, id, err)
	}
	m, err := scanMessage(tx.queryRow(`UPDATE messages SET status = ?, reason = ?, done_at = ?, updated_at = ? WHERE id = ? RETURNING `+messageColumns,
		string(st), reason, ms(now), ms(now), id))
	if err != nil {
		return fmt.Errorf("store: %s message %d: %w", st, id, err)
	}
	if refund {
		var sent int
		if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM parts WHERE message_id = ? AND status IN ('sent', 'unknown')`, id).Scan(&sent); err != nil {
			return fmt.Errorf("store: %s message %d: %w", st, id, err)
		}
		if sent == 0 {
			if err := tx.AddCredits(m.AccountID, int64(m.Parts)); err != nil {
				return err
			}
		}
	}
	return tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: id, Event: string(st), Detail: reason})
}

func (tx *Tx) setRetry(id int64, until, now time.Time) error {
	if _, err := tx.exec(`UPDATE messages SET status = 'retry', next_attempt = ?, updated_at = ? WHERE id = ? AND status = 'queued'`,
		ms(until), ms(now), id); err != nil {
		return fmt.Errorf("store: hold message %d: %w", id, err)
	}
	return nil
}

// ReleaseRetry moves message id from StatusRetry back to StatusQueued
// (its backoff ended). It reports false when the message had left the
// retry state meanwhile (cancelled, edited).
func (s *Store) ReleaseRetry(ctx context.Context, id int64, now time.Time) (bool, error) {
	var ok bool
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE messages SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'retry'`, ms(now), id)
		if err != nil {
			return fmt.Errorf("store: release message %d: %w", id, err)
		}
		n, err := res.RowsAffected()
		ok = n > 0
		return err
	})
	return ok, err
}

// Recovery is what Recover found after a restart.
type Recovery struct {
	Unknown  []int64 // messages left "sending", now unknown (at-most-once)
	Requeued []int64 // messages left "sending", queued again (at-least-once)
	Retries  int     // messages in backoff, queued again
}

// Recover runs at start, before any dispatch (SPEC Q6). A part left
// "sending" by a crash may or may not have reached the network: by default
// it becomes "unknown" and its message too, never resent; with atLeastOnce
// it goes back to pending and is resent (identical bytes). Messages waiting
// out a backoff (whose timers died with the process) are queued again.
func (s *Store) Recover(ctx context.Context, atLeastOnce bool, now time.Time) (Recovery, error) {
	var rec Recovery
	err := s.Write(ctx, func(tx *Tx) error {
		rec = Recovery{}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id FROM messages WHERE status = 'sending'`)
		if err != nil {
			return fmt.Errorf("store: recover: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: recover: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: recover: %w", err)
		}
		for _, id := range ids {
			if atLeastOnce {
				if _, err := tx.exec(`UPDATE parts SET status = 'pending' WHERE message_id = ? AND status = 'sending'`, id); err != nil {
					return fmt.Errorf("store: recover message %d: %w", id, err)
				}
				if _, err := tx.exec(`UPDATE messages SET status = 'queued', updated_at = ? WHERE id = ?`, ms(now), id); err != nil {
					return fmt.Errorf("store: recover message %d: %w", id, err)
				}
				rec.Requeued = append(rec.Requeued, id)
				if err := tx.Journal(JournalEntry{At: now, MessageID: id, Event: "recovered", Detail: "was sending at restart: queued again (at-least-once)"}); err != nil {
					return err
				}
				continue
			}
			res, err := tx.exec(`UPDATE parts SET status = 'unknown', error = 'sending when the process stopped' WHERE message_id = ? AND status = 'sending'`, id)
			if err != nil {
				return fmt.Errorf("store: recover message %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				// Claimed, but no part was in flight (a crash between
				// two transactions of one message): nothing is uncertain.
				if _, err := tx.exec(`UPDATE messages SET status = 'queued', updated_at = ? WHERE id = ?`, ms(now), id); err != nil {
					return fmt.Errorf("store: recover message %d: %w", id, err)
				}
				rec.Requeued = append(rec.Requeued, id)
				continue
			}
			if _, err := tx.exec(`UPDATE messages SET status = 'unknown', reason = 'sending when the process stopped: may or may not have been sent', updated_at = ?, done_at = ? WHERE id = ?`,
				ms(now), ms(now), id); err != nil {
				return fmt.Errorf("store: recover message %d: %w", id, err)
			}
			rec.Unknown = append(rec.Unknown, id)
			if err := tx.Journal(JournalEntry{At: now, MessageID: id, Event: string(StatusUnknown), Detail: "sending when the process stopped"}); err != nil {
				return err
			}
		}
		res, err := tx.exec(`UPDATE messages SET status = 'queued', updated_at = ? WHERE status = 'retry'`, ms(now))
		if err != nil {
			return fmt.Errorf("store: recover retries: %w", err)
		}
		n, _ := res.RowsAffected()
		rec.Retries = int(n)
		return nil
	})
	return rec, err
}

// PromoteDue moves scheduled messages whose time has come to the queue and
// returns how many moved.
func (s *Store) PromoteDue(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE messages SET status = 'queued', updated_at = ? WHERE status = 'scheduled' AND scheduled_at <= ?`, ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("store: promote scheduled: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// NextScheduled returns the earliest scheduled time still waiting, false
// when none.
func (s *Store) NextScheduled(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(scheduled_at) FROM messages WHERE status = 'scheduled'`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next scheduled: %w", err)
	}
	return fromMS(v.Int64), v.Valid, nil
}

// HasQueued reports whether any message is due now (for channel 0 only when
// marketing is false): the dispatcher uses it to decide whether to wake the
// quiet-hours timer.
func (s *Store) HasQueued(ctx context.Context, marketing bool) (bool, error) {
	q := `SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'queued' AND channel = 1)`
	if !marketing {
		q = `SELECT EXISTS (SELECT 1 FROM messages WHERE status = 'queued')`
	}
	var ok bool
	if err := s.r.QueryRowContext(ctx, q).Scan(&ok); err != nil {
		return false, fmt.Errorf("store: has queued: %w", err)
	}
	return ok, nil
}

// DeliveryReport is a decoded SMS-STATUS-REPORT to match to a sent part
// (SPEC M6, Q10).
type DeliveryReport struct {
	Modem     string
	MR        int
	Number    string // recipient, E.164
	TPStatus  int    // TP-ST
	Outcome   string // DeliveryPending, DeliveryDelivered, DeliveryFailed or DeliveryExpired
	Discharge time.Time
	// Since bounds the search: TP-MR wraps at 256, so only parts sent
	// after Since can match.
	Since time.Time
}

// earlyReportAge bounds how long a report waits for its part: the part
// is recorded milliseconds after +CMGS, so an hour-old unmatched report was
// for a message of another system or of a lost database.
const earlyReportAge = time.Hour

const (
	qEarlyReport = `SELECT r.id, r.tp_status, r.outcome, r.discharge FROM early_reports r INDEXED BY early_reports_mr
		JOIN messages m ON m.id = ? WHERE r.modem = ? AND r.mr = ? AND r.number = m.number ORDER BY r.id DESC LIMIT 1`
	qInsertEarlyReport = `INSERT INTO early_reports (modem, mr, number, tp_status, outcome, discharge, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// applyEarlyReport records on a part just sent a status report that came
// before the part was recorded.
func (tx *Tx) applyEarlyReport(id int64, seq int, modem string, mr int) error {
	var rid, tpst int64
	var outcome string
	var discharge int64
	err := tx.queryRow(qEarlyReport, id, modem, mr).Scan(&rid, &tpst, &outcome, &discharge)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: early status report for %d/%d: %w", id, seq, err)
	}
	if _, err := tx.exec(`UPDATE parts SET delivery = ?, tp_status = ?, delivered_at = ? WHERE message_id = ? AND seq = ?`,
		outcome, tpst, discharge, id, seq); err != nil {
		return fmt.Errorf("store: early status report for %d/%d: %w", id, seq, err)
	}
	if _, err := tx.exec(`DELETE FROM early_reports WHERE id = ?`, rid); err != nil {
		return fmt.Errorf("store: early status report for %d/%d: %w", id, seq, err)
	}
	return nil
}

// DeliveryResult tells what a report changed.
type DeliveryResult struct {
	Matched bool
	// Early is set when the report matched no part yet but a part is
	// being sent through that modem: it is kept and applied when the part
	// is recorded sent.
	Early     bool
	MessageID int64
	Seq       int
	Message   Message // after the update
	Changed   bool    // the message's status changed
}

// RecordDelivery matches r to the most recent part sent through r.Modem
// with TP-MR r.MR to r.Number, records its outcome and derives the
// message's status: failed or expired as soon as one part is, delivered
// when every part is.
func (s *Store) RecordDelivery(ctx context.Context, r DeliveryReport, now time.Time) (DeliveryResult, error) {
	var res DeliveryResult
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.RecordDelivery(r, now)
		return err
	})
	return res, err
}

// keepEarlyReport keeps an unmatched report when a part to that number is
// in flight on that modem (its MR is not recorded yet).
func (tx *Tx) keepEarlyReport(r DeliveryReport, now time.Time, res *DeliveryResult) error {
	var inFlight bool
	err := tx.tx.QueryRowContext(tx.ctx, `SELECT EXISTS (SELECT 1 FROM messages INDEXED BY messages_status
		WHERE status = 'sending' AND modem = ? AND number = ?)`, r.Modem, r.Number).Scan(&inFlight)
	if err != nil {
		return fmt.Errorf("store: status report: %w", err)
	}
	if !inFlight {
		return nil
	}
	if _, err := tx.exec(`DELETE FROM early_reports WHERE received_at < ?`, ms(now.Add(-earlyReportAge))); err != nil {
		return fmt.Errorf("store: status report: %w", err)
	}
	if _, err := tx.exec(qInsertEarlyReport, r.Modem, r.MR, r.Number, r.TPStatus, r.Outcome, ms(r.Discharge), ms(now)); err != nil {
		return fmt.Errorf("store: keep early status report: %w", err)
	}
	res.Early = true
	return nil
}

// RecordDelivery is Store.RecordDelivery inside a transaction.
func (tx *Tx) RecordDelivery(r DeliveryReport, now time.Time) (DeliveryResult, error) {
	var res DeliveryResult
	err := tx.queryRow(`SELECT p.message_id, p.seq FROM parts p INDEXED BY parts_mr JOIN messages m ON m.id = p.message_id
		WHERE p.modem = ? AND p.mr = ? AND p.sent_at >= ? AND m.number = ?
		ORDER BY p.sent_at DESC LIMIT 1`, r.Modem, r.MR, ms(r.Since), r.Number).Scan(&res.MessageID, &res.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return res, tx.keepEarlyReport(r, now, &res)
	}
	if err != nil {
		return res, fmt.Errorf("store: match status report: %w", err)
	}
	res.Matched = true
	if _, err := tx.exec(`UPDATE parts SET delivery = ?, tp_status = ?, delivered_at = ? WHERE message_id = ? AND seq = ?`,
		r.Outcome, r.TPStatus, ms(r.Discharge), res.MessageID, res.Seq); err != nil {
		return res, fmt.Errorf("store: record status report: %w", err)
	}
	agg, err := tx.partsSummary(res.MessageID)
	if err != nil {
		return res, err
	}
	m, err := tx.Message(res.MessageID)
	if err != nil {
		return res, err
	}
	st, reason := agg.delivery()
	// A report moves a message forward from sent (or unknown: a report
	// proves its part left), never back from a final state; while parts
	// are still going, completeSend takes the reports into account.
	if st != "" && st != m.Status && (m.Status == StatusSent || m.Status == StatusUnknown) {
		if _, err := tx.exec(`UPDATE messages SET status = ?, reason = ?, done_at = ?, updated_at = ? WHERE id = ?`,
			string(st), reason, ms(now), ms(now), m.ID); err != nil {
			return res, fmt.Errorf("store: record status report: %w", err)
		}
		if err := tx.Journal(JournalEntry{At: now, AccountID: m.AccountID, CampaignID: m.CampaignID, MessageID: m.ID,
			Event: string(st), Detail: reason}); err != nil {
			return res, err
		}
		m.Status, m.Reason, m.DoneAt = st, reason, now
		res.Changed = true
	}
	res.Message = m
	return res, nil
}
