package queue

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"gsmbox/modem"
	"gsmbox/store"
)

// textIndexStep is how many texts one coordinator round adds to the search
// index: a few tens of milliseconds of writer time.
const textIndexStep = 5000

// maxTimer caps the coordinator's sleep so that a wall-clock jump (NTP
// correcting the time) delays a scheduled send by at most this much: the
// timers run on monotonic time, the schedule on wall time.
const maxTimer = 10 * time.Minute

// coordinate is the dispatcher's coordinator: on every kick or timer it
// queues due scheduled messages and recurring occurrences, releases
// messages whose backoff ended, starts a worker for each new modem, wakes
// the idle workers and sets its timer to the next thing due.
func (q *Queue) coordinate(ctx context.Context) {
	defer q.wg.Done()
	for {
		now, next := q.housekeep(ctx)
		var timer <-chan time.Time
		stop := func() bool { return false }
		if !next.IsZero() {
			if cap := now.Add(maxTimer); next.After(cap) {
				next = cap
			}
			timer, stop = q.cfg.Clock.Timer(next)
		}
		q.broadcast()
		select {
		case <-ctx.Done():
			stop()
			q.broadcast()
			return
		case <-q.kick:
		case <-timer:
		}
		stop()
	}
}

// housekeep runs one round of the coordinator and returns the time it ran
// at and when it must run again (zero: only when kicked). It never panics
// out: a panic is logged and counted, and the round retried a second later.
func (q *Queue) housekeep(ctx context.Context) (now, next time.Time) {
	now = q.cfg.Clock.Now()
	defer func() {
		if p := recover(); p != nil {
			q.recovered("coordinator", p)
			next = now.Add(time.Second)
		}
	}()
	plausible := q.plausible(now)
	var waits []time.Time
	if ctx.Err() != nil {
		return now, time.Time{}
	}
	if plausible {
		if n, err := q.st.PromoteDue(ctx, now); err != nil {
			q.log.Error("queue scheduled messages", slog.Any("err", err))
			waits = append(waits, now.Add(time.Second))
		} else if n > 0 {
			q.log.Debug("scheduled messages due", slog.Int("count", n))
		}
		if err := q.runRecurring(ctx, now); err != nil {
			q.log.Error("recurring sends", slog.Any("err", err))
			waits = append(waits, now.Add(time.Second))
		}
		if at, ok, err := q.st.NextScheduled(ctx); err != nil {
			q.log.Error("next scheduled", slog.Any("err", err))
		} else if ok {
			waits = append(waits, at)
		}
		if at, ok, err := q.st.NextRecurring(ctx); err != nil {
			q.log.Error("next recurring", slog.Any("err", err))
		} else if ok {
			waits = append(waits, at)
		}
		if c := q.cfg.QuietHours.nextChange(now.In(q.cfg.Location)); !c.IsZero() {
			waits = append(waits, c)
		}
	} else {
		// Nothing goes on a schedule before the clock is plausible;
		// look again soon (NTP usually answers within a minute).
		waits = append(waits, now.Add(clockRecheck))
	}
	if at, ok := q.releaseRetries(ctx, now); ok {
		waits = append(waits, at)
	}
	if q.startWorkers(ctx) {
		waits = append(waits, now.Add(stateRefresh))
	}
	if at, ok := q.nextPauseEnd(); ok {
		waits = append(waits, at)
	}
	// Index new texts for search a slice at a time, between other work,
	// so a large campaign's enqueue does not pay for it.
	if _, more, err := q.st.IndexText(ctx, textIndexStep); err != nil {
		q.log.Error("full-text index", slog.Any("err", err))
	} else if more {
		waits = append(waits, now)
	}
	for _, w := range waits {
		if next.IsZero() || w.Before(next) {
			next = w
		}
	}
	return now, next
}

// plausible reports whether the wall clock can be trusted for schedules.
func (q *Queue) plausible(now time.Time) bool {
	return !now.Before(q.cfg.MinPlausibleTime)
}

// marketingAllowed reports whether marketing may go now (SPEC Q7); never
// while the clock is not plausible.
func (q *Queue) marketingAllowed(now time.Time) bool {
	return q.plausible(now) && q.cfg.QuietHours.allowed(now.In(q.cfg.Location))
}

// broadcast wakes every idle worker.
func (q *Queue) broadcast() {
	q.mu.Lock()
	close(q.wake)
	q.wake = make(chan struct{})
	q.mu.Unlock()
}

// wakeChan returns the channel the next broadcast closes. A worker takes
// it before looking for work, so a broadcast after its look is never
// missed.
func (q *Queue) wakeChan() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.wake
}

// startWorkers starts one worker per modem not served yet and reports
// whether some modem is not ready (the coordinator then re-reads states
// periodically).
func (q *Queue) startWorkers(ctx context.Context) (notReady bool) {
	for _, s := range q.snd.Statuses() {
		if !s.Ready() {
			notReady = true
		}
		q.mu.Lock()
		running := q.workers[s.ID]
		if !running {
			q.workers[s.ID] = true
			q.wg.Add(1)
		}
		q.mu.Unlock()
		if !running {
			go q.work(ctx, s.ID)
		}
	}
	return notReady
}

func (q *Queue) recovered(who string, p any) {
	q.mu.Lock()
	q.panics++
	q.mu.Unlock()
	q.log.Error("panic recovered", slog.String("in", who), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
}

// runRecurring queues the due occurrence of each recurring series, each in
// one transaction with the series' advance, so an occurrence is queued
// exactly once. Occurrences missed while the box was off are skipped but
// for the latest one.
func (q *Queue) runRecurring(ctx context.Context, now time.Time) error {
	return q.st.Write(ctx, func(tx *store.Tx) error {
		due, err := tx.DueRecurring(now)
		if err != nil {
			return err
		}
		for _, r := range due {
			if err := q.occurrence(tx, r, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (q *Queue) occurrence(tx *store.Tx, r store.Recurring, now time.Time) error {
	p := Period(r.Period)
	i := r.Count
	for !p.Occurrence(r.FirstAt, i+1, q.cfg.Location).After(now) {
		i++
	}
	skipped := i - r.Count
	at := p.Occurrence(r.FirstAt, i, q.cfg.Location)
	next := p.Occurrence(r.FirstAt, i+1, q.cfg.Location)
	detail := ""
	if !r.Until.IsZero() && at.After(r.Until) {
		detail = "series ended"
		if err := tx.AdvanceRecurring(r.ID, i, at, false); err != nil {
			return err
		}
	} else {
		var req Request
		if err := json.Unmarshal(r.Request, &req); err != nil {
			detail = fmt.Sprintf("occurrence %d not queued: unreadable request: %v", i+1, err)
		} else {
			// A repetition is deliberate: the duplicate guard would
			// refuse a daily send made 24 h after the last one.
			req.AllowDuplicate = true
			rc, err := q.submitTx(tx, req, r.ID, now)
			switch {
			case err == nil:
				detail = fmt.Sprintf("occurrence %d: %d messages queued", i+1, rc.Accepted)
			case isRequestError(err):
				detail = fmt.Sprintf("occurrence %d not queued: %v", i+1, err)
			default:
				return err
			}
		}
		if skipped > 0 {
			detail += fmt.Sprintf(" (%d missed occurrences skipped)", skipped)
		}
		active := r.Until.IsZero() || !next.After(r.Until)
		if err := tx.AdvanceRecurring(r.ID, i+1, next, active); err != nil {
			return err
		}
	}
	q.log.Info("recurring send", slog.Int64("recurring_id", r.ID), slog.String("detail", detail))
	return tx.Journal(store.JournalEntry{At: now, AccountID: r.AccountID, Event: "recurring", Detail: fmt.Sprintf("series %d: %s", r.ID, detail)})
}

// isRequestError reports whether err rejects a request without having
// written anything (so the transaction may go on).
func isRequestError(err error) bool {
	for _, e := range []error{ErrEmptyText, ErrNoRecipients, ErrInvalid, ErrNoCredits, ErrQuotaExceeded, ErrUnknownGroup} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retryItem is a message waiting out a backoff.
type retryItem struct {
	until time.Time
	id    int64
}

type retryHeap []retryItem

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(retryItem)) }
func (h *retryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func (q *Queue) addRetry(id int64, until time.Time) {
	q.mu.Lock()
	heap.Push(&q.retries, retryItem{until: until, id: id})
	q.mu.Unlock()
	q.Kick()
}

// releaseRetries queues the messages whose backoff ended and returns the
// next end.
func (q *Queue) releaseRetries(ctx context.Context, now time.Time) (time.Time, bool) {
	var due []int64
	q.mu.Lock()
	for q.retries.Len() > 0 && !q.retries[0].until.After(now) {
		due = append(due, heap.Pop(&q.retries).(retryItem).id)
	}
	for n, until := range q.backoff {
		if !until.After(now) {
			delete(q.backoff, n)
		}
	}
	var next time.Time
	ok := q.retries.Len() > 0
	if ok {
		next = q.retries[0].until
	}
	q.mu.Unlock()
	for i, id := range due {
		if _, err := q.st.ReleaseRetry(ctx, id, now); err != nil {
			q.log.Error("release retry", slog.Int64("message_id", id), slog.Any("err", err))
			for _, rest := range due[i:] {
				q.addRetry(rest, now.Add(time.Second))
			}
			return now.Add(time.Second), true
		}
	}
	return next, ok
}

// held is the Claim hook for per-destination backoff (SPEC Q12).
func (q *Queue) held(number string) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	until, ok := q.backoff[number]
	return until, ok && until.After(q.cfg.Clock.Now())
}

func (q *Queue) pauseModem(id string, until time.Time) {
	q.mu.Lock()
	q.paused[id] = until
	q.mu.Unlock()
	q.Kick()
}

func (q *Queue) modemPaused(id string, now time.Time) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	until, ok := q.paused[id]
	if ok && !until.After(now) {
		delete(q.paused, id)
		return time.Time{}, false
	}
	return until, ok
}

func (q *Queue) nextPauseEnd() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var next time.Time
	ok := false
	for _, until := range q.paused {
		if !ok || until.Before(next) {
			next, ok = until, true
		}
	}
	return next, ok
}

// backoffFor is the per-destination delay after the n-th failed attempt:
// RetryMin doubling up to RetryMax.
func (q *Queue) backoffFor(attempts int) time.Duration {
	d := q.cfg.RetryMin
	for i := 1; i < attempts && d < q.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, q.cfg.RetryMax)
}

// limiter paces one modem to its SMS-per-minute limit.
type limiter struct {
	interval time.Duration
	next     time.Time
}

// wait returns when the next part may go, zero when it may go now.
func (l *limiter) wait(now time.Time) time.Time {
	if l.interval == 0 || !now.Before(l.next) {
		return time.Time{}
	}
	return l.next
}

func (l *limiter) sent(now time.Time) {
	if l.interval > 0 {
		l.next = now.Add(l.interval)
	}
}

func (q *Queue) modemStatus(id string) (modem.Status, []modem.Status, bool) {
	all := q.snd.Statuses()
	for _, s := range all {
		if s.ID == id {
			return s, all, true
		}
	}
	return modem.Status{}, all, false
}

// work is the worker of one modem: it claims the next due message for its
// modem and sends its parts, then claims again at once; it waits only when
// there is nothing to do (or its modem is down, paused or rate-limited).
func (q *Queue) work(ctx context.Context, id string) {
	defer q.wg.Done()
	defer func() {
		q.mu.Lock()
		delete(q.workers, id)
		q.mu.Unlock()
	}()
	lim := &limiter{}
	rate := q.cfg.RatePerMinute
	if r, ok := q.cfg.ModemRates[id]; ok {
		rate = r
	}
	if rate > 0 {
		lim.interval = time.Minute / time.Duration(rate)
	}
	for ctx.Err() == nil {
		wake := q.wakeChan()
		until, idle := q.step(ctx, id, lim)
		if !idle {
			continue
		}
		var timer <-chan time.Time
		stop := func() bool { return false }
		if !until.IsZero() {
			timer, stop = q.cfg.Clock.Timer(until)
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-timer:
		}
		stop()
	}
}

// step does one unit of a worker's work. idle says the worker should wait
// for a wake-up, or at most until until when it is not zero.
func (q *Queue) step(ctx context.Context, id string, lim *limiter) (until time.Time, idle bool) {
	now := q.cfg.Clock.Now()
	defer func() {
		if p := recover(); p != nil {
			q.recovered("worker "+id, p)
			until, idle = now.Add(time.Second), true
		}
	}()
	st, all, ok := q.modemStatus(id)
	if !ok || !st.Ready() {
		return time.Time{}, true
	}
	if end, paused := q.modemPaused(id, now); paused {
		return end, true
	}
	if at := lim.wait(now); !at.IsZero() {
		return at, true
	}
	req := store.ClaimRequest{Modem: id, Marketing: q.marketingAllowed(now), Hold: q.held, Now: now}
	q.route(&req, st, all)
	res, err := q.st.Claim(ctx, req)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("claim", slog.String("modem", id), slog.Any("err", err))
		}
		return now.Add(time.Second), true
	}
	for _, h := range res.Held {
		q.addRetry(h.ID, h.Until)
		q.publishMessage(ctx, h.ID)
	}
	for _, sid := range res.Stopped {
		q.publishMessage(ctx, sid)
	}
	if res.Out == nil {
		return time.Time{}, true
	}
	// Claim returned the row as it now is: no need to read it again.
	if m := res.Out.Message; q.hub.active() {
		q.hub.publish(Event{Kind: EventMessage, MessageID: m.ID, CampaignID: m.CampaignID, Number: m.Number, Status: m.Status, At: now})
	}
	q.send(ctx, id, res.Out, lim)
	return time.Time{}, false
}

// route fills the least-cost routing hints of a claim (SPEC Q13): this
// modem prefers destinations on its own operator and leaves those on the
// operator of another ready modem to it.
func (q *Queue) route(req *store.ClaimRequest, self modem.Status, all []modem.Status) {
	if len(q.cfg.Routes) == 0 {
		return
	}
	others := map[string]bool{}
	for _, s := range all {
		if s.ID != self.ID && s.Ready() && s.OperatorCode != self.OperatorCode {
			others[s.OperatorCode] = true
		}
	}
	for _, r := range q.cfg.Routes {
		switch {
		case r.Operator == self.OperatorCode:
			req.Prefer = append(req.Prefer, r.Prefixes...)
		case others[r.Operator]:
			req.Avoid = append(req.Avoid, r.Prefixes...)
		}
	}
}

// send hands the claimed message's parts to the modem one by one,
// recording each result before the next (SPEC Q6).
func (q *Queue) send(ctx context.Context, id string, out *store.Outgoing, lim *limiter) {
	m := out.Message
	part := &out.Part
	// A part handed to the modem is finished even during shutdown: its
	// result must be recorded.
	sendCtx := context.WithoutCancel(ctx)
	for part != nil {
		if at := lim.wait(q.cfg.Clock.Now()); !at.IsZero() {
			// Later parts of a message wait for the rate limit on the
			// same modem (one sender number for the whole message).
			timer, stop := q.cfg.Clock.Timer(at)
			select {
			case <-timer:
			case <-ctx.Done():
				stop()
				q.persist(ctx, "requeue", func(c context.Context) error {
					return q.st.PartRequeue(c, m.ID, part.Seq, "shutting down", time.Time{}, q.cfg.Clock.Now())
				})
				return
			}
		}
		c, cancel := context.WithTimeout(sendCtx, q.cfg.SendTimeout)
		mr, err := q.snd.Send(c, id, part.TPDU)
		cancel()
		now := q.cfg.Clock.Now()
		lim.sent(now)
		if err == nil {
			seq := part.Seq
			part = nil
			q.persist(ctx, "part sent", func(c context.Context) error {
				next, err := q.st.PartSent(c, m.ID, seq, mr, id, now)
				part = next
				return err
			})
			if part == nil {
				q.publishMessage(ctx, m.ID)
			}
			continue
		}
		v := classify(err)
		log := q.log.With(slog.Int64("message_id", m.ID), slog.Int("part", part.Seq), slog.String("modem", id), slog.String("number", m.Number))
		switch v.class {
		case classUncertain:
			log.Warn("send outcome unknown: never resent automatically", slog.String("reason", v.reason))
			seq := part.Seq
			part = nil
			q.persist(ctx, "part unknown", func(c context.Context) error {
				next, err := q.st.PartUnknown(c, m.ID, seq, v.reason, now)
				part = next
				return err
			})
			if part == nil {
				q.publishMessage(ctx, m.ID)
			}
			continue
		case classDown:
			log.Info("modem down: part back in the queue", slog.String("reason", v.reason))
			q.persist(ctx, "requeue", func(c context.Context) error {
				return q.st.PartRequeue(c, m.ID, part.Seq, v.reason, time.Time{}, now)
			})
		case classModem:
			log.Warn("modem or SIM refused the send: pausing the modem", slog.String("reason", v.reason), slog.Duration("pause", q.cfg.ModemPause))
			q.pauseModem(id, now.Add(q.cfg.ModemPause))
			if m.Attempts >= 2*q.cfg.MaxAttempts {
				q.fail(ctx, m, part.Seq, fmt.Sprintf("%s (after %d attempts)", v.reason, m.Attempts), false, now)
				return
			}
			q.persist(ctx, "requeue", func(c context.Context) error {
				return q.st.PartRequeue(c, m.ID, part.Seq, v.reason, time.Time{}, now)
			})
		case classTemporary:
			if m.Attempts >= q.cfg.MaxAttempts {
				log.Warn("temporary error, no attempt left", slog.String("reason", v.reason))
				q.fail(ctx, m, part.Seq, fmt.Sprintf("%s (after %d attempts)", v.reason, m.Attempts), false, now)
				return
			}
			until := now.Add(q.backoffFor(m.Attempts))
			log.Info("temporary error: destination backs off", slog.String("reason", v.reason), slog.Time("until", until))
			q.mu.Lock()
			q.backoff[m.Number] = until
			q.mu.Unlock()
			seq := part.Seq
			q.persist(ctx, "retry", func(c context.Context) error {
				return q.st.PartRequeue(c, m.ID, seq, v.reason, until, now)
			})
			q.addRetry(m.ID, until)
		case classPermanent:
			log.Warn("permanent error", slog.String("reason", v.reason), slog.Bool("bad_number", v.badNumber))
			q.fail(ctx, m, part.Seq, v.reason, v.badNumber, now)
			return
		}
		q.publishMessage(ctx, m.ID)
		return
	}
}

// fail records a final failure and handles a bad number (SPEC I8).
func (q *Queue) fail(ctx context.Context, m store.Message, seq int, reason string, badNumber bool, now time.Time) {
	q.persist(ctx, "part failed", func(c context.Context) error {
		return q.st.PartFailed(c, m.ID, seq, reason, now)
	})
	q.publishMessage(ctx, m.ID)
	if badNumber {
		q.markBadNumber(ctx, m.Number, now)
	}
}

func (q *Queue) markBadNumber(ctx context.Context, number string, now time.Time) {
	if q.cfg.BadNumbersGroup == "-" {
		return
	}
	if err := q.st.MarkBadNumber(context.WithoutCancel(ctx), number, q.cfg.BadNumbersGroup, !q.cfg.BadNumbersKeepGroups, now); err != nil {
		q.log.Error("bad numbers group", slog.String("number", number), slog.Any("err", err))
	}
}

// persist runs a store write that records what a modem did, retrying for a
// while if the database fails: the modem's work cannot be undone. If it
// still fails the part stays "sending" and becomes "unknown" at the next
// start, which never sends twice.
func (q *Queue) persist(ctx context.Context, what string, f func(context.Context) error) {
	c := context.WithoutCancel(ctx)
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := f(c)
		if err == nil {
			return
		}
		if attempt == 8 || errors.Is(err, store.ErrClosed) {
			q.log.Error("cannot record a send result; the part will be unknown after a restart", slog.String("what", what), slog.Any("err", err))
			return
		}
		q.log.Warn("recording a send result failed, retrying", slog.String("what", what), slog.Any("err", err))
		// Real time, not Config.Clock: this waits for the database,
		// not for a schedule.
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}

// publishMessage publishes a message's current status, when anyone
// listens.
func (q *Queue) publishMessage(ctx context.Context, id int64) {
	if !q.hub.active() {
		return
	}
	m, err := q.st.Message(context.WithoutCancel(ctx), id)
	if err != nil {
		q.log.Warn("read message for event", slog.Int64("message_id", id), slog.Any("err", err))
		return
	}
	q.hub.publish(Event{Kind: EventMessage, MessageID: id, CampaignID: m.CampaignID, Number: m.Number, Status: m.Status, At: q.cfg.Clock.Now()})
}
