package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gsmbox/queue"
	"gsmbox/store"
)

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

// clock is a settable clock shared by the queue and the runner.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) Timer(time.Time) (<-chan time.Time, func() bool) {
	return make(chan time.Time), func() bool { return true }
}

// receiver is a test HTTP server recording what it gets; fail makes it
// answer 500 to the next n calls.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	fail  int
	got   chan struct{}
}

type call struct {
	method, path string
	query        url.Values
	rawQuery     string
	body         []byte
	header       http.Header
	acked        bool
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan struct{}, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		c := call{method: r.Method, path: r.URL.Path, query: r.URL.Query(), rawQuery: r.URL.RawQuery, body: b, header: r.Header.Clone()}
		if rc.fail > 0 {
			rc.fail--
			rc.calls = append(rc.calls, c)
			rc.mu.Unlock()
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		c.acked = true
		rc.calls = append(rc.calls, c)
		rc.mu.Unlock()
		select {
		case rc.got <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) acked() []call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []call
	for _, c := range rc.calls {
		if c.acked {
			out = append(out, c)
		}
	}
	return out
}

func (rc *receiver) setFail(n int) {
	rc.mu.Lock()
	rc.fail = n
	rc.mu.Unlock()
}

type env struct {
	t     *testing.T
	path  string
	st    *store.Store
	q     *queue.Queue
	clock *clock
	r     *Runner
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "gsmbox.db"), clock: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, paris)}}
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

// open (re)opens the store and makes a new queue and runner, as a restart
// of the process does.
func (e *env) open() {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	if e.q, err = queue.New(st, nil, queue.Config{Clock: e.clock, Location: paris}); err != nil {
		e.t.Fatal(err)
	}
	e.r, err = New(Config{Store: st, Location: paris, Now: e.clock.Now, BackoffMin: time.Minute, BackoffMax: time.Hour,
		GiveUpAfter: 24 * time.Hour, OperatorCode: func(string) string { return "20801" },
		BoxNumber: func(string) string { return "+33700000000" }})
	if err != nil {
		e.t.Fatal(err)
	}
}

// send submits a text to numbers with a send row carrying sd's URLs,
// as package ui does.
func (e *env) send(text string, numbers []string, sd store.Send) []int64 {
	e.t.Helper()
	var ids []int64
	err := e.st.Write(context.Background(), func(tx *store.Tx) error {
		rc, err := e.q.SubmitTx(tx, queue.Request{Text: text, Numbers: numbers, RefClient: sd.RefClient})
		if err != nil {
			return err
		}
		sd.AccountID, sd.CreatedAt = store.DefaultAccount, e.clock.Now()
		sd, err = tx.InsertSend(sd)
		if err != nil {
			return err
		}
		for _, r := range rc.Results {
			ids = append(ids, r.MessageID)
		}
		return tx.LinkSend(sd.ID, ids)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

// dispatch marks the next due message sent through modem m1 with TP-MR
// mr, as the dispatcher does after +CMGS.
func (e *env) dispatch(mr int) store.Message {
	e.t.Helper()
	ctx := context.Background()
	res, err := e.st.Claim(ctx, store.ClaimRequest{Modem: "m1", Marketing: true, Now: e.clock.Now()})
	if err != nil || res.Out == nil {
		e.t.Fatalf("claim: %+v %v", res, err)
	}
	if next, err := e.st.PartSent(ctx, res.Out.Message.ID, res.Out.Part.Seq, mr, "m1", e.clock.Now()); err != nil || next != nil {
		e.t.Fatalf("part sent: %v %v", next, err)
	}
	m, _ := e.st.Message(ctx, res.Out.Message.ID)
	return m
}

func (e *env) report(m store.Message, mr int, outcome string, tpst int) {
	e.t.Helper()
	now := e.clock.Now()
	if _, err := e.st.RecordDelivery(context.Background(), store.DeliveryReport{Modem: "m1", MR: mr, Number: m.Number, TPStatus: tpst,
		Outcome: outcome, Discharge: now, Since: now.Add(-time.Hour)}, now); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) cycle() (produced, delivered int) {
	e.t.Helper()
	p, err := e.r.Produce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.r.Deliver(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	if n := e.r.Panics(); n > 0 {
		e.t.Fatalf("%d delivery panics", n)
	}
	return p, d
}

func TestSMSmodeDeliveryReports(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle() // first run: history ends here
	ids := e.send("Bonjour test", []string{"0612345678"}, store.Send{API: "smsmode", NotifyURL: rc.URL + "/compteRenduNotification.php", RefClient: "12azer34"})
	sd, _ := e.st.SendOf(context.Background(), ids[0])
	if p, d := e.cycle(); p != 0 || d != 0 {
		t.Fatalf("queued: produced %d delivered %d", p, d)
	}
	m := e.dispatch(7)
	if p, d := e.cycle(); p != 1 || d != 1 {
		t.Fatalf("sent: produced %d delivered %d", p, d)
	}
	e.clock.add(3 * time.Second)
	e.report(m, 7, store.DeliveryDelivered, 0)
	e.cycle()
	got := rc.acked()
	if len(got) != 2 {
		t.Fatalf("%d calls", len(got))
	}
	want := []string{
		"numero=33612345678&date_reception=2026-03-02+09%3A00%3A00&statut=13&smsID=" + sd.PublicID + "&refClient=12azer34&mcc_mnc=20801",
		"numero=33612345678&date_reception=2026-03-02+09%3A00%3A03&statut=11&smsID=" + sd.PublicID + "&refClient=12azer34&mcc_mnc=20801",
	}
	for i, c := range got {
		if c.method != "GET" || c.path != "/compteRenduNotification.php" {
			t.Errorf("call %d: %s %s", i, c.method, c.path)
		}
		if sortedQuery(c.rawQuery) != sortedQuery(want[i]) {
			t.Errorf("call %d: %s\nwant %s", i, c.rawQuery, want[i])
		}
	}
}

func sortedQuery(q string) string {
	v, _ := url.ParseQuery(q)
	return v.Encode()
}

func TestSMSmodeReplies(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle()
	ids := e.send("Venez-vous ?", []string{"0601020304"}, store.Send{API: "smsmode", ReplyURL: rc.URL + "/notificationReponse.php", RefClient: "monclient123"})
	sd, _ := e.st.SendOf(context.Background(), ids[0])
	e.dispatch(1)
	at := time.Date(2013, 1, 1, 12, 22, 33, 0, paris)
	var inID int64
	err := e.st.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		inID, _, err = tx.InsertInbound(store.Inbound{Number: "+33601020304", Modem: "m1", Text: "Oui, à 10h €", Encoding: "ucs2", Parts: 1,
			SCTS: at, ReceivedAt: at, ClockOK: true, DedupeKey: "r1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.cycle()
	got := rc.acked()
	if len(got) != 1 {
		t.Fatalf("%d calls", len(got))
	}
	c := got[0]
	want := url.Values{"numero": {"33700000000"}, "message": {"Oui, \xe0 10h \xa4"}, "emetteur": {"33601020304"},
		"date_reception": {"01012013-122233"}, "smsID": {sd.PublicID}, "refClient": {"monclient123"}, "responseID": {itoa(inID)}}
	if c.path != "/notificationReponse.php" || c.query.Encode() != want.Encode() {
		t.Fatalf("reply call %s %s\nwant %s", c.path, c.rawQuery, want.Encode())
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestKannelDLR(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle()
	e.send("PROBLEM", []string{"0612345678"}, store.Send{API: "kannel", DLRURL: rc.URL + "/dlr?type=%d&to=%p&at=%t&reply=%A&id=%I&pct=100%%&x=%z", DLRMask: 1 | 2 | 8})
	m := e.dispatch(3)
	e.clock.add(time.Minute)
	e.report(m, 3, store.DeliveryFailed, 0x41)
	e.cycle()
	got := rc.acked()
	if len(got) != 2 {
		t.Fatalf("%d calls", len(got))
	}
	if got[0].query.Get("type") != "8" {
		got[0], got[1] = got[1], got[0] // delivered in parallel
	}
	if got[0].query.Get("type") != "8" || got[0].query.Get("to") != "+33612345678" || got[0].query.Get("at") != "2026-03-02 09:00" ||
		got[0].query.Get("reply") != "ACK" || got[0].query.Get("id") != itoa(m.ID) || !strings.Contains(got[0].rawQuery, "&pct=100%&") {
		t.Errorf("submit report %s", got[0].rawQuery)
	}
	if !strings.HasSuffix(got[0].rawQuery, "&x=%z") {
		t.Errorf("unknown escape changed: %s", got[0].rawQuery)
	}
	if got[1].query.Get("type") != "2" || !strings.HasPrefix(got[1].query.Get("reply"), "Failed") || got[1].query.Get("at") != "2026-03-02 09:01" {
		t.Errorf("failure report %s", got[1].rawQuery)
	}
}

// TestJSONSigned: a JSON endpoint gets both events, signed.
func TestJSONSigned(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep, err := AddEndpoint(context.Background(), e.st, Endpoint{URL: rc.URL + "/hook"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.cycle()
	e.send("Hello", []string{"0612345678"}, store.Send{API: "native", RefClient: "r1"})
	e.dispatch(1)
	at := e.clock.Now()
	e.st.Write(context.Background(), func(tx *store.Tx) error {
		_, _, err := tx.InsertInbound(store.Inbound{Number: "+33612345678", Modem: "m1", Text: "Merci", Encoding: "gsm7", Parts: 1,
			SCTS: at, ReceivedAt: at, ClockOK: true, DedupeKey: "j1"})
		return err
	})
	e.cycle()
	got := rc.acked()
	if len(got) != 2 {
		t.Fatalf("%d calls", len(got))
	}
	for _, c := range got {
		if c.method != "POST" || c.header.Get("Content-Type") != "application/json" || c.header.Get(DeliveryHeader) == "" {
			t.Errorf("call %s %v", c.method, c.header)
		}
		if sig := c.header.Get(SignatureHeader); sig != Sign(ep.Secret, c.body) || !strings.HasPrefix(sig, "sha256=") {
			t.Errorf("signature %q", sig)
		}
	}
	var st struct {
		Event   string `json:"event"`
		Message struct {
			Number    string `json:"number"`
			Status    string `json:"status"`
			RefClient string `json:"ref_client"`
		} `json:"message"`
		SMSmode int `json:"smsmode_status"`
	}
	// Deliveries run in parallel: find each event's call.
	if strings.Contains(string(got[0].body), `"event":"inbound"`) {
		got[0], got[1] = got[1], got[0]
	}
	json.Unmarshal(got[0].body, &st)
	if st.Event != EventStatus || st.Message.Status != "sent" || st.Message.Number != "+33612345678" || st.SMSmode != 13 || st.Message.RefClient != "r1" {
		t.Errorf("status JSON %s", got[0].body)
	}
	var in struct {
		Event   string `json:"event"`
		Inbound struct {
			Text    string `json:"text"`
			ReplyTo int64  `json:"reply_to"`
		} `json:"inbound"`
	}
	json.Unmarshal(got[1].body, &in)
	if in.Event != EventInbound || in.Inbound.Text != "Merci" || in.Inbound.ReplyTo == 0 {
		t.Errorf("inbound JSON %s", got[1].body)
	}
	// Once the endpoint is removed, what is left for it is abandoned.
	e.send("Hello 2", []string{"0612345679"}, store.Send{API: "native"})
	e.dispatch(2)
	if _, err := e.r.Produce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := RemoveEndpoint(context.Background(), e.st, 0, ep.ID); err != nil {
		t.Fatal(err)
	}
	e.cycle()
	failed, _ := e.st.Webhooks(context.Background(), store.WebhookFilter{State: "failed"})
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "endpoint removed") {
		t.Fatalf("abandoned %+v", failed)
	}
}

// TestFailThenRecoverExactlyOnce: a receiver failing, then recovering,
// with a restart in between, gets every notification acknowledged
// exactly once; failures are visible meanwhile.
func TestFailThenRecoverExactlyOnce(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle()
	const n = 5
	var nums []string
	for i := range n {
		nums = append(nums, "061234567"+string(rune('0'+i)))
	}
	e.send("Alerte", nums, store.Send{API: "smsmode", NotifyURL: rc.URL + "/cr"})
	rc.setFail(1000)
	for i := range n {
		e.dispatch(i + 1)
	}
	p, d := e.cycle()
	if p != n || d != 0 {
		t.Fatalf("produced %d delivered %d", p, d)
	}
	ws, _ := e.st.Webhooks(context.Background(), store.WebhookFilter{State: "retrying"})
	if len(ws) != n || ws[0].Attempts != 1 || !strings.Contains(ws[0].LastError, "500") {
		t.Fatalf("retrying %+v", ws)
	}
	// Not due yet: nothing is tried.
	if _, d := e.cycle(); d != 0 || len(rc.calls) != n {
		t.Fatalf("retried early: %d calls", len(rc.calls))
	}
	e.clock.add(2 * time.Minute)
	e.cycle() // second failed attempt
	// Restart: close everything, reopen, new runner. Two more messages
	// are reported while "down" (journal written, nothing produced).
	e.st.Close()
	e.open()
	e.clock.add(10 * time.Minute)
	rc.setFail(0)
	p, d = e.cycle()
	if p != 0 || d != n {
		t.Fatalf("after restart: produced %d delivered %d", p, d)
	}
	seen := map[string]int{}
	for _, c := range rc.acked() {
		seen[c.query.Get("numero")]++
	}
	if len(seen) != n {
		t.Fatalf("acknowledged %v", seen)
	}
	for num, k := range seen {
		if k != 1 {
			t.Errorf("%s acknowledged %d times", num, k)
		}
	}
	// Nothing more is sent, even much later.
	e.clock.add(48 * time.Hour)
	if _, d := e.cycle(); d != 0 || len(rc.acked()) != n {
		t.Fatalf("resent after acknowledgement")
	}
	counts, _ := e.st.CountWebhooks(context.Background())
	if counts["delivered"] != n || counts["pending"] != 0 {
		t.Fatalf("counts %v", counts)
	}
}

// TestNothingLostAcrossRestart: events recorded while no runner runs are
// produced by the next one.
func TestNothingLostAcrossRestart(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle()
	e.send("Un", []string{"0612345671", "0612345672"}, store.Send{API: "smsmode", NotifyURL: rc.URL + "/cr"})
	e.dispatch(1)
	e.st.Close()
	e.open()
	e.dispatch(2)
	if p, d := e.cycle(); p != 2 || d != 2 {
		t.Fatalf("produced %d delivered %d", p, d)
	}
}

func TestHistoryNotNotified(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.send("Old", []string{"0612345678"}, store.Send{API: "smsmode", NotifyURL: rc.URL + "/cr"})
	e.dispatch(1)
	if p, _ := e.cycle(); p != 0 {
		t.Fatalf("history notified: %d", p)
	}
}

func TestGiveUpAndRetry(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.cycle()
	e.send("X", []string{"0612345678"}, store.Send{API: "smsmode", NotifyURL: rc.URL + "/cr"})
	e.dispatch(1)
	rc.setFail(1000)
	e.cycle()
	for range 30 {
		e.clock.add(time.Hour + 15*time.Minute)
		e.cycle()
	}
	failed, _ := e.st.Webhooks(context.Background(), store.WebhookFilter{State: "failed"})
	if len(failed) != 1 || !failed[0].GaveUp {
		t.Fatalf("not given up: %+v", failed)
	}
	attempts := failed[0].Attempts
	if attempts < 3 || attempts > 30 {
		t.Fatalf("attempts %d", attempts)
	}
	rc.setFail(0)
	if err := e.st.RetryWebhook(context.Background(), failed[0].ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, d := e.cycle(); d != 1 {
		t.Fatalf("retry delivered %d", d)
	}
}

func TestBackoff(t *testing.T) {
	r, _ := New(Config{Store: &store.Store{}, BackoffMin: time.Minute, BackoffMax: time.Hour})
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 10: time.Hour} {
		d := r.backoff(n)
		if d < want*8/10 || d > want*12/10 {
			t.Errorf("backoff(%d) = %s, want %s ±20%%", n, d, want)
		}
	}
}

// TestRunWakesOnKick: Run delivers without waiting for its poll when
// kicked.
func TestRunWakesOnKick(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	r, err := New(Config{Store: e.st, Location: paris, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	// Let the first pass record where history ends before sending.
	waitFor(t, func() bool { v, err := e.st.Setting(context.Background(), cursorJournal); return err == nil && v != "" })
	e.send("Kick", []string{"0612345678"}, store.Send{API: "smsmode", NotifyURL: rc.URL + "/cr"})
	e.dispatch(1)
	r.Kick()
	select {
	case <-rc.got:
	case <-time.After(30 * time.Second):
		t.Fatal("no notification after Kick")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEndpointScope: an endpoint gets its account's events and its
// sub-accounts'; unattributed received SMS go to top-level accounts'
// endpoints. A sMsmode-format endpoint gets the reply call.
func TestEndpointScope(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	top, sub := newReceiver(t), newReceiver(t)
	subID, err := e.st.CreateAccount(ctx, store.Account{Name: "sub", ParentID: store.DefaultAccount}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AddEndpoint(ctx, e.st, Endpoint{URL: top.URL + "/top", Format: FormatSMSmode, Events: []string{EventInbound}}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := AddEndpoint(ctx, e.st, Endpoint{AccountID: subID, URL: sub.URL + "/sub"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.cycle()
	// A message of the sub-account, then a reply to it, then an SMS from
	// an unknown number.
	err = e.st.Write(ctx, func(tx *store.Tx) error {
		_, err := e.q.SubmitTx(tx, queue.Request{AccountID: subID, Text: "Hello", Numbers: []string{"0612345678"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.dispatch(1)
	at := e.clock.Now()
	e.st.Write(ctx, func(tx *store.Tx) error {
		tx.InsertInbound(store.Inbound{Number: "+33612345678", Modem: "m1", Text: "Reply", Encoding: "gsm7", Parts: 1, SCTS: at, ReceivedAt: at, ClockOK: true, DedupeKey: "a"})
		tx.InsertInbound(store.Inbound{Number: "+33699999999", Modem: "m1", Text: "Who?", Encoding: "gsm7", Parts: 1, SCTS: at, ReceivedAt: at, ClockOK: true, DedupeKey: "b"})
		return nil
	})
	e.cycle()
	// sub: the status of its message and the reply to it (JSON).
	if got := sub.acked(); len(got) != 2 {
		t.Fatalf("sub endpoint got %d calls", len(got))
	}
	// top (inbound only, sMsmode format): the reply to its sub-account
	// and the unattributed SMS.
	got := top.acked()
	if len(got) != 2 {
		t.Fatalf("top endpoint got %d calls", len(got))
	}
	msgs := map[string]bool{}
	for _, c := range got {
		if c.method != "GET" || c.query.Get("numero") != "33700000000" {
			t.Errorf("top call %s %s", c.method, c.rawQuery)
		}
		msgs[c.query.Get("message")] = true
	}
	if !msgs["Reply"] || !msgs["Who?"] {
		t.Errorf("top messages %v", msgs)
	}
}
