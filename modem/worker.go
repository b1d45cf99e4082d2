package modem

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/modem/at"
	"github.com/warthog618/modem/trace"
)

// Defaults for Config. Each one is used when the Config field is zero.
const (
	// DefaultCmdTimeout bounds ordinary commands. The at package's own default
	// (1 s) is too short for +COPS? or +CMGL on a busy modem.
	DefaultCmdTimeout = 5 * time.Second
	// DefaultSendTimeout bounds +CMGS: the modem answers only when the SMSC
	// has acknowledged the submit, which takes seconds on a loaded network.
	DefaultSendTimeout = 60 * time.Second
	// DefaultPollInterval is how often signal, registration and operator are
	// refreshed and modem storage is swept for PDUs whose indication was lost.
	DefaultPollInterval = 30 * time.Second
	// DefaultReopenMin and DefaultReopenMax bound the back-off between two
	// attempts to reopen a modem that went down.
	DefaultReopenMin = 250 * time.Millisecond
	DefaultReopenMax = 10 * time.Second
	// callGap separates two calls from one number: RING repeats every few
	// seconds during one call.
	callGap = 10 * time.Second
	// waitPoll is the pace of polling while waiting for the SIM or the network.
	waitPoll = time.Second
)

// DefaultInitCmds are sent after ATZ/ATE0 once the SIM is ready (3GPP TS
// 27.005 3.2.1, 3.2.3, 3.4.1; TS 27.007 9.1, 7.6). A failing command is logged
// and skipped, except +CMGF=0 (PDU mode) without which nothing works.
var DefaultInitCmds = []string{"+CMEE=1", "+CMGF=0", "+CSMS=1", "+CLIP=1"}

// DefaultCNMI lists the new-message indication settings tried in order: store
// SMS and status reports and tell us where (+CMTI/+CDSI), so that nothing is
// lost if we crash before committing; then direct status reports (+CDS); then
// the most basic form older modems accept.
var DefaultCNMI = []string{"+CNMI=2,1,0,2,0", "+CNMI=2,1,0,1,0", "+CNMI=1,1,0,0,0"}

// errPortClosed ends a session whose port went away (unplug, read error).
var errPortClosed = errors.New("modem: port closed")

// Config configures the modem workers of a Pool.
type Config struct {
	BaudRate     int
	PIN          string        // entered at most once per session, so a wrong PIN never locks the SIM
	InitCmds     []string      // default DefaultInitCmds
	CNMI         []string      // default DefaultCNMI
	CmdTimeout   time.Duration // default DefaultCmdTimeout
	SendTimeout  time.Duration // default DefaultSendTimeout
	PollInterval time.Duration // default DefaultPollInterval
	ReopenMin    time.Duration // default DefaultReopenMin
	ReopenMax    time.Duration // default DefaultReopenMax
	Handler      Handler       // required
	Logger       *slog.Logger  // nil discards
}

func (c Config) withDefaults() Config {
	if c.InitCmds == nil {
		c.InitCmds = DefaultInitCmds
	}
	if c.CNMI == nil {
		c.CNMI = DefaultCNMI
	}
	if c.CmdTimeout <= 0 {
		c.CmdTimeout = DefaultCmdTimeout
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.ReopenMin <= 0 {
		c.ReopenMin = DefaultReopenMin
	}
	if c.ReopenMax <= 0 {
		c.ReopenMax = DefaultReopenMax
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

type sendResult struct {
	mr  int
	err error
}

// atReq is a raw AT command typed by a technician (gsmbox at).
type atReq struct {
	cmd  string
	done chan atResult // buffered
}

type atResult struct {
	lines []string
	err   error
}

type sendReq struct {
	tpdu []byte
	done chan sendResult // buffered: the worker never blocks on a caller that gave up
}

// worker owns one modem: its goroutine is the only user of the port and of
// the AT session, and it reopens both when the modem goes away (SPEC M8).
type worker struct {
	id    string
	cfg   Config
	log   *slog.Logger
	sends chan sendReq
	ats   chan atReq

	mu     sync.Mutex
	status Status

	sent, received, errs atomic.Int64
}

func newWorker(id string, cfg Config) *worker {
	w := &worker{
		id:    id,
		cfg:   cfg,
		log:   cfg.Logger.With(slog.String("modem", id)),
		sends: make(chan sendReq),
		ats:   make(chan atReq),
	}
	w.status = Status{ID: id, State: StateDown, Signal: 99, Since: time.Now()}
	return w
}

// Status returns a snapshot of the modem.
func (w *worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	s.Sent, s.Received, s.Errors = w.sent.Load(), w.received.Load(), w.errs.Load()
	return s
}

// update changes the status under the lock and reports state changes.
func (w *worker) update(f func(s *Status)) {
	w.mu.Lock()
	before := w.status.State
	f(&w.status)
	w.status.Updated = time.Now()
	if w.status.State != before {
		w.status.Since = w.status.Updated
	}
	changed := w.status.State != before
	w.mu.Unlock()
	if changed {
		s := w.Status()
		w.log.Info("modem state", slog.String("state", string(s.State)), slog.String("error", s.LastError))
		w.cfg.Handler.State(s)
	}
}

func (w *worker) setState(st State, err error) {
	w.update(func(s *Status) {
		s.State = st
		if err != nil {
			s.LastError = err.Error()
		} else if st == StateReady {
			s.LastError = ""
		}
	})
}

// run keeps the modem open until ctx is cancelled, reopening it with
// back-off whenever a session ends.
func (w *worker) run(ctx context.Context) {
	backoff := w.cfg.ReopenMin
	for {
		reachedReady, err := w.safeSession(ctx)
		if ctx.Err() != nil {
			w.setState(StateStopped, nil)
			return
		}
		w.setState(StateDown, err)
		if reachedReady {
			backoff = w.cfg.ReopenMin
		}
		w.log.Warn("modem session ended", slog.Any("error", err), slog.Duration("retry_in", backoff))
		timer := time.NewTimer(backoff)
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				w.setState(StateStopped, nil)
				return
			case req := <-w.sends:
				req.done <- sendResult{err: ErrDown}
			case req := <-w.ats:
				req.done <- atResult{err: ErrDown}
			case <-timer.C:
				break wait
			}
		}
		backoff = min(backoff*2, w.cfg.ReopenMax)
	}
}

// safeSession runs one session and turns a panic into an error, so that a
// bug triggered by odd modem output never takes the process down (SPEC S7).
func (w *worker) safeSession(ctx context.Context) (reachedReady bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("modem worker panic", slog.Any("panic", r))
			err = fmt.Errorf("modem: worker panic: %v", r)
		}
	}()
	s := &session{w: w}
	err = s.run(ctx)
	return s.wasReady, err
}

// session is one open port and AT session; it ends when the port closes,
// the modem stops answering or ctx is cancelled.
type session struct {
	w        *worker
	a        *at.AT
	urcs     chan urc
	wasReady bool

	ackPushed  bool   // +CSMS=1 accepted: +CMT/+CDS must be acknowledged with +CNMA
	clip       bool   // +CLIP=1 accepted
	readMem    string // current +CPMS read storage, "" when unknown
	sweepMem   string // the read storage at start, where new SMS land; swept
	registered bool
	lastCall   time.Time
	lastNumber string
}

func (s *session) run(ctx context.Context) error {
	w := s.w
	w.setState(StateOpening, nil)
	port, err := openPort(w.id, w.cfg.BaudRate)
	if err != nil {
		return err
	}
	real, _ := filepath.EvalSymlinks(w.id)
	w.update(func(st *Status) { st.Port = real })
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	defer port.Close()

	done := make(chan struct{})
	defer close(done)
	s.urcs = make(chan urc, 64)
	var rw io.ReadWriter = port
	if w.log.Enabled(ctx, slog.LevelDebug) {
		// AT traffic in the log, for a technician chasing a modem quirk.
		rw = trace.New(port, trace.WithLogger(slog.NewLogLogger(w.log.Handler(), slog.LevelDebug)))
	}
	s.a = at.New(rw, at.WithTimeout(w.cfg.CmdTimeout))
	if err := addIndications(s.a, s.urcs, done); err != nil {
		return fmt.Errorf("modem: add indications: %w", err)
	}
	if err := s.a.Init(at.WithCmds("Z", "E0")); err != nil {
		return fmt.Errorf("modem: init: %w", err)
	}
	s.identify()
	if err := s.waitSIM(ctx); err != nil {
		return err
	}
	if err := s.configure(); err != nil {
		return err
	}
	s.identifySIM()
	s.sweep(ctx)
	s.poll()
	return s.loop(ctx)
}

// cmd runs one AT command and classifies its error.
func (s *session) cmd(c string, opts ...at.CommandOption) ([]string, error) {
	info, err := s.a.Command(c, opts...)
	if err != nil {
		if errors.Is(err, at.ErrDeadlineExceeded) {
			return info, fmt.Errorf("modem: AT%s: %w", c, ErrTimeout)
		}
		return info, fmt.Errorf("modem: AT%s: %w", c, ClassifyATError(err))
	}
	return info, nil
}

// identify reads what the modem says of itself (SPEC M3); none of it is
// required, so failures only leave fields empty.
func (s *session) identify() {
	get := func(c, prefix string) string {
		info, err := s.cmd(c)
		if err != nil {
			return ""
		}
		return ParseIdentity(info, prefix)
	}
	manu, model, fw, imei := get("+CGMI", "+CGMI"), get("+CGMM", "+CGMM"), get("+CGMR", "+CGMR"), get("+CGSN", "+CGSN")
	s.w.update(func(st *Status) {
		st.Manufacturer, st.Model, st.Firmware, st.IMEI = manu, model, fw, imei
	})
}

// identifySIM reads the SIM's identifiers, available once the SIM is ready.
func (s *session) identifySIM() {
	imsi := ""
	if info, err := s.cmd("+CIMI"); err == nil {
		imsi = ParseIdentity(info, "+CIMI")
	}
	iccid := ""
	for _, c := range []string{"+CCID", "+ICCID", "^ICCID?"} {
		if info, err := s.cmd(c); err == nil {
			if iccid = ParseIdentity(info, strings.TrimSuffix(c, "?")); iccid != "" {
				break
			}
		}
	}
	s.w.update(func(st *Status) { st.IMSI, st.ICCID = imsi, iccid })
}

// waitSIM waits for +CPIN: READY, entering the configured PIN at most once
// (SPEC M2, M11).
func (s *session) waitSIM(ctx context.Context) error {
	pinTried := false
	for {
		info, err := s.cmd("+CPIN?")
		state, perr := ParseCPIN(info)
		if perr == nil && state == "READY" {
			// Some Wavecom firmware prints +CPIN: READY without a final
			// OK: the command times out, but the answer is there.
			return nil
		}
		if err != nil && errors.Is(err, ErrTimeout) {
			return err
		}
		switch {
		case err == nil && state == "SIM PIN" && s.w.cfg.PIN != "" && !pinTried:
			pinTried = true
			if _, err := s.cmd(`+CPIN="` + s.w.cfg.PIN + `"`); err != nil {
				s.w.setState(StateWaitingSIM, fmt.Errorf("modem: SIM PIN rejected, not retried: %w", err))
			}
		default:
			reason := state
			if err != nil {
				reason = err.Error()
			}
			s.w.setState(StateWaitingSIM, fmt.Errorf("modem: SIM not ready: %s", reason))
		}
		if err := s.pause(ctx, waitPoll); err != nil {
			return err
		}
	}
}

// pause waits d while still draining URCs, or returns why the session ends.
func (s *session) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.a.Closed():
			return errPortClosed
		case u := <-s.urcs:
			s.handleURC(ctx, u)
		case <-t.C:
			return nil
		}
	}
}

// configure applies the SMS settings (SPEC M2). They are re-applied in
// every session because a reset or replug forgets them.
func (s *session) configure() error {
	for _, c := range s.w.cfg.InitCmds {
		if _, err := s.cmd(c); err != nil {
			if c == "+CMGF=0" || errors.Is(err, ErrTimeout) {
				return err
			}
			s.w.log.Warn("init command refused", slog.String("cmd", c), slog.Any("error", err))
			continue
		}
		switch {
		case strings.HasPrefix(c, "+CSMS=1"):
			s.ackPushed = true
		case strings.HasPrefix(c, "+CLIP=1"):
			s.clip = true
		}
	}
	var cnmiErr error
	for _, c := range s.w.cfg.CNMI {
		if _, cnmiErr = s.cmd(c); cnmiErr == nil {
			break
		}
	}
	if cnmiErr != nil {
		return fmt.Errorf("modem: no new-message indication setting accepted: %w", cnmiErr)
	}
	if info, err := s.cmd("+CPMS?"); err == nil {
		if uses, err := ParseCPMS(info); err == nil && len(uses) > 0 {
			s.readMem, s.sweepMem = uses[0].Mem, uses[0].Mem
			if uses[0].Total > 0 && uses[0].Used >= uses[0].Total {
				s.w.log.Warn("modem storage full: reading it now", slog.String("storage", uses[0].Mem), slog.Int("used", uses[0].Used))
			}
		}
	}
	// Numeric operator codes are what least-cost routing compares; the name
	// is read in poll with format 0.
	s.cmd("+COPS=3,2")
	if info, err := s.cmd("+COPS?"); err == nil {
		if op, err := ParseCOPS(info); err == nil {
			s.w.update(func(st *Status) { st.OperatorCode = op.Name })
		}
	}
	s.cmd("+COPS=3,0")
	return nil
}

// loop serves sends and URCs until the session ends.
func (s *session) loop(ctx context.Context) error {
	w := s.w
	tick := time.NewTicker(w.cfg.PollInterval)
	defer tick.Stop()
	wait := time.NewTicker(waitPoll)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.a.Closed():
			return errPortClosed
		case u := <-s.urcs:
			s.handleURC(ctx, u)
		case req := <-w.sends:
			if err := s.send(req); err != nil {
				return err
			}
		case req := <-w.ats:
			info, err := s.a.Command(req.cmd, at.WithTimeout(w.cfg.SendTimeout))
			switch {
			case errors.Is(err, at.ErrDeadlineExceeded):
				err = ErrTimeout
			case err != nil:
				err = ClassifyATError(err)
			}
			req.done <- atResult{lines: info, err: err}
		case <-wait.C:
			if !s.registered {
				if err := s.checkRegistration(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := s.poll(); err != nil {
				return err
			}
			s.sweep(ctx)
		}
	}
}

// send submits one TPDU with +CMGS (3GPP TS 27.005 3.5.1). A timeout may
// leave the modem wedged: the session ends if a plain AT then fails too.
func (s *session) send(req sendReq) error {
	w := s.w
	if !s.registered {
		req.done <- sendResult{err: ErrDown}
		return nil
	}
	pduHex := "00" + strings.ToUpper(hex.EncodeToString(req.tpdu))
	info, err := s.a.SMSCommand(fmt.Sprintf("+CMGS=%d", len(req.tpdu)), pduHex, at.WithTimeout(w.cfg.SendTimeout))
	if err != nil {
		w.errs.Add(1)
		if errors.Is(err, at.ErrDeadlineExceeded) {
			req.done <- sendResult{err: fmt.Errorf("modem %s: +CMGS: %w", w.id, ErrTimeout)}
			if _, perr := s.cmd(""); perr != nil {
				return fmt.Errorf("modem: not answering after a +CMGS timeout: %w", perr)
			}
			return nil
		}
		var cms at.CMSError
		var cme at.CMEError
		if errors.As(err, &cms) || errors.As(err, &cme) || errors.Is(err, at.ErrError) {
			// The modem answered: the SMS did not go.
			req.done <- sendResult{err: fmt.Errorf("modem %s: +CMGS: %w", w.id, ClassifyATError(err))}
			return nil
		}
		// The port failed (closed, I/O error on unplug): the PDU may have
		// been written before it went. Not ErrDown, which would let the
		// queue resend it through another modem.
		req.done <- sendResult{err: fmt.Errorf("modem %s: port failed during +CMGS, the SMS may have gone (%v): %w", w.id, err, ErrTimeout)}
		return fmt.Errorf("modem: port failed during +CMGS: %w", err)
	}
	mr, err := ParseCMGS(info)
	if err != nil {
		// The modem said OK: the SMS went, only its MR is unreadable.
		w.log.Warn("unreadable +CMGS answer", slog.Any("info", info), slog.Any("error", err))
		mr = -1
	}
	w.sent.Add(1)
	req.done <- sendResult{mr: mr}
	return nil
}

// poll refreshes signal, registration and operator (SPEC M3).
func (s *session) poll() error {
	rssi := 99
	if info, err := s.cmd("+CSQ"); err == nil {
		if r, _, err := ParseCSQ(info); err == nil {
			rssi = r
		}
	} else if errors.Is(err, ErrTimeout) {
		return err
	}
	dbm, _ := RSSIToDBm(rssi)
	op := ""
	if info, err := s.cmd("+COPS?"); err == nil {
		if o, err := ParseCOPS(info); err == nil {
			op = o.Name
		}
	}
	s.w.update(func(st *Status) { st.Signal, st.SignalDBm, st.Operator = rssi, dbm, op })
	return s.checkRegistration()
}

// checkRegistration reads +CREG? and moves between registering and ready.
func (s *session) checkRegistration() error {
	info, err := s.cmd("+CREG?")
	if err != nil {
		if errors.Is(err, ErrTimeout) {
			return err
		}
		s.w.log.Warn("+CREG? failed", slog.Any("error", err))
		return nil
	}
	var reg Registration
	found := false
	for _, l := range info {
		if strings.HasPrefix(l, "+CREG:") {
			if r, err := ParseCREG(l); err == nil {
				reg, found = r, true
			}
		}
	}
	if !found {
		return nil
	}
	s.registered = reg.Registered()
	st := StateRegistering
	if s.registered {
		st = StateReady
		s.wasReady = true
	}
	s.w.update(func(x *Status) { x.Registration = reg.Stat })
	s.w.setState(st, nil)
	return nil
}

// sweep reads every PDU held in modem storage, so messages that arrived
// while we were down, or whose indication was lost, are committed and the
// storage never fills up (SPEC M5, M11).
func (s *session) sweep(ctx context.Context) {
	// A status report read from "SR" leaves the read storage there.
	if err := s.selectStorage(s.sweepMem); err != nil {
		s.w.log.Warn("cannot select storage to sweep", slog.String("storage", s.sweepMem), slog.Any("error", err))
		return
	}
	info, err := s.cmd("+CMGL=4")
	if err != nil {
		s.w.log.Warn("storage sweep failed", slog.Any("error", err))
		return
	}
	list, err := ParsePDUList(info)
	if err != nil {
		// The unreadable entries stay in storage: nothing is deleted unread.
		s.w.log.Error("unreadable PDUs left in modem storage", slog.Any("error", err))
	}
	for _, p := range list {
		kind, ok := inboundKind(p.PDU)
		if !ok {
			continue // our own stored SMS-SUBMIT drafts are not ours to delete
		}
		s.commitStored(ctx, kind, s.sweepMem, p)
	}
}

// inboundKind reads TP-MTI (3GPP TS 23.040 9.2.3.1) from a PDU that starts
// with its SMSC field.
func inboundKind(pdu []byte) (InboundKind, bool) {
	if len(pdu) < 2 || int(pdu[0])+1 >= len(pdu) {
		return 0, false
	}
	switch pdu[int(pdu[0])+1] & 0x03 {
	case 0:
		return InboundSMS, true
	case 2:
		return InboundStatusReport, true
	}
	return 0, false
}

// commitStored hands a stored PDU to the handler and deletes it from
// storage only once the handler has committed it.
func (s *session) commitStored(ctx context.Context, kind InboundKind, storage string, p StoredPDU) {
	w := s.w
	in := Inbound{Modem: w.id, Kind: kind, PDU: p.PDU, Storage: storage, Index: p.Index, Received: time.Now()}
	if err := w.cfg.Handler.Inbound(ctx, in); err != nil {
		w.log.Error("inbound not committed, left in modem storage", slog.Int("index", p.Index), slog.Any("error", err))
		return
	}
	w.received.Add(1)
	if _, err := s.cmd(fmt.Sprintf("+CMGD=%d", p.Index)); err != nil {
		w.log.Warn("+CMGD failed; the PDU will be read again and de-duplicated", slog.Int("index", p.Index), slog.Any("error", err))
	}
}

// selectStorage makes mem the +CPMS read storage when an indication names
// another one (status reports often go to "SR").
func (s *session) selectStorage(mem string) error {
	if mem == "" || mem == s.readMem {
		return nil
	}
	if _, err := s.cmd(`+CPMS="` + mem + `"`); err != nil {
		return err
	}
	s.readMem = mem
	return nil
}

func (s *session) handleURC(ctx context.Context, u urc) {
	w := s.w
	kind := InboundSMS
	if u.status {
		kind = InboundStatusReport
	}
	switch u.kind {
	case urcStored:
		mem, idx, err := ParseStorageIndication(u.lines[0])
		if err != nil {
			w.log.Warn("odd storage indication", slog.Any("lines", u.lines), slog.Any("error", err))
			return
		}
		if err := s.selectStorage(mem); err != nil {
			w.log.Warn("cannot select storage; the sweep will read it", slog.String("storage", mem), slog.Any("error", err))
			return
		}
		info, err := s.cmd(fmt.Sprintf("+CMGR=%d", idx))
		if err != nil {
			w.log.Warn("+CMGR failed; the sweep will read it", slog.Int("index", idx), slog.Any("error", err))
			return
		}
		p, err := ParseCMGR(info, idx)
		if err != nil {
			if !errors.Is(err, ErrEmptySlot) {
				w.log.Error("unreadable stored PDU left in storage", slog.Int("index", idx), slog.Any("error", err))
			}
			return
		}
		s.commitStored(ctx, kind, mem, p)
	case urcPushed:
		p, err := ParsePushedPDU(u.lines)
		if err != nil {
			// Not acknowledged: the network delivers it again later.
			w.log.Error("unreadable pushed PDU, not acknowledged", slog.Any("lines", u.lines), slog.Any("error", err))
			return
		}
		in := Inbound{Modem: w.id, Kind: kind, PDU: p.PDU, Index: -1, Received: time.Now()}
		if err := w.cfg.Handler.Inbound(ctx, in); err != nil {
			w.log.Error("pushed PDU not committed, not acknowledged", slog.Any("error", err))
			return
		}
		w.received.Add(1)
		if s.ackPushed {
			if _, err := s.cmd("+CNMA"); err != nil {
				w.log.Warn("+CNMA failed", slog.Any("error", err))
			}
		}
	case urcRing:
		if !s.clip {
			s.call(ctx, "")
		}
	case urcCLIP:
		number, _, err := ParseCLIP(u.lines[0])
		if err != nil {
			w.log.Warn("odd +CLIP", slog.Any("lines", u.lines), slog.Any("error", err))
		}
		s.call(ctx, number)
	}
}

// call records one call per ringing sequence: RING and +CLIP repeat every
// few seconds while the phone rings.
func (s *session) call(ctx context.Context, number string) {
	now := time.Now()
	same := number == s.lastNumber && now.Sub(s.lastCall) < callGap
	s.lastCall, s.lastNumber = now, number
	if same {
		return
	}
	s.w.cfg.Handler.Call(ctx, Call{Modem: s.w.id, Number: number, At: now})
}
