package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gsmbox/pdu"
	"gsmbox/store"
)

// Cancel cancels a message not yet handed to a modem (SPEC Q3); its
// credits are refunded. store.ErrConflict when it already went.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	if err := q.st.CancelMessage(ctx, id, q.cfg.Clock.Now()); err != nil {
		return err
	}
	q.publishMessage(ctx, id)
	return nil
}

// Retry requeues, on a person's decision, a failed, expired, cancelled,
// stopped or unknown message (CLI `gsmbox queue retry`). Parts known to
// have reached the network are not resent; the uncertain parts of an
// unknown message are.
func (q *Queue) Retry(ctx context.Context, id int64) error {
	if err := q.st.RetryMessage(ctx, id, q.cfg.Clock.Now()); err != nil {
		return err
	}
	q.publishMessage(ctx, id)
	q.Kick()
	return nil
}

// Edit is a change to a waiting message: nil fields are kept.
type Edit struct {
	Text *string
	// At is the new send time (a zero time: now).
	At *time.Time
}

// Edit changes the text and/or time of a message not yet handed to a
// modem (SPEC Q3). The new text is encoded again (same options as a
// normal send, with a new concatenation reference) and credits follow its
// part count.
func (q *Queue) Edit(ctx context.Context, id int64, e Edit) (store.Message, error) {
	now := q.cfg.Clock.Now()
	me := store.MessageEdit{ScheduledAt: e.At, Now: now}
	if e.Text != nil {
		cur, err := q.st.Message(ctx, id)
		if err != nil {
			return store.Message{}, err
		}
		req := Request{Text: *e.Text, Flash: cur.Flash, Validity: cur.Validity}
		text := q.finalText(req, *e.Text, pdu.CountOptions{})
		if text == "" {
			return store.Message{}, ErrEmptyText
		}
		count := pdu.CountText(text, pdu.CountOptions{})
		if count.Parts > q.cfg.MaxParts {
			return store.Message{}, fmt.Errorf("%w: %d parts, at most %d", ErrInvalid, count.Parts, q.cfg.MaxParts)
		}
		var ref byte
		if count.Parts > 1 {
			// The reference is taken in its own transaction: a gap in
			// the counter is harmless, a shared reference is not.
			err := q.st.Write(ctx, func(tx *store.Tx) error {
				r, err := tx.NextCounter(counterConcatRef, 1)
				ref = byte(r)
				return err
			})
			if err != nil {
				return store.Message{}, err
			}
		}
		parts, err := pdu.EncodeSubmit(cur.Number, text, ref, q.submitOptions(req))
		if err != nil {
			return store.Message{}, fmt.Errorf("queue: edit message %d: %w", id, err)
		}
		me.Text, me.TextHash, me.Encoding = text, textHash(text), string(count.Encoding)
		for _, p := range parts {
			me.TPDUs = append(me.TPDUs, p.TPDU)
		}
	}
	if me.ScheduledAt != nil && me.ScheduledAt.IsZero() {
		t := now
		me.ScheduledAt = &t
	}
	m, err := q.st.EditMessage(ctx, id, me)
	if err != nil {
		return m, err
	}
	q.publishMessage(ctx, id)
	q.Kick()
	return m, nil
}

// CampaignStatus is a campaign with its progress (SPEC Q9).
type CampaignStatus struct {
	store.Campaign
	Counts map[store.Status]int
}

// Done reports whether every message of the campaign reached a final
// state.
func (c CampaignStatus) Done() bool {
	for st, n := range c.Counts {
		if n > 0 && !st.Final() && st != store.StatusSent {
			return false
		}
	}
	return true
}

// Campaign returns a campaign and its progress counts.
func (q *Queue) Campaign(ctx context.Context, id int64) (CampaignStatus, error) {
	c, err := q.st.Campaign(ctx, id)
	if err != nil {
		return CampaignStatus{}, err
	}
	counts, err := q.st.CampaignProgress(ctx, id)
	if err != nil {
		return CampaignStatus{}, err
	}
	return CampaignStatus{Campaign: c, Counts: counts}, nil
}

// PauseCampaign holds a campaign's waiting messages.
func (q *Queue) PauseCampaign(ctx context.Context, id int64) error {
	_, err := q.st.PauseCampaign(ctx, id, q.cfg.Clock.Now())
	return err
}

// ResumeCampaign releases a paused campaign.
func (q *Queue) ResumeCampaign(ctx context.Context, id int64) error {
	if _, err := q.st.ResumeCampaign(ctx, id, q.cfg.Clock.Now()); err != nil {
		return err
	}
	q.Kick()
	return nil
}

// CancelCampaign cancels a campaign's waiting messages.
func (q *Queue) CancelCampaign(ctx context.Context, id int64) error {
	ids, err := q.st.CancelCampaign(ctx, id, q.cfg.Clock.Now())
	for _, mid := range ids {
		q.publishMessage(ctx, mid)
	}
	return err
}

// StopRecurring ends a recurring series and cancels its waiting messages.
func (q *Queue) StopRecurring(ctx context.Context, id int64) error {
	ids, err := q.st.StopRecurring(ctx, id, q.cfg.Clock.Now())
	for _, mid := range ids {
		q.publishMessage(ctx, mid)
	}
	return err
}

// OptOut puts number on the STOP list by hand (UI W11, API) and stops the
// messages waiting for it (SPEC Q7). It reports false when the number was
// already there.
func (q *Queue) OptOut(ctx context.Context, number, source, note string) (bool, error) {
	num, ok := q.NormalizeNumber(number)
	if !ok {
		return false, fmt.Errorf("%w: %q is not a valid phone number", ErrInvalid, number)
	}
	now := q.cfg.Clock.Now()
	var added bool
	var stopped []int64
	err := q.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if added, err = tx.AddStop(store.StopEntry{Number: num, CreatedAt: now, Source: source, Note: note}); err != nil {
			return err
		}
		stopped, err = tx.StopQueued(num, now)
		return err
	})
	if err != nil {
		return false, err
	}
	q.Publish(Event{Kind: EventStop, Number: num, Stopped: true})
	for _, id := range stopped {
		q.publishMessage(ctx, id)
	}
	return added, nil
}

// OptIn takes number off the STOP list. It reports false when it was not
// there.
func (q *Queue) OptIn(ctx context.Context, number string) (bool, error) {
	num, ok := q.NormalizeNumber(number)
	if !ok {
		return false, fmt.Errorf("%w: %q is not a valid phone number", ErrInvalid, number)
	}
	removed, err := q.st.RemoveStop(ctx, num)
	if err == nil && removed {
		q.Publish(Event{Kind: EventStop, Number: num, Stopped: false})
	}
	return removed, err
}

// Report is a decoded SMS-STATUS-REPORT (TS 23.040 §9.2.2.3).
type Report struct {
	Modem     string
	MR        int
	Recipient string // as the report gives it
	TPStatus  byte   // TP-ST
	Discharge time.Time
}

// outcome maps TP-ST to a part's delivery outcome (TS 23.040 §9.2.3.15):
// 0x00-0x1F delivered; 0x20-0x3F the SC is still trying; 0x46 validity
// period expired and 0x60-0x7F (temporary error, SC no longer trying) are
// "expired"; other 0x40-0x5F values are permanent failures, of which 0x41
// incompatible destination and 0x43 not obtainable mean a bad number.
func outcome(st byte) (string, bool) {
	switch pdu.StatusCategory(st) {
	case pdu.StatusDelivered:
		return store.DeliveryDelivered, false
	case pdu.StatusPending:
		return store.DeliveryPending, false
	case pdu.StatusFailedNoMore:
		return store.DeliveryExpired, false
	}
	switch st {
	case 0x46:
		return store.DeliveryExpired, false
	case 0x41, 0x43:
		return store.DeliveryFailed, true
	}
	return store.DeliveryFailed, false
}

// StatusReport records a delivery report (SPEC M6, Q10): it is matched to
// the part sent through r.Modem with that TP-MR to that recipient, and the
// message's status derived. A report that overtakes the recording of its
// part (the part is still "sending") is kept and applied when the part is
// recorded. It reports whether it matched a part; an unmatched report (too old, or for a message sent by another system) is
// not an error.
func (q *Queue) StatusReport(ctx context.Context, r Report) (bool, error) {
	now := q.cfg.Clock.Now()
	number, ok := q.NormalizeNumber(r.Recipient)
	if !ok {
		number = r.Recipient
	}
	out, bad := outcome(r.TPStatus)
	res, err := q.st.RecordDelivery(ctx, store.DeliveryReport{
		Modem: r.Modem, MR: r.MR, Number: number, TPStatus: int(r.TPStatus), Outcome: out,
		Discharge: r.Discharge, Since: now.Add(-q.cfg.ReportWindow),
	}, now)
	if err != nil {
		return false, err
	}
	if res.Early {
		q.log.Debug("status report before its part was recorded: kept", slog.String("modem", r.Modem), slog.Int("mr", r.MR))
		return true, nil
	}
	if !res.Matched {
		q.log.Info("status report matches no sent part", slog.String("modem", r.Modem), slog.Int("mr", r.MR), slog.String("recipient", number))
		return false, nil
	}
	if res.Changed {
		q.hub.publish(Event{Kind: EventMessage, MessageID: res.MessageID, CampaignID: res.Message.CampaignID, Number: number, Status: res.Message.Status, At: now})
	}
	if bad {
		q.markBadNumber(ctx, number, now)
	}
	return true, nil
}
