package inbound

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"

	"gsmbox/modem"
	"gsmbox/modem/sim"
	"gsmbox/queue"
	"gsmbox/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func tcheck(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls cond; the bound only keeps a broken handler from hanging
// the suite, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForUpTo(t, 30*time.Second, what, cond)
}

func waitForUpTo(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a queue.Clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Timer(deadline time.Time) (<-chan time.Time, func() bool) {
	// The handler tests call Expire directly; timers never fire.
	return make(chan time.Time), func() bool { return true }
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// box is a store, a queue (not dispatching) and a handler over one
// database file, which can be closed and reopened like a restarted process.
type box struct {
	t    *testing.T
	path string
	clk  *fakeClock
	cfg  Config
	st   *store.Store
	q    *queue.Queue
	h    *Handler
}

func newBox(t *testing.T, cfg Config) *box {
	b := &box{t: t, path: filepath.Join(t.TempDir(), "gsmbox.db"), clk: &fakeClock{now: t0}, cfg: cfg}
	b.open()
	t.Cleanup(func() { b.st.Close() })
	return b
}

func (b *box) open() {
	st, err := store.Open(context.Background(), b.path)
	tcheck(b.t, err, "open store")
	q, err := queue.New(st, nil, queue.Config{Clock: b.clk, Location: time.UTC})
	tcheck(b.t, err, "queue")
	cfg := b.cfg
	cfg.Store, cfg.Queue, cfg.Clock = st, q, b.clk
	h, err := New(cfg)
	tcheck(b.t, err, "handler")
	b.st, b.q, b.h = st, q, h
}

// restart closes the database and opens it again with a new handler.
func (b *box) restart() {
	tcheck(b.t, b.st.Close(), "close store")
	b.open()
}

// deliverPDUs builds SMS-DELIVER PDUs as a modem prints them (empty SMSC
// field first), with warthog618/sms, independently of package pdu.
func deliverPDUs(t *testing.T, enc *sms.Encoder, from, text string, scts time.Time) [][]byte {
	t.Helper()
	tps, err := enc.Encode([]byte(text), sms.From(from))
	tcheck(t, err, "encode deliver")
	var out [][]byte
	for _, tp := range tps {
		tp.SCTS = tpdu.Timestamp{Time: scts}
		b, err := tp.MarshalBinary()
		tcheck(t, err, "marshal deliver")
		out = append(out, append([]byte{0x00}, b...))
	}
	return out
}

func newEncoder() *sms.Encoder { return sms.NewEncoder(sms.AsDeliver) }

func (b *box) receive(p []byte) {
	b.t.Helper()
	err := b.h.Inbound(context.Background(), modem.Inbound{Modem: "m1", Kind: modem.InboundSMS, PDU: p, Index: -1, Received: b.clk.Now()})
	tcheck(b.t, err, "inbound")
}

func (b *box) inbound() []store.Inbound {
	b.t.Helper()
	in, err := b.st.InboundMessages(context.Background(), store.InboundFilter{Limit: 1000})
	tcheck(b.t, err, "list inbound")
	return in
}

func TestNormalizeKeyword(t *testing.T) {
	h, err := New(Config{Store: &store.Store{}, Queue: &queue.Queue{}})
	tcheck(t, err, "new")
	for text, want := range map[string]string{
		"STOP": KeywordStop, "stop": KeywordStop, " Stop. ": KeywordStop, "S T O P": KeywordStop, "stop!!": KeywordStop,
		"Stop SMS": KeywordStop, "stop-sms": KeywordStop, "Arrêt": KeywordStop, "arret": KeywordStop, "ARRÊT !": KeywordStop,
		"Unsubscribe": KeywordStop, "STOP 36034": KeywordStop, "start": KeywordStart, "Start.": KeywordStart,
		"contact ?": KeywordContact, "stop please": "", "Je veux que ça s'arrête": "", "": "", "STOPPER": "",
	} {
		if got := h.keyword(text); got != want {
			t.Errorf("keyword(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestReceiveThreadUnread(t *testing.T) {
	b := newBox(t, Config{})
	events, cancel := b.q.Subscribe(16)
	defer cancel()
	enc := newEncoder()
	b.receive(deliverPDUs(t, enc, "+33612345678", "Bonjour, à quelle heure ouvrez-vous ?", t0)[0])
	in := b.inbound()
	if len(in) != 1 || in[0].Number != "+33612345678" || in[0].Text != "Bonjour, à quelle heure ouvrez-vous ?" || in[0].Read || !in[0].SCTS.Equal(t0) {
		t.Fatalf("stored %+v", in)
	}
	convs, err := b.st.Conversations(context.Background(), time.Time{}, 10)
	tcheck(t, err, "conversations")
	if len(convs) != 1 || convs[0].Unread != 1 || convs[0].Number != "+33612345678" {
		t.Fatalf("conversations %+v", convs)
	}
	select {
	case e := <-events:
		if e.Kind != queue.EventInbound || e.InboundID != in[0].ID {
			t.Fatalf("event %+v", e)
		}
	default:
		t.Fatal("no live event")
	}
}

func TestSamePDUTwiceStoredOnce(t *testing.T) {
	b := newBox(t, Config{})
	enc := newEncoder()
	single := deliverPDUs(t, enc, "+33612345678", "Merci", t0)[0]
	b.receive(single)
	b.receive(single)
	parts := deliverPDUs(t, enc, "+33698765432", strings.Repeat("Un long message recu en trois parties. ", 9), t0)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	for _, p := range []int{0, 1, 1, 2} { // part 2 twice while pending
		b.receive(parts[p])
	}
	// The network delivers part 1 again after the message was complete
	// (late acknowledgement, or a re-read after a crash).
	b.receive(parts[0])
	in := b.inbound()
	if len(in) != 2 {
		t.Fatalf("%d messages stored, want 2: %+v", len(in), in)
	}
	if in[0].Parts != 3 || in[0].Incomplete || !strings.HasPrefix(in[0].Text, "Un long message") {
		t.Errorf("multipart %+v", in[0])
	}
	// Nothing is left pending that would later expire as a bogus
	// incomplete message.
	b.clk.Advance(DefaultPartTimeout + time.Hour)
	n, err := b.h.Expire(context.Background())
	tcheck(t, err, "expire")
	if n != 0 || len(b.inbound()) != 2 {
		t.Fatalf("expired %d messages after duplicates", n)
	}
}

func TestMultipartAcrossRestart(t *testing.T) {
	b := newBox(t, Config{})
	text := strings.Repeat("Coupé par un redémarrage. ", 12)
	parts := deliverPDUs(t, newEncoder(), "+33612345678", text, t0)
	b.receive(parts[2])
	b.receive(parts[0])
	b.restart()
	b.receive(parts[1])
	in := b.inbound()
	if len(in) != 1 || in[0].Text != text || in[0].Parts != len(parts) {
		t.Fatalf("after restart: %+v", in)
	}
}

func TestIncompleteAfterTimeout(t *testing.T) {
	b := newBox(t, Config{})
	parts := deliverPDUs(t, newEncoder(), "+33612345678", strings.Repeat("Il manque une partie. ", 18), t0)
	b.receive(parts[0])
	b.receive(parts[2])
	b.clk.Advance(DefaultPartTimeout - time.Minute)
	n, err := b.h.Expire(context.Background())
	tcheck(t, err, "expire")
	if n != 0 {
		t.Fatalf("expired before the timeout")
	}
	b.restart()
	b.clk.Advance(2 * time.Minute)
	n, err = b.h.Expire(context.Background())
	tcheck(t, err, "expire")
	in := b.inbound()
	if n != 1 || len(in) != 1 || !in[0].Incomplete || !strings.Contains(in[0].Text, "[...]") {
		t.Fatalf("expired %d: %+v", n, in)
	}
	// The missing part arrives at last: it does not duplicate what was
	// stored, the parts already stored are recognised.
	b.receive(parts[0])
	if len(b.inbound()) != 1 {
		t.Fatal("a redelivered part of an expired message was stored again")
	}
}

func TestStopKeyword(t *testing.T) {
	b := newBox(t, Config{})
	ctx := context.Background()
	rc, err := b.q.Submit(ctx, queue.Request{Numbers: []string{"+33612345678"}, Text: "Promo demain", At: t0.Add(time.Hour), Channel: queue.Marketing})
	tcheck(t, err, "submit")
	b.receive(deliverPDUs(t, newEncoder(), "+33612345678", "Stop.", t0)[0])
	stops, err := b.st.StopList(ctx, time.Time{}, 10)
	tcheck(t, err, "stop list")
	in := b.inbound()
	if len(stops) != 1 || stops[0].Number != "+33612345678" || stops[0].Source != "sms" || stops[0].InboundID != in[0].ID || in[0].Keyword != KeywordStop {
		t.Fatalf("stop list %+v, inbound %+v", stops, in)
	}
	m, err := b.st.Message(ctx, rc.Results[0].MessageID)
	tcheck(t, err, "message")
	if m.Status != store.StatusStopped {
		t.Fatalf("queued message %s after STOP", m.Status)
	}
	msgs, err := b.st.Messages(ctx, store.MessageFilter{Number: "+33612345678", Statuses: []store.Status{store.StatusQueued}})
	tcheck(t, err, "messages")
	if len(msgs) != 1 || msgs[0].Text != DefaultStopReply || !msgs[0].IgnoreStop {
		t.Fatalf("confirmation %+v", msgs)
	}
	b.receive(deliverPDUs(t, newEncoder(), "+33612345678", "start", t0.Add(time.Minute))[0])
	stops, _ = b.st.StopList(ctx, time.Time{}, 10)
	if len(stops) != 0 {
		t.Fatalf("START did not remove the number: %+v", stops)
	}
}

func TestContactKeyword(t *testing.T) {
	b := newBox(t, Config{ContactReply: "Boulangerie Martin, 1 rue Haute, 01 02 03 04 05", NoStopReply: true})
	b.receive(deliverPDUs(t, newEncoder(), "+33612345678", "CONTACT", t0)[0])
	msgs, err := b.st.Messages(context.Background(), store.MessageFilter{Number: "+33612345678"})
	tcheck(t, err, "messages")
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Text, "Boulangerie") {
		t.Fatalf("reply %+v", msgs)
	}
	b.receive(deliverPDUs(t, newEncoder(), "+33699999999", "STOP", t0)[0])
	msgs, _ = b.st.Messages(context.Background(), store.MessageFilter{Number: "+33699999999"})
	if len(msgs) != 0 {
		t.Fatalf("STOP confirmation sent although disabled: %+v", msgs)
	}
}

func TestUndecodableKept(t *testing.T) {
	b := newBox(t, Config{})
	err := b.h.Inbound(context.Background(), modem.Inbound{Modem: "m1", PDU: []byte{0x00, 0x04, 0x0B}})
	if err != nil {
		t.Fatalf("a bad PDU must be committed (kept) and acknowledged: %v", err)
	}
	if len(b.inbound()) != 0 {
		t.Fatal("a bad PDU became a message")
	}
}

// The real path: virtual modems on ptys, the modem pool, this handler, the
// queue dispatching through the same pool.
func TestThroughVirtualModems(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gsmbox.db"))
	tcheck(t, err, "store")
	defer st.Close()
	m, err := sim.New(sim.Config{Link: filepath.Join(t.TempDir(), "usb-Sim_Modem_0-if00"), StatusReports: true})
	tcheck(t, err, "sim")
	defer m.Close()
	var h *Handler
	var hmu sync.Mutex
	proxy := handlerFunc{get: func() *Handler { hmu.Lock(); defer hmu.Unlock(); return h }}
	pool, err := modem.NewPool(modem.Config{Handler: proxy, PollInterval: 200 * time.Millisecond, ReopenMax: 200 * time.Millisecond}, m.Path())
	tcheck(t, err, "pool")
	q, err := queue.New(st, pool, queue.Config{Location: time.UTC, QuietHours: queue.QuietHours{Disabled: true}})
	tcheck(t, err, "queue")
	hmu.Lock()
	h, err = New(Config{Store: st, Queue: q, CallReply: "Nous vous rappelons vite."})
	hmu.Unlock()
	tcheck(t, err, "handler")
	ctx, cancel := context.WithCancel(context.Background())
	poolDone := make(chan struct{})
	go func() { pool.Run(ctx); close(poolDone) }()
	go h.Run(ctx)
	defer func() {
		cancel()
		q.Wait()
		<-poolDone
		if h.Panics() > 0 || q.Panics() > 0 {
			t.Errorf("panics: %d inbound, %d queue", h.Panics(), q.Panics())
		}
	}()
	waitFor(t, "modem ready", func() bool { return pool.Statuses()[0].Ready() })
	tcheck(t, q.Start(ctx), "start queue")

	long := strings.Repeat("Réponse longue en plusieurs parties. ", 10)
	_, err = m.Deliver("+33612345678", long, sim.DeliverOptions{Shuffle: true})
	tcheck(t, err, "deliver")
	_, err = m.Deliver("+33622222222", "Stop", sim.DeliverOptions{})
	tcheck(t, err, "deliver")
	tcheck(t, m.Ring("+33633333333"), "ring")
	waitFor(t, "messages stored", func() bool {
		in, _ := st.InboundMessages(ctx, store.InboundFilter{})
		return len(in) == 2
	})
	in, _ := st.InboundMessages(ctx, store.InboundFilter{Number: "+33612345678"})
	if len(in) != 1 || in[0].Text != long {
		t.Fatalf("long message %+v", in)
	}
	// The STOP confirmation and the call answer leave through the modem
	// and are delivered (status reports through this handler).
	waitFor(t, "replies delivered", func() bool {
		msgs, _ := st.Messages(ctx, store.MessageFilter{Statuses: []store.Status{store.StatusDelivered}})
		return len(msgs) == 2
	})
	calls, err := st.Calls(ctx, "", 0, 10)
	tcheck(t, err, "calls")
	if len(calls) == 0 || calls[0].Number != "+33633333333" || calls[0].Replied == 0 {
		t.Fatalf("calls %+v", calls)
	}
	// Burst: 1 000 SMS, one in ten multipart, none lost.
	for i := range 1000 {
		text := fmt.Sprintf("Message %d", i)
		if i%10 == 0 {
			text += strings.Repeat(" suite", 40)
		}
		_, err := m.Deliver(fmt.Sprintf("+336%08d", 10000000+i), text, sim.DeliverOptions{})
		tcheck(t, err, "deliver burst")
	}
	start := time.Now()
	// Every SMS goes through the modem and the pty: the bound only stops
	// a hang on a loaded machine.
	waitForUpTo(t, 2*time.Minute, "burst stored", func() bool {
		in, _ := st.InboundMessages(ctx, store.InboundFilter{Limit: 1000})
		if len(in) < 1000 {
			return false
		}
		older, _ := st.InboundMessages(ctx, store.InboundFilter{BeforeID: in[len(in)-1].ID, Limit: 1000})
		return len(in)+len(older) == 1002
	})
	t.Logf("1 000 SMS burst stored in %v", time.Since(start))
}

// handlerFunc forwards to a Handler created after the pool.
type handlerFunc struct{ get func() *Handler }

func (f handlerFunc) Inbound(ctx context.Context, in modem.Inbound) error {
	h := f.get()
	if h == nil {
		return fmt.Errorf("handler not ready")
	}
	return h.Inbound(ctx, in)
}

func (f handlerFunc) Call(ctx context.Context, c modem.Call) {
	if h := f.get(); h != nil {
		h.Call(ctx, c)
	}
}

func (f handlerFunc) State(s modem.Status) {
	if h := f.get(); h != nil {
		h.State(s)
	}
}
