package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"gsmbox/pdu"
	"gsmbox/store"
)

// Channel is a message's priority class (SPEC Q4).
type Channel int

// Channels: notifications (transactional) go first and at any hour;
// marketing goes after them and only within QuietHours.
const (
	Notification Channel = store.ChannelNotification
	Marketing    Channel = store.ChannelMarketing
)

// StopMention asks for the opt-out mention at the end of the text (SPEC P5,
// sMsmode "stop" parameter).
type StopMention int

// StopMention values, as sMsmode's stop=1 and stop=2.
const (
	StopNone   StopMention = 0
	StopIfFree StopMention = 1 // only when it adds no SMS part
	StopAlways StopMention = 2
)

// Request is one send request (SPEC Q1): a text, recipients given as
// numbers, per-recipient rows, contacts and groups, and options.
type Request struct {
	AccountID int64 // 0: the default account
	// Text may hold mail-merge placeholders (see template). It may be ""
	// only when every Recipients row has its own Text.
	Text string
	// Numbers in any usual form: E.164, national (default country),
	// international without "+" (336...), with spaces or dots.
	Numbers []string
	// Recipients are rows with per-recipient values for the mail-merge or
	// a text of their own (sMsmode batch CSV, L2T Excel, SMStoB file).
	Recipients []Recipient
	ContactIDs []int64
	GroupIDs   []int64
	GroupNames []string // resolved in the account (sMsmode "groupe")

	Channel Channel
	// At schedules the send (zero: now), SPEC Q3.
	At time.Time
	// Repeat makes the send recurring from At; RepeatUntil ends it (zero:
	// never).
	Repeat      Period
	RepeatUntil time.Time
	// Campaign names a campaign (SPEC Q9) created for this request; a
	// throttled request always gets one.
	Campaign string
	// ThrottleCount and ThrottlePause spread the send: ThrottleCount
	// messages, then ThrottlePause, and so on (SMStoB "envoi en nombre
	// temporisé"). The pause runs from the start of each batch.
	ThrottleCount int
	ThrottlePause time.Duration

	Modem         string        // pin every message to this modem (SPEC Q13)
	Flash         bool          // class 0
	Validity      time.Duration // TP-VP, 0: Config.Validity
	Transliterate bool          // replace accents to stay in GSM 7-bit
	MaxParts      int           // 0: Config.MaxParts
	StopMention   StopMention

	RefClient string // the caller's tag, returned in notifications (sMsmode refClient)
	Source    string // ui, api, cli, email, auto, ... (statistics, SPEC W13)
	// AllowDuplicate skips the duplicate guard for this request.
	AllowDuplicate bool
	// IgnoreStop sends even to numbers on the STOP list: only for the
	// confirmation of a STOP request (SPEC I2).
	IgnoreStop bool
	// DryRun checks and counts everything and stores nothing (SMStoB
	// test=o).
	DryRun bool
}

// Recipient is one row of a per-recipient send.
type Recipient struct {
	Number string
	Values map[string]string // mail-merge values: "param1", "v1", "name"...
	Text   string            // this recipient's own text ("" uses Request.Text)
}

// Reason says why a recipient was rejected.
type Reason string

// Rejection reasons; each maps to a code of the compatible APIs.
const (
	ReasonInvalidNumber  Reason = "invalid_number"  // not a valid phone number (SMStoB 84)
	ReasonStopList       Reason = "stop_list"       // the number opted out (SPEC I2)
	ReasonDuplicate      Reason = "duplicate"       // same text to the same number recently (SMStoB 91)
	ReasonBlocked        Reason = "blocked_contact" // the contact is blocked (SPEC D1)
	ReasonMergeField     Reason = "merge_field"     // a placeholder has no value for this recipient
	ReasonTooLong        Reason = "too_long"        // more parts than allowed
	ReasonEmptyText      Reason = "empty_text"      // the merged text is empty
	ReasonUnknownContact Reason = "unknown_contact" // no such contact in the account
)

// SMStoBCode maps a rejection to the SMStoB http.php return code (seed
// 003): 84 invalid number, 91 already sent in the last 24 h, 90 empty
// message; others (STOP list, blocked) have no code of their own there and
// map to 84, "this number cannot receive".
func (r Reason) SMStoBCode() int {
	switch r {
	case ReasonDuplicate:
		return 91
	case ReasonEmptyText:
		return 90
	}
	return 84
}

// Result is the outcome for one recipient.
type Result struct {
	Input     string // the recipient as given: a number, "contact 12"
	Number    string // E.164, when valid
	ContactID int64
	MessageID int64 // 0 when rejected or for a dry run
	Parts     int   // SMS parts (credits) of this message
	Encoding  pdu.Encoding
	Reason    Reason // "" when accepted
	Detail    string
}

// Accepted reports whether the recipient got a message.
func (r Result) Accepted() bool { return r.Reason == "" }

// Receipt is what Submit did.
type Receipt struct {
	Results     []Result // one per recipient, in request order (groups expanded)
	Accepted    int
	Parts       int   // total parts, i.e. credits charged
	CampaignID  int64 // 0 when none
	RecurringID int64 // 0 when not recurring
	Scheduled   bool  // the messages wait for a time
	CreditsLeft int64 // after this request; -1 when the account is unlimited
	// LowCredit is set when this request took the account's credits below
	// its alert threshold (an EventLowCredit is published too).
	LowCredit bool
}

// Request-level errors: nothing is stored.
var (
	ErrEmptyText     = errors.New("queue: empty text")
	ErrNoRecipients  = errors.New("queue: no recipient")
	ErrInvalid       = errors.New("queue: invalid request")
	ErrNoCredits     = errors.New("queue: insufficient credits")  // SMStoB 83, sMsmode 33
	ErrQuotaExceeded = errors.New("queue: daily quota exceeded")  // per account, SPEC Q7
	ErrUnknownGroup  = errors.New("queue: unknown group")         // SMStoB 86 for an unknown group
	ErrNoneAccepted  = errors.New("queue: no recipient accepted") // every recipient was rejected
)

// errDryRun rolls back a dry run.
var errDryRun = errors.New("queue: dry run")

// counterConcatRef is the store counter of concatenation references (SPEC
// P6).
const counterConcatRef = "concat_ref"

// Submit accepts a send request (SPEC Q1): in one transaction it stores one
// message per accepted recipient, with its parts encoded, and returns their
// ids; rejected recipients get a reason. When every recipient is rejected
// the receipt is returned with ErrNoneAccepted. The dispatcher is kicked
// so an immediate send goes at once.
func (q *Queue) Submit(ctx context.Context, req Request) (Receipt, error) {
	p, err := q.Prepare(req)
	if err != nil {
		return Receipt{}, err
	}
	var rc Receipt
	err = q.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		rc, err = q.SubmitPreparedTx(tx, p, 0)
		if err == nil && req.DryRun {
			return errDryRun
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		return rc, nil
	}
	if err != nil {
		return rc, err
	}
	if rc.Accepted == 0 {
		return rc, ErrNoneAccepted
	}
	if rc.LowCredit {
		q.Publish(Event{Kind: EventLowCredit, AccountID: req.AccountID, Credits: rc.CreditsLeft})
	}
	q.Kick()
	return rc, nil
}

// SubmitTx is Submit inside the caller's transaction, so that a send
// commits together with what caused it (a STOP confirmation with the STOP,
// a recurring occurrence with its series). The caller must Kick after the
// commit. A receipt without accepted recipient is not an error here.
func (q *Queue) SubmitTx(tx *store.Tx, req Request) (Receipt, error) {
	return q.submitTx(tx, req, 0, q.cfg.Clock.Now())
}

// Prepared is a request whose checks and computations that need no
// database are done: validation, number normalisation, templates, and the
// text and encoding of a text without placeholders. Made before entering
// the store's single writer (Prepare), it leaves the writer's
// transaction only the lookups and inserts, so concurrent callers do that
// work in parallel. A Prepared is submitted once.
type Prepared struct {
	req     Request
	targets []target // the Numbers and Recipients rows, normalised
	base    template
	// static is set when base has no placeholder: text, count and hash
	// are then the same for every recipient without a text of its own.
	static      bool
	staticText  string
	staticCount pdu.Count
	staticHash  int64
	countOpts   pdu.CountOptions
	maxParts    int
	opts        pdu.SubmitOptions
}

// Prepare checks req and does the work of its acceptance that needs no
// database, for SubmitPreparedTx. Its errors are Submit's request-level
// errors (ErrInvalid, ErrEmptyText).
func (q *Queue) Prepare(req Request) (*Prepared, error) {
	if req.AccountID == 0 {
		req.AccountID = store.DefaultAccount
	}
	if err := q.validate(&req); err != nil {
		return nil, err
	}
	p := &Prepared{req: req, base: parseTemplate(req.Text), countOpts: pdu.CountOptions{Transliterate: req.Transliterate},
		maxParts: req.MaxParts, opts: q.submitOptions(req)}
	if p.maxParts == 0 {
		p.maxParts = q.cfg.MaxParts
	}
	if p.base.static() {
		p.static = true
		p.staticText = q.finalText(req, mustRender(p.base), p.countOpts)
		p.staticCount = pdu.CountText(p.staticText, p.countOpts)
		p.staticHash = textHash(p.staticText)
	}
	p.targets = make([]target, 0, len(req.Numbers)+len(req.Recipients))
	for _, n := range req.Numbers {
		p.targets = append(p.targets, target{raw: n, res: Result{Input: n}})
	}
	for _, r := range req.Recipients {
		t := target{raw: r.Number, res: Result{Input: r.Number}, values: r.Values}
		if r.Text != "" {
			tm := parseTemplate(r.Text)
			t.tmpl = &tm
		}
		p.targets = append(p.targets, t)
	}
	q.normalizeTargets(p.targets)
	// A single-part message needs no concatenation reference, the only
	// part of a TPDU that the transaction assigns: it is encoded here.
	if p.static && p.staticCount.Parts == 1 && strings.TrimSpace(p.staticText) != "" {
		for i := range p.targets {
			t := &p.targets[i]
			if t.res.Reason != "" || t.tmpl != nil {
				continue
			}
			// A failure is left to the transaction's encode, which
			// reports it only if the recipient is accepted, as before.
			if parts, err := pdu.EncodeSubmit(t.res.Number, p.staticText, 0, p.opts); err == nil {
				t.tpdus = [][]byte{parts[0].TPDU}
			}
		}
	}
	return p, nil
}

// normalizeTargets sets each target's E.164 number, or rejects it.
func (q *Queue) normalizeTargets(ts []target) {
	parallel(len(ts), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			q.normalizeTarget(&ts[i])
		}
	})
}

func (q *Queue) normalizeTarget(t *target) {
	num, ok := q.NormalizeNumber(t.raw)
	if !ok {
		t.res.Reason = ReasonInvalidNumber
		t.res.Detail = fmt.Sprintf("%q is not a valid phone number for region %s", t.raw, q.cfg.DefaultCountry)
		return
	}
	t.res.Number = num
}

// SubmitPreparedTx is SubmitTx for a request made ready by Prepare.
// sendID, when not 0, is the API send (store.Send) its messages belong
// to, stored with each of them.
func (q *Queue) SubmitPreparedTx(tx *store.Tx, p *Prepared, sendID int64) (Receipt, error) {
	return q.submitPrepared(tx, p, 0, sendID, q.cfg.Clock.Now())
}

// submitTx accepts req at now; recurringID ties the messages to the series
// whose occurrence they are (0: none, or a new series when req.Repeat).
func (q *Queue) submitTx(tx *store.Tx, req Request, recurringID int64, now time.Time) (Receipt, error) {
	p, err := q.Prepare(req)
	if err != nil {
		return Receipt{}, err
	}
	return q.submitPrepared(tx, p, recurringID, 0, now)
}

// submitPrepared is the transaction's part of the acceptance of p.
func (q *Queue) submitPrepared(tx *store.Tx, p *Prepared, recurringID, sendID int64, now time.Time) (Receipt, error) {
	req := p.req
	acct, err := tx.Account(req.AccountID)
	if err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rc := Receipt{RecurringID: recurringID}
	if req.Repeat != "" && recurringID == 0 {
		if rc.RecurringID, err = q.createSeries(tx, req, now); err != nil {
			return Receipt{}, err
		}
	}
	targets, err := q.expand(tx, req, p.targets)
	if err != nil {
		return Receipt{}, err
	}
	if len(targets) == 0 {
		return Receipt{}, ErrNoRecipients
	}
	if err := q.filter(tx, req, targets); err != nil {
		return Receipt{}, err
	}
	q.compose(p, targets)
	if err := q.dedupe(tx, req, targets, now); err != nil {
		return Receipt{}, err
	}
	rejected := map[string]int{}
	var msgs, multi int
	for i := range targets {
		t := &targets[i]
		if t.res.Reason != "" {
			rejected[string(t.res.Reason)]++
			continue
		}
		msgs++
		rc.Parts += t.count.Parts
		if t.count.Parts > 1 {
			multi++
		}
	}
	rc.Accepted = msgs
	rc.CreditsLeft = -1
	if msgs > 0 {
		if rc.CreditsLeft, err = q.charge(tx, acct, rc.Parts, now); err != nil {
			return Receipt{}, err
		}
		// SPEC Q11: the alert fires when this request crosses the
		// account's threshold.
		rc.LowCredit = acct.LowCredit > 0 && rc.CreditsLeft >= 0 && rc.CreditsLeft < acct.LowCredit &&
			rc.CreditsLeft+int64(rc.Parts) >= acct.LowCredit
	}
	at := req.At
	if at.IsZero() {
		at = now
	}
	throttled := req.ThrottleCount > 0 && req.ThrottlePause > 0
	if msgs > 0 && (req.Campaign != "" || throttled) {
		name := req.Campaign
		if name == "" {
			name = fmt.Sprintf("%s %s", now.In(q.cfg.Location).Format("2006-01-02 15:04"), truncate(req.Text, 30))
		}
		rc.CampaignID, err = tx.CreateCampaign(store.Campaign{AccountID: req.AccountID, Name: name, Text: req.Text,
			Channel: int(req.Channel), CreatedAt: now, ScheduledAt: req.At, ThrottleCount: req.ThrottleCount,
			ThrottlePause: req.ThrottlePause, Recipients: msgs, Rejected: rejected})
		if err != nil {
			return Receipt{}, err
		}
		if err := tx.Journal(store.JournalEntry{At: now, AccountID: req.AccountID, CampaignID: rc.CampaignID, Event: "created",
			Detail: fmt.Sprintf("%d recipients accepted, %d rejected", msgs, len(targets)-msgs)}); err != nil {
			return Receipt{}, err
		}
	}
	var ref int64
	if multi > 0 {
		if ref, err = tx.NextCounter(counterConcatRef, int64(multi)); err != nil {
			return Receipt{}, err
		}
	}
	for i := range targets {
		if t := &targets[i]; t.res.Reason == "" && t.count.Parts > 1 {
			t.ref = byte(ref)
			ref++
		}
	}
	if err := q.encode(p, targets); err != nil {
		return Receipt{}, err
	}
	// The messages go to the store in slices of insertChunk, so that a
	// 100 000-recipient campaign never holds all its rows at once.
	batch := make([]store.NewMessage, 0, min(msgs, insertChunk))
	accepted := make([]*target, 0, min(msgs, insertChunk))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		newIDs, err := tx.InsertMessages(batch)
		if err != nil {
			return err
		}
		for i, t := range accepted {
			t.res.MessageID = newIDs[i]
		}
		batch, accepted = batch[:0], accepted[:0]
		return nil
	}
	k := 0
	for i := range targets {
		t := &targets[i]
		if t.res.Reason != "" {
			continue
		}
		when := at
		if throttled {
			when = at.Add(time.Duration(k/req.ThrottleCount) * req.ThrottlePause)
		}
		k++
		status := store.StatusQueued
		if when.After(now) {
			status = store.StatusScheduled
			rc.Scheduled = true
		}
		scheduled := req.At
		if throttled {
			scheduled = when
		}
		batch = append(batch, store.NewMessage{TPDUs: t.tpdus, SendID: sendID, Message: store.Message{
			AccountID:   req.AccountID,
			CampaignID:  rc.CampaignID,
			RecurringID: rc.RecurringID,
			ContactID:   t.res.ContactID,
			Number:      t.res.Number,
			Channel:     int(req.Channel),
			Text:        t.text,
			TextHash:    t.hash,
			Encoding:    string(t.count.Encoding),
			Flash:       req.Flash,
			Validity:    q.validity(req),
			Status:      status,
			CreatedAt:   now,
			ScheduledAt: scheduled,
			PinModem:    req.Modem,
			RefClient:   req.RefClient,
			Source:      req.Source,
			IgnoreStop:  req.IgnoreStop,
		}})
		accepted = append(accepted, t)
		if len(batch) == insertChunk {
			if err := flush(); err != nil {
				return Receipt{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return Receipt{}, err
	}
	if msgs > 0 {
		if err := tx.AddUsage(req.AccountID, dayKey(now, q.cfg.Location), store.Usage{Messages: msgs, Parts: rc.Parts}); err != nil {
			return Receipt{}, err
		}
	}
	rc.Results = make([]Result, len(targets))
	for i, t := range targets {
		if req.DryRun {
			t.res.MessageID = 0
		}
		rc.Results[i] = t.res
	}
	return rc, nil
}

// insertChunk is how many messages submitPrepared hands the store at a
// time: enough for full multi-row statements, few enough to keep the
// memory of a large campaign small (SPEC §12: < 64 MB RSS).
const insertChunk = 2000

// parallelFrom is the number of recipients from which the pure CPU work
// of a request (number normalisation, mail-merge, encoding) is spread over
// the cores: a 100 000-recipient campaign must queue in < 3 s (SPEC §12).
const parallelFrom = 2048

// parallel runs fn over [0, n) in contiguous chunks, one per core when n
// is large enough to be worth it. A panic in a chunk is raised again in
// the caller's goroutine, as if fn had run there (the store's writer turns
// it into the Write caller's panic).
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelFrom || workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	panics := make([]any, (n+chunk-1)/chunk)
	for w, lo := 0, 0; lo < n; w, lo = w+1, lo+chunk {
		wg.Go(func() {
			defer func() { panics[w] = recover() }()
			fn(lo, min(lo+chunk, n))
		})
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
}

// encode makes the TPDUs of the accepted targets that Prepare did not
// encode. It runs inside the transaction but uses no database.
func (q *Queue) encode(p *Prepared, ts []target) error {
	errs := make([]error, len(ts))
	parallel(len(ts), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			t := &ts[i]
			if t.res.Reason != "" || t.tpdus != nil {
				continue
			}
			parts, err := pdu.EncodeSubmit(t.res.Number, t.text, t.ref, p.opts)
			if err != nil {
				errs[i] = fmt.Errorf("queue: encode message to %s: %w", t.res.Number, err)
				return
			}
			t.tpdus = make([][]byte, len(parts))
			for j, part := range parts {
				t.tpdus[j] = part.TPDU
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return err // the first in request order, as a sequential encode would
		}
	}
	return nil
}

// target is one recipient being accepted.
type target struct {
	res     Result
	raw     string // number as given, before normalisation
	contact *store.Contact
	values  map[string]string
	tmpl    *template // nil: use the request's
	text    string    // final text
	hash    int64
	count   pdu.Count
	ref     byte     // concatenation reference (TS 23.040 §9.2.3.24.1), multi-part only
	tpdus   [][]byte // encoded by Prepare, or by encode in the transaction
}

// reject marks the target rejected.
func (t *target) reject(r Reason, detail string) {
	t.res.Reason, t.res.Detail = r, detail
	t.res.Parts, t.res.Encoding = 0, ""
}

func (q *Queue) validate(req *Request) error {
	switch {
	case req.Channel != Notification && req.Channel != Marketing:
		return fmt.Errorf("%w: channel %d", ErrInvalid, req.Channel)
	case req.Repeat != "" && !req.Repeat.valid():
		return fmt.Errorf("%w: repeat %q", ErrInvalid, req.Repeat)
	case req.ThrottleCount < 0 || req.ThrottlePause < 0:
		return fmt.Errorf("%w: negative throttle", ErrInvalid)
	case req.Validity < 0:
		return fmt.Errorf("%w: negative validity", ErrInvalid)
	case req.MaxParts < 0 || req.MaxParts > 255:
		return fmt.Errorf("%w: max parts %d", ErrInvalid, req.MaxParts)
	case req.StopMention < StopNone || req.StopMention > StopAlways:
		return fmt.Errorf("%w: stop mention %d", ErrInvalid, req.StopMention)
	case req.Repeat != "" && req.DryRun:
		return fmt.Errorf("%w: a dry run cannot repeat", ErrInvalid)
	}
	if strings.TrimSpace(req.Text) == "" {
		own := len(req.Recipients) > 0 && len(req.Numbers) == 0 && len(req.ContactIDs) == 0 && len(req.GroupIDs) == 0 && len(req.GroupNames) == 0
		for _, r := range req.Recipients {
			if strings.TrimSpace(r.Text) == "" {
				own = false
			}
		}
		if !own {
			return ErrEmptyText
		}
	}
	return nil
}

// expand turns the request's recipients into targets, in order: numbers,
// per-recipient rows, contacts, then group members.
func (q *Queue) expand(tx *store.Tx, req Request, prepared []target) ([]target, error) {
	ts := prepared
	var rawNumbers []string
	for i := range ts {
		if ts[i].res.Reason == "" {
			rawNumbers = append(rawNumbers, ts[i].res.Number)
		}
	}
	// Numbers typed by hand still get their contact's fields and block.
	if len(rawNumbers) > 0 {
		known, err := tx.ContactsByMobile(req.AccountID, rawNumbers)
		if err != nil {
			return nil, err
		}
		for i := range ts {
			if c, ok := known[ts[i].res.Number]; ok {
				ts[i].contact = &c
				ts[i].res.ContactID = c.ID
			}
		}
	}
	if len(req.ContactIDs) > 0 {
		cs, err := tx.ContactsByID(req.AccountID, req.ContactIDs)
		if err != nil {
			return nil, err
		}
		byID := map[int64]*store.Contact{}
		for i := range cs {
			byID[cs[i].ID] = &cs[i]
		}
		for _, id := range req.ContactIDs {
			in := "contact " + strconv.FormatInt(id, 10)
			c, ok := byID[id]
			if !ok {
				ts = append(ts, target{res: Result{Input: in, ContactID: id, Reason: ReasonUnknownContact, Detail: "no such contact in this account"}})
				continue
			}
			ts = append(ts, target{contact: c, res: Result{Input: in, Number: c.Mobile, ContactID: c.ID}})
		}
	}
	groupIDs := req.GroupIDs
	if len(req.GroupNames) > 0 {
		ids, err := tx.GroupIDsByName(req.AccountID, req.GroupNames)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrUnknownGroup, err)
		}
		if err != nil {
			return nil, err
		}
		groupIDs = append(groupIDs, ids...)
	}
	if len(groupIDs) > 0 {
		cs, err := tx.GroupContacts(req.AccountID, groupIDs)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", ErrUnknownGroup, err)
		}
		if err != nil {
			return nil, err
		}
		ts = slices.Grow(ts, len(cs)) // a 100 000-member group: one allocation
		for i := range cs {
			c := &cs[i]
			ts = append(ts, target{contact: c, res: Result{Input: c.Mobile, Number: c.Mobile, ContactID: c.ID}})
		}
	}
	return ts, nil
}

// filter applies the STOP list and blocked contacts (SPEC Q7, D1).
func (q *Queue) filter(tx *store.Tx, req Request, ts []target) error {
	var numbers []string
	for _, t := range ts {
		if t.res.Reason == "" {
			numbers = append(numbers, t.res.Number)
		}
	}
	stopped := map[string]bool{}
	if !req.IgnoreStop && len(numbers) > 0 {
		var err error
		if stopped, err = tx.StoppedAmong(numbers); err != nil {
			return err
		}
	}
	for i := range ts {
		t := &ts[i]
		switch {
		case t.res.Reason != "":
		case stopped[t.res.Number]:
			t.res.Reason, t.res.Detail = ReasonStopList, "the number is on the STOP list"
		case t.contact != nil && t.contact.Blocked:
			t.res.Reason, t.res.Detail = ReasonBlocked, "the contact is blocked"
		}
	}
	return nil
}

// compose merges each target's text, adds the STOP mention and counts its
// parts.
func (q *Queue) compose(p *Prepared, ts []target) {
	parallel(len(ts), func(lo, hi int) { q.composeRange(p, ts[lo:hi]) })
}

func (q *Queue) composeRange(p *Prepared, ts []target) {
	req := p.req
	for i := range ts {
		t := &ts[i]
		if t.res.Reason != "" {
			continue
		}
		static := t.tmpl == nil && p.static
		if static {
			t.text, t.count = p.staticText, p.staticCount
		} else {
			tm := p.base
			if t.tmpl != nil {
				tm = *t.tmpl
			}
			text, missing := tm.render(t.values, t.contact)
			if missing != "" {
				t.res.Reason, t.res.Detail = ReasonMergeField, fmt.Sprintf("no value for %s", missing)
				continue
			}
			t.text = q.finalText(req, text, p.countOpts)
			t.count = pdu.CountText(t.text, p.countOpts)
		}
		if strings.TrimSpace(t.text) == "" {
			t.res.Reason, t.res.Detail = ReasonEmptyText, "the text is empty"
			continue
		}
		if t.count.Parts > p.maxParts {
			t.res.Reason, t.res.Detail = ReasonTooLong, fmt.Sprintf("%d parts, at most %d", t.count.Parts, p.maxParts)
			continue
		}
		if static {
			t.hash = p.staticHash
		} else {
			t.hash = textHash(t.text)
		}
		t.res.Parts, t.res.Encoding = t.count.Parts, t.count.Encoding
	}
}

func mustRender(t template) string {
	s, _ := t.render(nil, nil)
	return s
}

// finalText applies the STOP mention (SPEC P5) and the transliteration the
// encoder will apply, so the stored text is what the phone shows.
func (q *Queue) finalText(req Request, text string, opts pdu.CountOptions) string {
	if opts.Transliterate {
		if t := pdu.Transliterate(text); pdu.CountText(t, pdu.CountOptions{}).Encoding == pdu.GSM7 {
			text = t
		}
	}
	switch req.StopMention {
	case StopAlways:
		return text + " " + q.cfg.StopText
	case StopIfFree:
		with := text + " " + q.cfg.StopText
		if pdu.CountText(with, opts).Parts == pdu.CountText(text, opts).Parts {
			return with
		}
	}
	return text
}

// dedupe applies the duplicate guard: the same text to the same number
// twice in this request is always refused; with the guard on, so is a text
// already sent (or queued) to that number within the window.
func (q *Queue) dedupe(tx *store.Tx, req Request, ts []target, now time.Time) error {
	type key struct {
		number string
		hash   int64
	}
	seen := make(map[key]bool, len(ts))
	var numbers []string
	for i := range ts {
		t := &ts[i]
		if t.res.Reason != "" {
			continue
		}
		k := key{t.res.Number, t.hash}
		if seen[k] {
			t.reject(ReasonDuplicate, "the same text to this number is already in this request")
			continue
		}
		seen[k] = true
		numbers = append(numbers, t.res.Number)
	}
	if req.AllowDuplicate || q.cfg.DuplicateWindow < 0 || len(numbers) == 0 {
		return nil
	}
	recent, err := tx.RecentTextHashes(numbers, now.Add(-q.cfg.DuplicateWindow))
	if err != nil {
		return err
	}
	for i := range ts {
		t := &ts[i]
		if t.res.Reason != "" {
			continue
		}
		for _, h := range recent[t.res.Number] {
			if h == t.hash {
				t.reject(ReasonDuplicate, fmt.Sprintf("the same text was sent to this number less than %s ago", q.cfg.DuplicateWindow))
				break
			}
		}
	}
	return nil
}

// charge applies the daily quota and takes the credits (SPEC Q7, Q11).
// It returns the credits left, -1 when unlimited.
func (q *Queue) charge(tx *store.Tx, acct store.Account, parts int, now time.Time) (int64, error) {
	if acct.DailyQuota > 0 {
		u, err := tx.Usage(acct.ID, dayKey(now, q.cfg.Location))
		if err != nil {
			return 0, err
		}
		if u.Parts+parts > acct.DailyQuota {
			return 0, fmt.Errorf("%w: %d of %d SMS used today, %d more asked", ErrQuotaExceeded, u.Parts, acct.DailyQuota, parts)
		}
	}
	if !acct.Limited {
		return -1, nil
	}
	left, err := tx.ChargeCredits(acct.ID, int64(parts))
	if errors.Is(err, store.ErrInsufficientCredits) {
		return left, fmt.Errorf("%w: %w", ErrNoCredits, err)
	}
	return left, err
}

func (q *Queue) submitOptions(req Request) pdu.SubmitOptions {
	maxParts := req.MaxParts
	if maxParts == 0 {
		maxParts = q.cfg.MaxParts
	}
	return pdu.SubmitOptions{
		StatusReport: !q.cfg.NoStatusReports,
		Flash:        req.Flash,
		Validity:     q.validity(req),
		MaxParts:     maxParts,
		// The text is already transliterated by finalText; doing it
		// again is harmless and keeps the encoder's choice identical.
		Transliterate: req.Transliterate,
	}
}

func (q *Queue) validity(req Request) time.Duration {
	if req.Validity > 0 {
		return req.Validity
	}
	return q.cfg.Validity
}

// NormalizeNumber returns number in E.164 using the default country (SPEC
// Q2), and false when it is not a valid phone number. "06 12 34 56 78",
// "+33612345678", "0033612345678" and "33612345678" all give
// "+33612345678" for France.
func (q *Queue) NormalizeNumber(number string) (string, bool) {
	return q.numbers.normalize(number)
}

// normalizer turns phone numbers into E.164 with libphonenumber. Parsing
// free text with it costs about 30 µs a number, which alone would take 3 s
// for a 100 000-number campaign; so plain digit strings in the usual
// shapes ("+<country><number>", "0<national>") are split directly and only
// validated by the library, and anything else goes through its full
// parser. The shortcut is taken only for countries whose national prefix
// handling is a plain strip (no parsing rule or transformation, unlike
// Argentina or the UK), where it gives the parser's result.
type normalizer struct {
	region string
	cc     int            // the default region's calling code
	plain  map[int]string // calling code -> national prefix, for the codes the shortcut handles
}

func newNormalizer(region string) (*normalizer, error) {
	region = strings.ToUpper(region)
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return nil, fmt.Errorf("%w: unknown default country %q", ErrInvalid, region)
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, fmt.Errorf("queue: phone number metadata: %w", err)
	}
	n := &normalizer{region: region, cc: cc, plain: map[int]string{}}
	main := map[string]bool{}
	for code := range phonenumbers.GetSupportedCallingCodes() {
		main[phonenumbers.GetRegionCodeForCountryCode(code)] = true
	}
	for _, md := range coll.GetMetadata() {
		if !main[md.GetId()] {
			continue
		}
		np, npfp := md.GetNationalPrefix(), md.GetNationalPrefixForParsing()
		if md.GetNationalPrefixTransformRule() == "" && (npfp == "" || npfp == np) {
			n.plain[int(md.GetCountryCode())] = np
		}
	}
	return n, nil
}

func (n *normalizer) normalize(number string) (string, bool) {
	s := strings.TrimSpace(number)
	if s == "" || len(s) > 32 {
		return "", false
	}
	if e, ok := n.shortcut(s); ok {
		return e, true
	}
	if num, err := phonenumbers.Parse(s, n.region); err == nil && phonenumbers.IsValidNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164), true
	}
	// International digits without "+" or "00" (sMsmode's 336xxxxxxxx).
	if s[0] >= '1' && s[0] <= '9' {
		if num, err := phonenumbers.Parse("+"+s, n.region); err == nil && phonenumbers.IsValidNumber(num) {
			return phonenumbers.Format(num, phonenumbers.E164), true
		}
	}
	return "", false
}

// shortcut validates the common shapes without the full parser; false
// means "not decided here", never "invalid".
func (n *normalizer) shortcut(s string) (string, bool) {
	var digits [24]byte
	nd := 0
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if nd == len(digits) {
				return "", false
			}
			digits[nd] = c
			nd++
		case c == '+' && i == 0:
			plus = true
		case c == ' ' || c == '.' || c == '-':
		default:
			return "", false
		}
	}
	d := string(digits[:nd])
	var cc int
	var national string
	switch {
	case plus:
		for l := 1; l <= 3 && l < len(d); l++ {
			code, _ := strconv.Atoi(d[:l])
			if phonenumbers.GetRegionCodeForCountryCode(code) != phonenumbers.UNKNOWN_REGION {
				cc, national = code, d[l:]
				break
			}
		}
	case d != "" && d[0] == '0':
		np, ok := n.plain[n.cc]
		if !ok || np != "0" {
			return "", false
		}
		cc, national = n.cc, d[1:]
	default:
		return "", false
	}
	np, ok := n.plain[cc]
	if cc == 0 || !ok || national == "" || national[0] == '0' || len(national) > 17 || (np != "" && strings.HasPrefix(national, np)) {
		return "", false
	}
	nn, err := strconv.ParseUint(national, 10, 64)
	if err != nil {
		return "", false
	}
	c32 := int32(cc)
	num := &phonenumbers.PhoneNumber{CountryCode: &c32, NationalNumber: &nn}
	if !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return "+" + strconv.Itoa(cc) + national, true
}

// textHash is the duplicate guard's fingerprint of a text (FNV-1a, 64 bits).
func textHash(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}

func truncate(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// createSeries stores a recurring series for req (SPEC Q3). Its first
// occurrence is the request itself; the scheduler queues the next ones.
func (q *Queue) createSeries(tx *store.Tx, req Request, now time.Time) (int64, error) {
	first := req.At
	if first.IsZero() {
		first = now
	}
	occ := req
	occ.Repeat, occ.RepeatUntil, occ.At = "", time.Time{}, time.Time{}
	body, err := json.Marshal(occ)
	if err != nil {
		return 0, fmt.Errorf("queue: recurring send: %w", err)
	}
	next := req.Repeat.Occurrence(first, 1, q.cfg.Location)
	return tx.CreateRecurring(store.Recurring{
		AccountID: req.AccountID,
		Period:    string(req.Repeat),
		FirstAt:   first,
		NextAt:    next,
		Count:     1,
		Until:     req.RepeatUntil,
		Text:      req.Text,
		Request:   body,
		CreatedAt: now,
	})
}
