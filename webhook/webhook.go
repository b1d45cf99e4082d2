// Package webhook delivers gsmbox's notifications to HTTP receivers (SPEC
// A4): delivery reports and received SMS, in the sMsmode formats
// (notification_url, notification_url_reponse), as Kannel dlr-url calls,
// and as JSON signed with HMAC-SHA256.
//
// Nothing is lost: the producer tails the journal (every status change is
// journaled in the transaction that makes it) and the inbound table, and
// turns new rows into rows of the persistent outbox in the same
// transaction that advances its cursors. The sender then delivers due
// outbox rows, retrying with exponential backoff until the receiver
// answers 2xx; every attempt's error is kept (last_error, attempts) and a
// notification that fails for GiveUpAfter is marked given up, visible in
// the API, and can be retried by hand.
//
// Wiring (cmd/gsmbox):
//
//	hooks, err := webhook.New(webhook.Config{Store: st, Logger: log, OperatorCode: ...})
//	go hooks.Run(ctx)
//	events, stop := q.Subscribe(64) // wake on every queue/inbound event
//	go func() { for range events { hooks.Kick() } }()
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gsmbox/store"
	"gsmbox/ui/smsmode"
)

// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(secret, body)) on
// JSON notifications, as GitHub does; receivers recompute it with the
// endpoint's secret and compare in constant time.
const SignatureHeader = "X-Gsmbox-Signature"

// DeliveryHeader carries the outbox id of a notification: a receiver that
// saw it already (its 2xx was lost) can ignore a repeat.
const DeliveryHeader = "X-Gsmbox-Delivery"

// Defaults of Config.
const (
	// DefaultPoll bounds how late a notification is produced when nobody
	// kicks the runner.
	DefaultPoll = time.Second
	// DefaultBackoffMin is the first retry delay; it doubles per attempt.
	DefaultBackoffMin = 10 * time.Second
	// DefaultBackoffMax caps the retry delay.
	DefaultBackoffMax = time.Hour
	// DefaultGiveUpAfter is how long a notification is retried: a week
	// covers a receiver down over a long weekend.
	DefaultGiveUpAfter = 7 * 24 * time.Hour
	// DefaultTimeout bounds one HTTP attempt.
	DefaultTimeout = 15 * time.Second
	// DefaultWorkers is how many notifications are delivered at once, so
	// one slow receiver does not hold up the others.
	DefaultWorkers = 4
	// batch is how many journal or inbound rows one producer transaction
	// turns into notifications, and how many due rows one delivery round
	// takes.
	batch = 256
	// maxErrorText bounds the stored last_error.
	maxErrorText = 500
)

// Cursor settings keys.
const (
	cursorJournal = "webhook.cursor.journal"
	cursorInbound = "webhook.cursor.inbound"
)

// Config configures a Runner. Store is required.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// Client makes the calls (default: DefaultTimeout per attempt).
	Client *http.Client
	// Location is the box's time zone, for the sMsmode and Kannel dates
	// (default time.Local).
	Location *time.Location
	// OperatorCode returns the MCC+MNC of a modem's network, for
	// sMsmode's mcc_mnc; nil or "" leaves it empty.
	OperatorCode func(modemID string) string
	// BoxNumber returns the phone number of a modem's SIM, for sMsmode's
	// numero of a reply and Kannel's %P; nil or "": empty.
	BoxNumber   func(modemID string) string
	Poll        time.Duration
	BackoffMin  time.Duration
	BackoffMax  time.Duration
	GiveUpAfter time.Duration
	Workers     int
	Now         func() time.Time
}

// Runner produces and delivers notifications. Create it with New and run
// it with Run.
type Runner struct {
	cfg    Config
	st     *store.Store
	log    *slog.Logger
	kick   chan struct{}
	panics atomic.Int64
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Store == nil {
		return nil, errors.New("webhook: New needs a store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.OperatorCode == nil {
		cfg.OperatorCode = func(string) string { return "" }
	}
	if cfg.BoxNumber == nil {
		cfg.BoxNumber = func(string) string { return "" }
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(DefaultBackoffMax, cfg.BackoffMin)
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = DefaultGiveUpAfter
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Runner{cfg: cfg, st: cfg.Store, log: cfg.Logger, kick: make(chan struct{}, 1)}, nil
}

// Kick wakes Run now (a send, a status change, a received SMS). It never
// blocks.
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Panics returns how many delivery panics were recovered.
func (r *Runner) Panics() int64 { return r.panics.Load() }

// Run produces and delivers notifications until ctx ends, waking on Kick,
// on the next due retry and at least every Config.Poll. Errors are logged
// and retried; it returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		if _, err := r.Produce(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("webhook: produce notifications", slog.Any("error", err))
		}
		if _, err := r.Deliver(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("webhook: deliver notifications", slog.Any("error", err))
		}
		wait := r.cfg.Poll
		if next, ok, err := r.st.NextWebhookAt(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(r.cfg.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Produce turns the status changes and received SMS recorded since the
// last call into outbox rows, and returns how many rows it enqueued. The
// first call on a database only records where history ends: history is
// never notified.
func (r *Runner) Produce(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := r.produceOnce(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (r *Runner) produceOnce(ctx context.Context) (int, bool, error) {
	if idle, err := r.idle(ctx); err != nil || idle {
		return 0, false, err
	}
	n, more := 0, false
	now := r.cfg.Now()
	err := r.st.Write(ctx, func(tx *store.Tx) error {
		n, more = 0, false
		p := &producer{r: r, tx: tx, now: now, accounts: map[int64]store.Account{}, sends: map[int64]store.Send{}}
		var err error
		if p.endpoints, err = txEndpoints(tx); err != nil {
			return err
		}
		// A cursor never set starts where history ends: reading after
		// the largest possible id returns nothing and that end.
		jcur, err := cursor(tx, cursorJournal)
		if err != nil {
			return err
		}
		evs, jnext, err := tx.StatusEventsAfter(jcur, batch)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := p.status(ev); err != nil {
				return err
			}
		}
		icur, err := cursor(tx, cursorInbound)
		if err != nil {
			return err
		}
		rs, inext, err := tx.RepliesAfter(icur, batch)
		if err != nil {
			return err
		}
		for _, rp := range rs {
			if err := p.inbound(rp); err != nil {
				return err
			}
		}
		more = len(evs) == batch || len(rs) == batch
		n = p.n
		if err := tx.SetSetting(cursorJournal, strconv.FormatInt(jnext, 10)); err != nil {
			return err
		}
		return tx.SetSetting(cursorInbound, strconv.FormatInt(inext, 10))
	})
	return n, more, err
}

// idle reports, from the read pool, that nothing was journaled or
// received since the cursors: the common case, which then costs no write
// transaction.
func (r *Runner) idle(ctx context.Context) (bool, error) {
	j, i, err := r.st.LatestIDs(ctx)
	if err != nil {
		return false, err
	}
	for key, top := range map[string]int64{cursorJournal: j, cursorInbound: i} {
		v, err := r.st.Setting(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		cur, err := strconv.ParseInt(v, 10, 64)
		if err != nil || top > cur {
			return false, nil
		}
	}
	return true, nil
}

// cursor reads a cursor; one never set is math.MaxInt64 (first run: skip
// history).
func cursor(tx *store.Tx, key string) (int64, error) {
	v, err := tx.Setting(key)
	if errors.Is(err, store.ErrNotFound) {
		return math.MaxInt64, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("webhook: cursor %s=%q: %w", key, v, err)
	}
	return n, nil
}

// producer builds the notifications of one transaction.
type producer struct {
	r         *Runner
	tx        *store.Tx
	now       time.Time
	endpoints []Endpoint
	accounts  map[int64]store.Account
	sends     map[int64]store.Send
	n         int
}

func (p *producer) enqueue(event, url, contentType string, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	if _, err := p.tx.EnqueueWebhook(store.Webhook{Event: event, URL: url, ContentType: contentType, Body: body}, p.now); err != nil {
		return err
	}
	p.n++
	return nil
}

func (p *producer) send(id int64) (store.Send, error) {
	if id == 0 {
		return store.Send{}, nil
	}
	if s, ok := p.sends[id]; ok {
		return s, nil
	}
	s, err := p.tx.SendByID(id)
	if err != nil {
		return s, err
	}
	p.sends[id] = s
	return s, nil
}

// concerns reports whether endpoint e receives events of account id (0:
// not attributed to an account, e.g. an SMS that answers nothing): its
// own account's, its sub-accounts', and for a top-level account the
// unattributed ones.
func (p *producer) concerns(e Endpoint, id int64) (bool, error) {
	if id == e.AccountID {
		return true, nil
	}
	look := func(id int64) (store.Account, error) {
		if a, ok := p.accounts[id]; ok {
			return a, nil
		}
		a, err := p.tx.Account(id)
		if errors.Is(err, store.ErrNotFound) {
			return store.Account{ID: id, ParentID: -1}, nil
		}
		if err != nil {
			return a, err
		}
		p.accounts[id] = a
		return a, nil
	}
	if id == 0 {
		a, err := look(e.AccountID)
		return err == nil && a.ParentID == 0, err
	}
	a, err := look(id)
	return err == nil && a.ParentID == e.AccountID, err
}

func (p *producer) status(ev store.StatusEvent) error {
	sid, err := p.tx.MessageSendID(ev.Message.ID)
	if err != nil {
		return err
	}
	sd, err := p.send(sid)
	if err != nil {
		return err
	}
	code, listed := smsmode.Status(ev.Status, ev.ReportFailed)
	ref := ev.Message.RefClient
	if ref == "" {
		ref = sd.RefClient
	}
	loc := p.r.cfg.Location
	if sd.NotifyURL != "" && listed {
		u := smsmodeReportURL(sd.NotifyURL, ev, code, sd.PublicID, ref, p.r.cfg.OperatorCode(ev.Message.Modem), loc)
		if err := p.enqueue("smsmode.report", u, "", nil); err != nil {
			return err
		}
	}
	if sd.DLRURL != "" {
		if v := kannelDLR(ev); v != 0 && sd.DLRMask&v != 0 {
			u := kannelURL(sd.DLRURL, ev, v, p.r.cfg.BoxNumber(ev.Message.Modem), loc)
			if err := p.enqueue("kannel.dlr", u, "", nil); err != nil {
				return err
			}
		}
	}
	for _, e := range p.endpoints {
		if !e.Wants(EventStatus) {
			continue
		}
		ok, err := p.concerns(e, ev.Message.AccountID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch e.Format {
		case FormatSMSmode:
			if listed {
				u := smsmodeReportURL(e.URL, ev, code, sd.PublicID, ref, p.r.cfg.OperatorCode(ev.Message.Modem), loc)
				if err := p.enqueue("smsmode.report", u, "", nil); err != nil {
					return err
				}
			}
		default:
			if err := p.enqueue(EventStatus, e.URL, "application/json", statusBody(ev, sd.PublicID)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *producer) inbound(rp store.Reply) error {
	sd, err := p.send(rp.SendID)
	if err != nil {
		return err
	}
	loc := p.r.cfg.Location
	box := p.r.cfg.BoxNumber(rp.Modem)
	if sd.ReplyURL != "" {
		if err := p.enqueue("smsmode.reply", smsmodeReplyURL(sd.ReplyURL, rp, box, loc), "", nil); err != nil {
			return err
		}
	}
	for _, e := range p.endpoints {
		if !e.Wants(EventInbound) {
			continue
		}
		ok, err := p.concerns(e, rp.AccountID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		switch e.Format {
		case FormatSMSmode:
			err = p.enqueue("smsmode.reply", smsmodeReplyURL(e.URL, rp, box, loc), "", nil)
		default:
			err = p.enqueue(EventInbound, e.URL, "application/json", inboundBodyJSON(rp))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Deliver attempts every due notification once and returns how many were
// acknowledged.
func (r *Runner) Deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		now := r.cfg.Now()
		due, err := r.st.DueWebhooks(ctx, now, batch)
		if err != nil || len(due) == 0 {
			return total, err
		}
		eps, err := Endpoints(ctx, r.st)
		if err != nil {
			return total, err
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			ok   int
			errs []error
		)
		sem := make(chan struct{}, r.cfg.Workers)
		for _, w := range due {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				done, err := r.attempt(ctx, w, eps)
				mu.Lock()
				defer mu.Unlock()
				if done {
					ok++
				}
				if err != nil {
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		total += ok
		if err := errors.Join(errs...); err != nil || ctx.Err() != nil {
			return total, err
		}
		if len(due) < batch {
			return total, nil
		}
	}
}

// attempt delivers one notification and records the outcome. It reports
// whether the receiver acknowledged it; the error is about recording, not
// about the receiver.
func (r *Runner) attempt(ctx context.Context, w store.Webhook, eps []Endpoint) (acked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panics.Add(1)
			r.log.Error("webhook: delivery panic", slog.Int64("webhook_id", w.ID), slog.Any("panic", p))
			err = fmt.Errorf("webhook %d: panic: %v", w.ID, p)
		}
	}()
	callErr := r.call(ctx, w, eps)
	if ctx.Err() != nil {
		// Shutting down: the attempt did not really happen.
		return false, nil
	}
	now := r.cfg.Now()
	// Recording uses its own context: a receiver's 2xx must be written
	// down even if shutdown began meanwhile.
	rctx := context.WithoutCancel(ctx)
	if callErr == nil {
		return true, r.st.WebhookDelivered(rctx, w.ID, now)
	}
	msg := callErr.Error()
	if len(msg) > maxErrorText {
		msg = msg[:maxErrorText]
	}
	giveUp := errors.Is(callErr, errNoEndpoint) || now.Sub(w.CreatedAt) >= r.cfg.GiveUpAfter
	next := now.Add(r.backoff(w.Attempts + 1))
	r.log.Warn("webhook: delivery failed", slog.Int64("webhook_id", w.ID), slog.String("url", redact(w.URL)),
		slog.Int("attempt", w.Attempts+1), slog.Bool("gave_up", giveUp), slog.String("error", msg))
	return false, r.st.WebhookFailed(rctx, w.ID, msg, next, giveUp)
}

// errNoEndpoint: a JSON notification whose endpoint was removed cannot be
// signed any more.
var errNoEndpoint = errors.New("endpoint removed: notification abandoned")

// call makes one HTTP attempt; nil means the receiver answered 2xx.
func (r *Runner) call(ctx context.Context, w store.Webhook, eps []Endpoint) error {
	method, body := http.MethodGet, io.Reader(nil)
	if w.ContentType != "" {
		method, body = http.MethodPost, bytes.NewReader(w.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.URL, body)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("User-Agent", "gsmbox-webhook/1")
	req.Header.Set(DeliveryHeader, strconv.FormatInt(w.ID, 10))
	if w.ContentType != "" {
		req.Header.Set("Content-Type", w.ContentType)
	}
	if w.ContentType == "application/json" {
		secret, ok := secretFor(eps, w.URL)
		if !ok {
			return errNoEndpoint
		}
		req.Header.Set(SignatureHeader, Sign(secret, w.Body))
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

// Sign returns the SignatureHeader value of body for secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func secretFor(eps []Endpoint, url string) (string, bool) {
	for _, e := range eps {
		if e.URL == url && e.Format == FormatJSON {
			return e.Secret, true
		}
	}
	return "", false
}

// backoff is the delay before attempt n+1: BackoffMin doubling per
// attempt, capped at BackoffMax, with ±20% jitter so that retries of many
// notifications to one receiver spread out.
func (r *Runner) backoff(n int) time.Duration {
	d := r.cfg.BackoffMin
	for i := 1; i < n && d < r.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, r.cfg.BackoffMax)
	j := time.Duration(rand.Int64N(int64(d)/5 + 1))
	if rand.IntN(2) == 0 {
		return d - j
	}
	return d + j
}

// redact drops the query of a URL for logs (it may carry texts or
// tokens).
func redact(u string) string {
	if i := bytes.IndexByte([]byte(u), '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
