// Package queue is gsmbox's outbound side (SPEC §5): it accepts send
// requests (validate and normalise numbers, expand groups, mail-merge,
// filter the STOP list and duplicates, charge credits), stores one message
// per recipient with its parts already encoded, schedules them, dispatches
// them to the modems and records results and delivery reports.
//
// Durability rules (SPEC Q6): a part is committed "sending" before it is
// handed to a modem and "sent" with its TP-MR after; at start, a part left
// "sending" becomes "unknown" and is never resent unless Config.AtLeastOnce
// is set. The queue holds no state that matters across a restart other
// than what the store holds; in-memory state (destination backoffs, rate
// limits) is rebuilt.
//
// Wake-ups: Submit, the scheduler's timer and modem state changes kick a
// coordinator goroutine, which wakes the per-modem workers; a worker that
// finishes a message claims the next one at once, so a modem never idles
// while work is due and nothing waits for a poll.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gsmbox/modem"
	"gsmbox/pdu"
	"gsmbox/store"
)

// Sender is what the dispatcher needs from the modems; *modem.Pool
// implements it.
type Sender interface {
	// Send hands one SMS-SUBMIT TPDU (no SMSC) to modem id and returns its
	// TP-MR. Errors: modem.ErrDown (not handed over: another modem or
	// later), modem.ErrTimeout or a context error (MAY have been sent),
	// *modem.CMSError (refused; see classify), anything else temporary.
	Send(ctx context.Context, modemID string, tpdu []byte) (mr int, err error)
	// Statuses returns a snapshot of every modem.
	Statuses() []modem.Status
}

// Clock is the queue's source of time, injectable so tests can move time
// without sleeping.
type Clock interface {
	Now() time.Time
	// Timer returns a channel that receives once the clock reaches
	// deadline (at once when it already has), and a function that stops
	// the timer. Deadlines are absolute so that time passing between
	// computing one and arming the timer is never lost.
	Timer(deadline time.Time) (<-chan time.Time, func() bool)
}

// SystemClock is the real clock. Its times carry Go's monotonic reading, so
// backoffs computed from them survive wall-clock jumps (an RTC-less board
// syncing from 1970, SPEC Q7).
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Timer wraps time.NewTimer. A deadline taken from Now (plus a duration)
// keeps the monotonic reading, so the wait is immune to wall-clock jumps.
func (SystemClock) Timer(deadline time.Time) (<-chan time.Time, func() bool) {
	t := time.NewTimer(time.Until(deadline))
	return t.C, t.Stop
}

// Defaults of Config.
const (
	DefaultCountry         = "FR"
	DefaultDuplicateWindow = 24 * time.Hour // SMStoB code 91
	DefaultRetryMin        = 30 * time.Second
	DefaultRetryMax        = time.Hour
	DefaultMaxAttempts     = 8
	DefaultModemPause      = time.Minute // after an error that blames the SIM or modem
	DefaultSendTimeout     = 3 * time.Minute
	DefaultReportWindow    = 7 * 24 * time.Hour // TP-MR wraps at 256: older parts cannot match
	DefaultBadNumbersGroup = "Mauvais numéros"
	DefaultStopText        = "STOP SMS: répondez STOP"
	// stateRefresh is how often modem states are re-read while a modem is
	// not ready, in case a state change was not reported.
	stateRefresh = 5 * time.Second
	// clockRecheck is how often an implausible clock is looked at again.
	clockRecheck = 10 * time.Second
)

// DefaultMinPlausibleTime is the earliest wall-clock time taken as real: a
// board without an RTC boots in 1970 until NTP answers (SPEC Q7).
var DefaultMinPlausibleTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Route is one least-cost routing rule (SPEC Q13): destinations whose E.164
// number starts with one of Prefixes go preferably through a SIM of
// Operator (MCC+MNC as modem.Status.OperatorCode reports it).
type Route struct {
	Operator string
	Prefixes []string
}

// Config tunes the queue. The zero value is usable: every field has a
// default.
type Config struct {
	Logger *slog.Logger
	Clock  Clock
	// Location is the box's time zone, for schedules, quiet hours and
	// daily quotas (default time.Local).
	Location *time.Location
	// DefaultCountry is the ISO 3166 region of national numbers (SPEC Q2).
	DefaultCountry string
	// DuplicateWindow is the duplicate guard's window: the same text to the
	// same number within it is refused (SPEC Q7). Negative disables it.
	DuplicateWindow time.Duration
	// MaxParts caps a message's parts (default pdu.DefaultMaxParts).
	MaxParts int
	// NoStatusReports stops requesting SMS-STATUS-REPORTs (TP-SRR).
	NoStatusReports bool
	// Validity is the default TP-VP of sent messages (0: the SMSC's).
	Validity time.Duration
	// QuietHours restricts marketing messages (SPEC Q7).
	QuietHours QuietHours
	// MinPlausibleTime: before it, no scheduled send goes (default
	// DefaultMinPlausibleTime).
	MinPlausibleTime time.Time
	// AtLeastOnce resends, after a crash, parts that were "sending"
	// (default: at-most-once, they become unknown; SPEC Q6).
	AtLeastOnce bool
	// RatePerMinute limits each modem to this many SMS parts per minute
	// (0: no limit); ModemRates overrides it per modem id.
	RatePerMinute int
	ModemRates    map[string]int
	// RetryMin and RetryMax bound the per-destination exponential backoff
	// after a temporary error (SPEC Q12).
	RetryMin, RetryMax time.Duration
	// MaxAttempts is how many times a message is handed to modems before a
	// temporary error becomes final.
	MaxAttempts int
	// ModemPause is how long a modem is left alone after an error that
	// blames its SIM or the modem itself.
	ModemPause time.Duration
	// SendTimeout bounds one Sender.Send call.
	SendTimeout time.Duration
	// ReportWindow is how old a sent part may be to match a status report.
	ReportWindow time.Duration
	// Routes enable least-cost routing (SPEC Q13); empty: load spread only.
	Routes []Route
	// BadNumbersGroup is the group numbers failing permanently join (SPEC
	// I8); "-" disables it. BadNumbersKeepGroups leaves them in their
	// other groups (SMStoB removes them).
	BadNumbersGroup      string
	BadNumbersKeepGroups bool
	// StopText is the mention appended by Request.StopMention (SPEC P5).
	StopText string
}

func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.DefaultCountry == "" {
		c.DefaultCountry = DefaultCountry
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxParts == 0 {
		c.MaxParts = pdu.DefaultMaxParts
	}
	if c.MinPlausibleTime.IsZero() {
		c.MinPlausibleTime = DefaultMinPlausibleTime
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.ModemPause <= 0 {
		c.ModemPause = DefaultModemPause
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.ReportWindow <= 0 {
		c.ReportWindow = DefaultReportWindow
	}
	if c.BadNumbersGroup == "" {
		c.BadNumbersGroup = DefaultBadNumbersGroup
	}
	if c.StopText == "" {
		c.StopText = DefaultStopText
	}
	q, err := c.QuietHours.withDefaults()
	if err != nil {
		return c, err
	}
	c.QuietHours = q
	return c, nil
}

// Queue is the outbound queue. Create it with New, then Start it.
type Queue struct {
	st  *store.Store
	snd Sender
	cfg Config
	log *slog.Logger

	kick chan struct{} // capacity 1: Submit and others never block on it
	hub  hub

	numbers *normalizer

	mu      sync.Mutex
	wake    chan struct{}        // closed to wake every idle worker, then replaced
	workers map[string]bool      // modem ids with a running worker
	backoff map[string]time.Time // destination -> end of its backoff (SPEC Q12)
	retries retryHeap            // messages parked in StatusRetry
	paused  map[string]time.Time // modem -> end of its pause

	wg      sync.WaitGroup
	started bool
	panics  int // recovered worker panics, for tests and metrics
}

// New returns a queue over st sending through snd. snd may be nil for a
// queue that only accepts (offline tools); Start then fails.
func New(st *store.Store, snd Sender, cfg Config) (*Queue, error) {
	if st == nil {
		return nil, errors.New("queue: nil store")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	numbers, err := newNormalizer(cfg.DefaultCountry)
	if err != nil {
		return nil, err
	}
	return &Queue{
		numbers: numbers,
		st:      st,
		snd:     snd,
		cfg:     cfg,
		log:     cfg.Logger,
		kick:    make(chan struct{}, 1),
		wake:    make(chan struct{}),
		workers: map[string]bool{},
		backoff: map[string]time.Time{},
		paused:  map[string]time.Time{},
	}, nil
}

// Start recovers from a previous run (SPEC Q6) and starts the scheduler and
// the dispatcher; they stop when ctx ends (Wait waits for them). Parts
// being handed to a modem when ctx ends are finished and recorded first.
func (q *Queue) Start(ctx context.Context) error {
	if q.snd == nil {
		return errors.New("queue: start: no sender")
	}
	q.mu.Lock()
	if q.started {
		q.mu.Unlock()
		return errors.New("queue: already started")
	}
	q.started = true
	q.mu.Unlock()
	now := q.cfg.Clock.Now()
	rec, err := q.st.Recover(ctx, q.cfg.AtLeastOnce, now)
	if err != nil {
		return fmt.Errorf("queue: recover: %w", err)
	}
	if len(rec.Unknown) > 0 || len(rec.Requeued) > 0 || rec.Retries > 0 {
		q.log.Warn("recovered after restart", slog.Int("unknown", len(rec.Unknown)),
			slog.Int("requeued", len(rec.Requeued)), slog.Int("retries_released", rec.Retries),
			slog.Bool("at_least_once", q.cfg.AtLeastOnce))
	}
	for _, id := range rec.Unknown {
		q.hub.publish(Event{Kind: EventMessage, MessageID: id, Status: store.StatusUnknown, At: now})
	}
	q.wg.Add(1)
	go q.coordinate(ctx)
	q.Kick()
	return nil
}

// Wait blocks until the goroutines started by Start have returned (after
// its context ended).
func (q *Queue) Wait() { q.wg.Wait() }

// Kick tells the dispatcher to look for work now: new messages, a changed
// schedule, a modem that came back. It never blocks.
func (q *Queue) Kick() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// ModemChanged is called when a modem's state changes (wire it to
// modem.Handler.State); it wakes the dispatcher and publishes the state.
func (q *Queue) ModemChanged(s modem.Status) {
	q.hub.publish(Event{Kind: EventModem, Modem: s.ID, ModemState: s.State, At: q.cfg.Clock.Now()})
	q.Kick()
}

// Location returns the box's time zone.
func (q *Queue) Location() *time.Location { return q.cfg.Location }

// Panics returns how many worker panics were recovered since New.
func (q *Queue) Panics() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.panics
}
