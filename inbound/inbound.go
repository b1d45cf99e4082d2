// Package inbound handles what the modems receive (SPEC §6, M5-M7): it is
// the modem.Handler of the box. Every SMS-DELIVER is committed to the store
// before Inbound returns nil, which is when the modem acknowledges or
// deletes it (SPEC M5); parts of concatenated messages are kept in the
// store until their siblings arrive or a timeout passes (SPEC P4); a PDU
// the network delivers twice is stored once (SPEC I9). Received messages
// are threaded into conversations, marked unread and published live;
// STOP / START / CONTACT keywords are acted upon in the same transaction
// (SPEC I2, I3). Status reports go to the queue (SPEC M6, Q10); calls to
// the calls log (SPEC M7).
package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"gsmbox/modem"
	"gsmbox/pdu"
	"gsmbox/queue"
	"gsmbox/store"
)

// Defaults of Config.
const (
	// DefaultPartTimeout is how long the parts of a concatenated message
	// wait for the missing ones before the message is stored incomplete.
	DefaultPartTimeout = 24 * time.Hour
	// DefaultSeenRetention is how long fingerprints of merged parts are
	// kept to recognise a late duplicate.
	DefaultSeenRetention = 7 * 24 * time.Hour
	// DefaultStopReply confirms a STOP (SMStoB sends one, customisable).
	DefaultStopReply = "Votre demande est prise en compte: vous ne recevrez plus de SMS de notre part. Envoyez START pour vous réinscrire."
)

// Default keywords (SPEC I2, I3). They are compared after normalisation:
// upper case, accents removed, spaces and punctuation dropped.
var (
	DefaultStopKeywords    = []string{"STOP", "STOP SMS", "ARRET", "ARRÊT", "UNSUBSCRIBE", "STOPSMS"}
	DefaultStartKeywords   = []string{"START"}
	DefaultContactKeywords = []string{"CONTACT"}
)

// Config configures a Handler.
type Config struct {
	Store  *store.Store
	Queue  *queue.Queue
	Logger *slog.Logger
	Clock  queue.Clock // default queue.SystemClock
	// MinPlausibleTime: messages received before it are flagged as
	// written with an unsynced clock (default queue.DefaultMinPlausibleTime).
	MinPlausibleTime time.Time
	PartTimeout      time.Duration
	SeenRetention    time.Duration

	StopKeywords    []string
	StartKeywords   []string
	ContactKeywords []string
	// StopReply is sent (as a notification) to a number that sent STOP;
	// NoStopReply disables it.
	StopReply   string
	NoStopReply bool
	// StartReply, when set, confirms a START.
	StartReply string
	// ContactReply, when set, answers the CONTACT keyword with the
	// business's details (SPEC I3).
	ContactReply string
	// CallReply, when set, is sent to the number of an incoming call
	// (SPEC M7, "SMS answer to a missed call").
	CallReply string
}

// Handler is the box's modem.Handler. Its methods are safe for concurrent
// use by several modem workers.
type Handler struct {
	cfg     Config
	st      *store.Store
	q       *queue.Queue
	log     *slog.Logger
	stop    map[string]bool
	start   map[string]bool
	contact map[string]bool
	kick    chan struct{} // wakes Run when a part is pending

	mu     sync.Mutex
	panics int
}

// New returns a Handler over cfg.Store and cfg.Queue.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Queue == nil {
		return nil, errors.New("inbound: a store and a queue are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = queue.SystemClock{}
	}
	if cfg.MinPlausibleTime.IsZero() {
		cfg.MinPlausibleTime = queue.DefaultMinPlausibleTime
	}
	if cfg.PartTimeout <= 0 {
		cfg.PartTimeout = DefaultPartTimeout
	}
	if cfg.SeenRetention <= 0 {
		cfg.SeenRetention = DefaultSeenRetention
	}
	if cfg.StopKeywords == nil {
		cfg.StopKeywords = DefaultStopKeywords
	}
	if cfg.StartKeywords == nil {
		cfg.StartKeywords = DefaultStartKeywords
	}
	if cfg.ContactKeywords == nil {
		cfg.ContactKeywords = DefaultContactKeywords
	}
	if cfg.StopReply == "" {
		cfg.StopReply = DefaultStopReply
	}
	return &Handler{
		cfg:     cfg,
		st:      cfg.Store,
		q:       cfg.Queue,
		log:     cfg.Logger,
		stop:    keywordSet(cfg.StopKeywords),
		start:   keywordSet(cfg.StartKeywords),
		contact: keywordSet(cfg.ContactKeywords),
		kick:    make(chan struct{}, 1),
	}, nil
}

// Keywords found in a received text.
const (
	KeywordStop    = "stop"
	KeywordStart   = "start"
	KeywordContact = "contact"
)

func keywordSet(words []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		if k := NormalizeKeyword(w); k != "" {
			m[k] = true
		}
	}
	return m
}

// NormalizeKeyword folds a text for keyword matching (SPEC I2): accents
// removed, upper case, and everything but letters and digits dropped, so
// "Stop.", " s t o p ", "Arrêt !" and "STOP SMS" give "STOP", "STOP",
// "ARRET", "STOPSMS".
func NormalizeKeyword(s string) string {
	if len(s) > 64 {
		return "" // a keyword is short; a long text is a message
	}
	var b strings.Builder
	for _, r := range s {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
			continue
		}
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold maps accented Latin letters to their base letter, upper case.
var fold = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"A": "àáâãäåāăąÀÁÂÃÄÅĀĂĄ", "C": "çćĉċčÇĆĈĊČ", "E": "èéêëēĕėęěÈÉÊËĒĔĖĘĚ",
		"I": "ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ", "N": "ñńņňÑŃŅŇ", "O": "òóôõöøōŏőÒÓÔÕÖØŌŎŐ",
		"U": "ùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲ", "Y": "ýÿŷÝŸŶ", "S": "śŝşšŚŜŞŠ", "Z": "źżžŹŻŽ",
		"OE": "œŒ", "AE": "æÆ", "SS": "ß",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// keyword returns the keyword a received text is, "" when none. A STOP
// followed by digits ("STOP 36034", copied from a STOP mention) is a STOP.
func (h *Handler) keyword(text string) string {
	k := NormalizeKeyword(text)
	switch {
	case k == "":
		return ""
	case h.stop[k]:
		return KeywordStop
	case h.start[k]:
		return KeywordStart
	case h.contact[k]:
		return KeywordContact
	}
	if rest, ok := strings.CutPrefix(k, "STOP"); ok && h.stop["STOP"] {
		if _, err := strconv.ParseUint(rest, 10, 64); err == nil {
			return KeywordStop
		}
	}
	return ""
}

// Inbound commits one PDU received by a modem and returns nil only once it
// is in the store (or recognised as a duplicate of something that is), so
// the modem may acknowledge or delete it (SPEC M5). A PDU that cannot be
// decoded is kept in the store's rejects and acknowledged too: re-reading
// it forever would fill the SIM.
func (h *Handler) Inbound(ctx context.Context, in modem.Inbound) (err error) {
	defer func() {
		if p := recover(); p != nil {
			h.recovered(p)
			err = fmt.Errorf("inbound: panic on a PDU from %s: %v", in.Modem, p)
		}
	}()
	now := h.cfg.Clock.Now()
	m, derr := pdu.Decode(in.PDU, true)
	if derr == nil && m.Type != pdu.Deliver && m.Type != pdu.StatusReport {
		derr = fmt.Errorf("unexpected %s", m.Type)
	}
	if derr != nil {
		h.log.Warn("undecodable PDU kept in rejects", slog.String("modem", in.Modem), slog.String("pdu", hex.EncodeToString(in.PDU)), slog.Any("err", derr))
		return h.st.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertReject(in.Modem, in.PDU, derr.Error(), now)
		})
	}
	if m.Type == pdu.StatusReport {
		_, err := h.q.StatusReport(ctx, queue.Report{Modem: in.Modem, MR: m.MR, Recipient: m.Address, TPStatus: m.Status, Discharge: m.Discharge})
		return err
	}
	tpdu, err := stripSMSC(in.PDU)
	if err != nil {
		return h.st.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertReject(in.Modem, in.PDU, err.Error(), now)
		})
	}
	var res result
	err = h.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = h.receive(tx, in.Modem, m, tpdu, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("inbound: commit SMS from %s via %s: %w", m.Address, in.Modem, err)
	}
	h.after(res)
	return nil
}

// result is what receiving a PDU did, for the events published after the
// commit.
type result struct {
	inbound  *store.Inbound // stored message, nil while parts are missing or for a duplicate
	pending  bool           // a part was stored, waiting for its siblings
	stopped  []int64        // messages stopped by a STOP
	stopping bool           // the number joined the STOP list
	starting bool           // the number left the STOP list
	replies  int            // replies queued
}

// receive stores one decoded SMS-DELIVER inside tx.
func (h *Handler) receive(tx *store.Tx, modemID string, m *pdu.Message, tpdu []byte, now time.Time) (result, error) {
	var res result
	whole := m
	if m.Concat != nil && m.Concat.Total > 1 {
		fp := fingerprint(tpdu)
		seen, err := tx.IsSeenPart(fp)
		if err != nil {
			return res, err
		}
		if seen {
			h.log.Info("duplicate part of a stored message dropped", slog.String("from", m.Address), slog.Int("seq", m.Concat.Seq))
			return res, nil
		}
		ps := &txParts{tx: tx, modem: modemID, got: map[string][]store.PendingPart{}}
		whole, err = pdu.NewReassembler(ps).Add(m, tpdu, now)
		if err != nil {
			return res, err
		}
		if whole == nil {
			res.pending = true
			return res, nil
		}
		if err := ps.markSeen(pdu.ConcatKey(m), now); err != nil {
			return res, err
		}
	}
	return h.store(tx, modemID, whole, now)
}

// store inserts a whole (or expired incomplete) message and acts on its
// keyword.
func (h *Handler) store(tx *store.Tx, modemID string, m *pdu.Message, now time.Time) (result, error) {
	var res result
	number := m.Address
	if n, ok := h.q.NormalizeNumber(m.Address); ok && m.AddressTON&0x70 != 0x50 {
		number = n
	}
	text := m.Text
	if m.Encoding == pdu.Data8 {
		text = fmt.Sprintf("[%d octets of binary data: %X]", len(m.Data), m.Data)
	}
	in := store.Inbound{
		Number:     number,
		Modem:      modemID,
		SMSC:       m.SMSC,
		Text:       text,
		Encoding:   string(m.Encoding),
		Parts:      1,
		Incomplete: m.Incomplete,
		SCTS:       m.SCTS,
		ReceivedAt: now,
		ClockOK:    !now.Before(h.cfg.MinPlausibleTime),
		DedupeKey:  dedupeKey(m),
	}
	if m.Concat != nil {
		in.Parts = m.Concat.Total
	}
	if !m.Incomplete {
		in.Keyword = h.keyword(text)
	}
	id, inserted, err := tx.InsertInbound(in)
	if err != nil {
		return res, err
	}
	if !inserted {
		h.log.Info("duplicate SMS dropped", slog.String("from", number), slog.Time("scts", m.SCTS))
		return res, nil
	}
	in.ID = id
	res.inbound = &in
	switch in.Keyword {
	case KeywordStop:
		res.stopping = true
		if _, err := tx.AddStop(store.StopEntry{Number: number, CreatedAt: now, Source: "sms", InboundID: id}); err != nil {
			return res, err
		}
		if res.stopped, err = tx.StopQueued(number, now); err != nil {
			return res, err
		}
		if !h.cfg.NoStopReply {
			if err := h.reply(tx, number, h.cfg.StopReply, true, &res); err != nil {
				return res, err
			}
		}
	case KeywordStart:
		removed, err := tx.RemoveStop(number)
		if err != nil {
			return res, err
		}
		res.starting = removed
		if removed && h.cfg.StartReply != "" {
			if err := h.reply(tx, number, h.cfg.StartReply, false, &res); err != nil {
				return res, err
			}
		}
	case KeywordContact:
		if h.cfg.ContactReply != "" {
			if err := h.reply(tx, number, h.cfg.ContactReply, false, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// reply queues an automatic answer in the receiving transaction, so the
// answer exists if and only if the message that asked for it does. An
// answer that cannot be accepted (no credits, not a phone number) is
// logged, not an error: the received message must still be stored.
func (h *Handler) reply(tx *store.Tx, number, text string, toStopped bool, res *result) error {
	rc, err := h.q.SubmitTx(tx, queue.Request{Numbers: []string{number}, Text: text, Channel: queue.Notification,
		Source: "auto", IgnoreStop: toStopped, AllowDuplicate: true})
	switch {
	case err == nil && rc.Accepted > 0:
		res.replies++
		return nil
	case err == nil:
		h.log.Warn("automatic reply not accepted", slog.String("to", number), slog.String("reason", string(rc.Results[0].Reason)))
		return nil
	case errors.Is(err, queue.ErrNoCredits), errors.Is(err, queue.ErrQuotaExceeded), errors.Is(err, queue.ErrInvalid),
		errors.Is(err, queue.ErrNoRecipients), errors.Is(err, queue.ErrEmptyText):
		h.log.Warn("automatic reply not sent", slog.String("to", number), slog.Any("err", err))
		return nil
	}
	return err
}

// after publishes what a committed PDU changed and wakes whoever waits.
func (h *Handler) after(res result) {
	if res.pending {
		select {
		case h.kick <- struct{}{}:
		default:
		}
	}
	if res.inbound == nil {
		return
	}
	in := res.inbound
	h.q.Publish(queue.Event{Kind: queue.EventInbound, InboundID: in.ID, Number: in.Number, Modem: in.Modem})
	if res.stopping || res.starting {
		h.q.Publish(queue.Event{Kind: queue.EventStop, Number: in.Number, Stopped: res.stopping})
	}
	for _, id := range res.stopped {
		h.q.Publish(queue.Event{Kind: queue.EventMessage, MessageID: id, Number: in.Number, Status: store.StatusStopped})
	}
	if res.replies > 0 {
		h.q.Kick()
	}
}

// Call records an incoming call (SPEC M7) and, when configured, answers it
// with an SMS.
func (h *Handler) Call(ctx context.Context, c modem.Call) {
	defer func() {
		if p := recover(); p != nil {
			h.recovered(p)
		}
	}()
	number := c.Number
	if n, ok := h.q.NormalizeNumber(c.Number); ok {
		number = n
	}
	at := c.At
	if at.IsZero() {
		at = h.cfg.Clock.Now()
	}
	id, err := h.st.InsertCall(ctx, store.Call{Number: number, Modem: c.Modem, At: at})
	if err != nil {
		h.log.Error("record call", slog.String("number", number), slog.Any("err", err))
		return
	}
	h.q.Publish(queue.Event{Kind: queue.EventCall, CallID: id, Number: number, Modem: c.Modem})
	if h.cfg.CallReply == "" || number == "" {
		return
	}
	rc, err := h.q.Submit(ctx, queue.Request{Numbers: []string{number}, Text: h.cfg.CallReply, Source: "auto"})
	if err != nil {
		h.log.Warn("answer to a call not sent", slog.String("number", number), slog.Any("err", err))
		return
	}
	if err := h.st.SetCallReply(ctx, id, rc.Results[0].MessageID); err != nil {
		h.log.Error("record call answer", slog.Int64("call_id", id), slog.Any("err", err))
	}
}

// State passes a modem's state change to the queue (wakes the dispatcher,
// publishes it).
func (h *Handler) State(s modem.Status) {
	h.q.ModemChanged(s)
}

// Run expires concatenated messages whose parts stopped coming (SPEC P4)
// and forgets old part fingerprints, until ctx ends. It sleeps until the
// oldest pending part's deadline, and is woken when a part is stored.
func (h *Handler) Run(ctx context.Context) {
	for {
		next := h.housekeep(ctx)
		var timer <-chan time.Time
		stop := func() bool { return false }
		if !next.IsZero() {
			timer, stop = h.cfg.Clock.Timer(next)
		}
		select {
		case <-ctx.Done():
			stop()
			return
		case <-h.kick:
		case <-timer:
		}
		stop()
	}
}

// housekeep runs one expiry round and returns when the next is due.
func (h *Handler) housekeep(ctx context.Context) (next time.Time) {
	now := h.cfg.Clock.Now()
	defer func() {
		if p := recover(); p != nil {
			h.recovered(p)
			next = now.Add(time.Minute)
		}
	}()
	n, err := h.Expire(ctx)
	if err != nil {
		h.log.Error("expire incomplete messages", slog.Any("err", err))
		return now.Add(time.Minute)
	}
	if n > 0 {
		h.log.Info("incomplete messages stored after their timeout", slog.Int("count", n))
	}
	if err := h.st.PurgeSeenParts(ctx, now.Add(-h.cfg.SeenRetention)); err != nil {
		h.log.Error("purge part fingerprints", slog.Any("err", err))
	}
	oldest, ok, err := h.st.OldestPendingPart(ctx)
	if err != nil {
		h.log.Error("oldest pending part", slog.Any("err", err))
		return now.Add(time.Minute)
	}
	next = now.Add(24 * time.Hour) // fingerprints purge
	if ok {
		if at := oldest.Add(h.cfg.PartTimeout); at.Before(next) {
			next = at
		}
	}
	return next
}

// Expire stores, flagged incomplete, the concatenated messages whose first
// part arrived more than Config.PartTimeout ago, with the parts that came
// (SPEC P4), and returns how many.
func (h *Handler) Expire(ctx context.Context) (int, error) {
	now := h.cfg.Clock.Now()
	var results []result
	err := h.st.Write(ctx, func(tx *store.Tx) error {
		results = nil
		ps := &txParts{tx: tx, got: map[string][]store.PendingPart{}}
		msgs, err := pdu.NewReassembler(ps).Expire(now, h.cfg.PartTimeout)
		if err != nil {
			// Keys whose parts all failed to decode are dropped by
			// the reassembler; the others are returned: store them.
			h.log.Warn("expire: some parts could not be decoded", slog.Any("err", err))
		}
		for _, m := range msgs {
			key := pdu.ConcatKey(m)
			modemID := ""
			if parts := ps.got[key]; len(parts) > 0 {
				modemID = parts[0].Modem
			}
			if err := ps.markSeen(key, now); err != nil {
				return err
			}
			res, err := h.store(tx, modemID, m, now)
			if err != nil {
				return err
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range results {
		h.after(r)
	}
	return len(results), nil
}

func (h *Handler) recovered(p any) {
	h.mu.Lock()
	h.panics++
	h.mu.Unlock()
	h.log.Error("panic recovered in inbound handling", slog.Any("panic", p))
}

// Panics returns how many panics were recovered.
func (h *Handler) Panics() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.panics
}

// txParts is the pdu.PartStore of one transaction: the part, the message
// it completes and its keyword's effects commit together, so a crash never
// loses a part nor stores a message twice (SPEC P4, M5).
type txParts struct {
	tx    *store.Tx
	modem string
	got   map[string][]store.PendingPart // the parts last seen per key
}

func (p *txParts) PutPart(pp pdu.PendingPart) ([]pdu.PendingPart, error) {
	parts, err := p.tx.PutPart(store.PendingPart{Key: pp.Key, Seq: pp.Seq, Total: pp.Total, Received: pp.Received, Modem: p.modem, TPDU: pp.TPDU})
	if err != nil {
		return nil, err
	}
	p.got[pp.Key] = parts
	return toPDU(parts), nil
}

func (p *txParts) DeleteParts(key string) error { return p.tx.DeleteParts(key) }

func (p *txParts) StaleKeys(before time.Time) ([]string, error) { return p.tx.StaleKeys(before) }

func (p *txParts) Parts(key string) ([]pdu.PendingPart, error) {
	parts, err := p.tx.PendingParts(key)
	if err != nil {
		return nil, err
	}
	p.got[key] = parts
	return toPDU(parts), nil
}

// markSeen records the fingerprints of the parts merged under key, so a
// part delivered again later is recognised (SPEC I9).
func (p *txParts) markSeen(key string, now time.Time) error {
	for _, part := range p.got[key] {
		if _, err := p.tx.SeenPart(fingerprint(part.TPDU), now); err != nil {
			return err
		}
	}
	return nil
}

func toPDU(ps []store.PendingPart) []pdu.PendingPart {
	out := make([]pdu.PendingPart, len(ps))
	for i, p := range ps {
		out[i] = pdu.PendingPart{Key: p.Key, Seq: p.Seq, Total: p.Total, Received: p.Received, TPDU: p.TPDU}
	}
	return out
}

// stripSMSC returns the TPDU of a PDU as the modem prints it, after the
// SMSC address field (TS 27.005 §3.1: its first octet is its length).
func stripSMSC(p []byte) ([]byte, error) {
	if len(p) == 0 || int(p[0])+1 >= len(p) {
		return nil, fmt.Errorf("inbound: PDU of %d octets too short for its SMSC field", len(p))
	}
	return p[int(p[0])+1:], nil
}

// fingerprint identifies one received part: the same PDU delivered twice
// is byte-identical (originator, SCTS, reference, sequence and text).
func fingerprint(tpdu []byte) string {
	sum := sha256.Sum256(tpdu)
	return hex.EncodeToString(sum[:16])
}

// dedupeKey identifies a received message (SPEC I9): originator, service
// centre time stamp, concatenation reference and text.
func dedupeKey(m *pdu.Message) string {
	sum := sha256.Sum256([]byte(m.Text + "\x00" + string(m.Data)))
	ref := "-"
	if m.Concat != nil {
		ref = fmt.Sprintf("%d/%d/%d", m.Concat.RefBits, m.Concat.Ref, m.Concat.Total)
	}
	inc := ""
	if m.Incomplete {
		inc = "|incomplete"
	}
	return fmt.Sprintf("%s|%d|%s|%s%s", m.Address, m.SCTS.UnixMilli(), ref, hex.EncodeToString(sum[:12]), inc)
}
