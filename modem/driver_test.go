package modem_test

// These tests drive the real modem workers through the real serial code
// path: go.bug.st/serial on the slave side of a pty whose master is the
// virtual modem of modem/sim. PDUs are built and read with gsmbox's pdu
// package (a test-only import: package modem itself imports nothing of
// ours), and the virtual modem decodes every submit independently with
// warthog618/sms.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gsmbox/modem"
	"gsmbox/modem/sim"
	"gsmbox/pdu"
)

// recorder is a modem.Handler that keeps everything it is given. commit, when
// set, decides whether an inbound PDU is committed.
type recorder struct {
	mu       sync.Mutex
	attempts int // Inbound calls, committed or not
	inbound  []modem.Inbound
	calls    []modem.Call
	states   []modem.Status
	commit   func(modem.Inbound) error
}

func (r *recorder) Inbound(ctx context.Context, in modem.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.commit != nil {
		if err := r.commit(in); err != nil {
			return err
		}
	}
	r.inbound = append(r.inbound, in)
	return nil
}

func (r *recorder) Call(ctx context.Context, c modem.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) State(s modem.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, s)
}

func (r *recorder) setCommit(f func(modem.Inbound) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commit = f
}

// messages decodes the SMS received so far and reassembles multipart ones.
func (r *recorder) messages(t *testing.T) []*pdu.Message {
	t.Helper()
	r.mu.Lock()
	in := slices.Clone(r.inbound)
	r.mu.Unlock()
	ra := pdu.NewReassembler(pdu.NewMemParts())
	var out []*pdu.Message
	for _, p := range in {
		if p.Kind != modem.InboundSMS {
			continue
		}
		m, err := pdu.Decode(p.PDU, true)
		if err != nil {
			t.Fatalf("decode inbound %X: %v", p.PDU, err)
		}
		full, err := ra.Add(m, tpduOf(p.PDU), time.Now())
		if err != nil {
			t.Fatalf("reassemble: %v", err)
		}
		if full != nil {
			out = append(out, full)
		}
	}
	return out
}

func (r *recorder) count(kind modem.InboundKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, in := range r.inbound {
		if in.Kind == kind {
			n++
		}
	}
	return n
}

func (r *recorder) callList() []modem.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// tpduOf strips the SMSC field from a PDU as the modem prints it.
func tpduOf(p []byte) []byte { return p[int(p[0])+1:] }

type rig struct {
	t    *testing.T
	pool *modem.Pool
	sims []*sim.Modem
	rec  *recorder
	ids  []string
}

// newRig starts n virtual modems and a pool on them; cancel is done at
// cleanup, which also checks that the pool stops.
func newRig(t *testing.T, n int, mcfg modem.Config, scfg sim.Config) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t, rec: &recorder{}}
	for i := range n {
		c := scfg
		c.Link = filepath.Join(dir, fmt.Sprintf("usb-Sim_Modem_%d-if00", i))
		m, err := sim.New(c)
		if err != nil {
			t.Fatalf("sim: %v", err)
		}
		t.Cleanup(func() { m.Close() })
		r.sims = append(r.sims, m)
		r.ids = append(r.ids, m.Path())
	}
	mcfg.Handler = r.rec
	if mcfg.PollInterval == 0 {
		mcfg.PollInterval = 200 * time.Millisecond
	}
	if mcfg.ReopenMax == 0 {
		mcfg.ReopenMax = 200 * time.Millisecond
	}
	pool, err := modem.NewPool(mcfg, r.ids...)
	if err != nil {
		t.Fatal(err)
	}
	r.pool = pool
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		pool.Run(ctx)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(30 * time.Second):
			t.Error("pool did not stop after cancel")
		}
	})
	r.waitReady()
	return r
}

// waitFor polls cond; the bound only keeps a broken driver from hanging the
// suite, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) waitReady() {
	r.t.Helper()
	waitFor(r.t, "all modems ready", func() bool {
		for _, s := range r.pool.Statuses() {
			if !s.Ready() {
				return false
			}
		}
		return true
	})
}

func (r *rig) status(i int) modem.Status {
	for _, s := range r.pool.Statuses() {
		if s.ID == r.ids[i] {
			return s
		}
	}
	r.t.Fatalf("no status for %s", r.ids[i])
	return modem.Status{}
}

// send encodes text and sends every part through modem i, returning the MRs.
func (r *rig) send(i int, to, text string, ref byte, opts pdu.SubmitOptions) ([]int, error) {
	parts, err := pdu.EncodeSubmit(to, text, ref, opts)
	if err != nil {
		r.t.Fatalf("encode %q: %v", text, err)
	}
	var mrs []int
	for _, p := range parts {
		mr, err := r.pool.Send(context.Background(), r.ids[i], p.TPDU)
		if err != nil {
			return mrs, err
		}
		mrs = append(mrs, mr)
	}
	return mrs, nil
}

func TestIdentityAndSignal(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	s := r.status(0)
	id := sim.DefaultIdentity
	if s.Manufacturer != id.Manufacturer || s.Model != id.Model || s.IMEI != id.IMEI || s.IMSI != id.IMSI || s.ICCID != id.ICCID {
		t.Errorf("identity = %+v, want %+v", s, id)
	}
	if s.Operator != id.Operator || s.OperatorCode != id.OperatorNumeric {
		t.Errorf("operator = %q / %q, want %q / %q", s.Operator, s.OperatorCode, id.Operator, id.OperatorNumeric)
	}
	if s.Signal != sim.DefaultRSSI || s.SignalDBm != -113+2*sim.DefaultRSSI || s.Registration != 1 {
		t.Errorf("signal %d (%d dBm), registration %d", s.Signal, s.SignalDBm, s.Registration)
	}
	if s.Port == "" || s.Port == s.ID {
		t.Errorf("Port %q should be the resolved tty behind the stable ID %q", s.Port, s.ID)
	}
}

func TestSendTexts(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	long := strings.Repeat("Quatre parties pour ce message de test. ", 15)[:600]
	cases := []struct {
		name, text string
		parts      int
	}{
		{"gsm7", "Hello from gsmbox @ 10:00", 1},
		{"accents", "Rendez-vous à 10h: été, où, ça, très, è, ù", 1},
		{"extension", "Prix: 10€ [promo] {code} ~50% ^ | \\ fin", 1},
		{"arabic", "مرحبا بكم في متجرنا", 1},
		{"emoji", "Merci 😀👍 à bientôt", 1},
		{"four parts", long, 4},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(r.sims[0].Submitted())
			mrs, err := r.send(0, "+33612345678", c.text, byte(100+i), pdu.SubmitOptions{})
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			got := r.sims[0].Submitted()[before:]
			if len(got) != c.parts || len(mrs) != c.parts {
				t.Fatalf("%d parts submitted, %d MRs; want %d", len(got), len(mrs), c.parts)
			}
			var text strings.Builder
			for j, s := range got {
				if s.MR != mrs[j] {
					t.Errorf("part %d: driver MR %d, modem MR %d", j+1, mrs[j], s.MR)
				}
				if s.Destination != "+33612345678" {
					t.Errorf("part %d: destination %q", j+1, s.Destination)
				}
				if c.parts > 1 && (s.ConcatSeq != j+1 || s.ConcatTotal != c.parts || s.ConcatRef != 100+i) {
					t.Errorf("part %d: concat %d/%d ref %d", j+1, s.ConcatSeq, s.ConcatTotal, s.ConcatRef)
				}
				text.WriteString(s.Text)
			}
			if text.String() != c.text {
				t.Errorf("modem decoded %q, want %q", text.String(), c.text)
			}
		})
	}
}

func TestReceive(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	long := strings.Repeat("Un message long reçu en plusieurs parties. ", 8)
	cases := []struct {
		name string
		text string
		opts sim.DeliverOptions
	}{
		{"single", "Bonjour, je confirme le rendez-vous", sim.DeliverOptions{}},
		{"ucs2", "Salam مرحبا 😀", sim.DeliverOptions{}},
		{"multipart 8-bit ref", long, sim.DeliverOptions{}},
		{"multipart 16-bit ref", long + "16", sim.DeliverOptions{Ref16: true}},
		{"multipart out of order", long + "shuffled", sim.DeliverOptions{Shuffle: true}},
	}
	for _, c := range cases {
		if _, err := r.sims[0].Deliver("+33698765432", c.text, c.opts); err != nil {
			t.Fatalf("%s: deliver: %v", c.name, err)
		}
	}
	waitFor(t, "every message", func() bool { return len(r.rec.messages(t)) == len(cases) })
	var got []string
	for _, m := range r.rec.messages(t) {
		if m.Address != "+33698765432" {
			t.Errorf("originator %q", m.Address)
		}
		got = append(got, m.Text)
	}
	for _, c := range cases {
		if !slices.Contains(got, c.text) {
			t.Errorf("%s: %q not received; got %q", c.name, c.text, got)
		}
	}
	waitFor(t, "SIM emptied", func() bool { return r.sims[0].Stats().StoredSIM == 0 })
}

func TestReceiveMissingPart(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	text := strings.Repeat("Il manque une partie à ce message. ", 10)
	if _, err := r.sims[0].Deliver("+33698765432", text, sim.DeliverOptions{DropPart: 2}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the parts that exist", func() bool { return r.rec.count(modem.InboundSMS) == 2 })
	if n := len(r.rec.messages(t)); n != 0 {
		t.Fatalf("%d messages complete without part 2", n)
	}
}

func TestPushedMessagesAcknowledgedAfterCommit(t *testing.T) {
	// +CNMI=2,2: SMS routed directly as +CMT, acknowledged with +CNMA.
	r := newRig(t, 1, modem.Config{CNMI: []string{"+CNMI=2,2,0,1,0"}}, sim.Config{AckTimeout: 300 * time.Millisecond, RedeliveryDelay: 50 * time.Millisecond})
	fail := true
	r.rec.setCommit(func(in modem.Inbound) error {
		if fail {
			return errors.New("disk full")
		}
		return nil
	})
	if _, err := r.sims[0].Deliver("+33611111111", "pushed", sim.DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a redelivery of the unacknowledged PDU", func() bool { return r.sims[0].Stats().Redelivered > 0 })
	if r.sims[0].Stats().Acks != 0 {
		t.Fatal("a PDU that was not committed was acknowledged")
	}
	r.rec.setCommit(nil)
	waitFor(t, "the commit", func() bool { return len(r.rec.messages(t)) == 1 })
	waitFor(t, "the acknowledgement", func() bool { return r.sims[0].Stats().Acks == 1 })
	if m := r.rec.messages(t)[0]; m.Text != "pushed" {
		t.Errorf("text %q", m.Text)
	}
}

func TestStoredPDUKeptWhenCommitFails(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	r.rec.setCommit(func(modem.Inbound) error { return errors.New("database locked") })
	if _, err := r.sims[0].Deliver("+33622222222", "keep me", sim.DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three failed commits (indication, then sweeps)", func() bool {
		r.rec.mu.Lock()
		defer r.rec.mu.Unlock()
		return r.rec.attempts >= 3
	})
	if n := r.sims[0].Stats().StoredSIM; n != 1 {
		t.Fatalf("SIM holds %d messages after failed commits, want 1", n)
	}
	r.rec.setCommit(nil)
	waitFor(t, "the sweep commits it", func() bool { return len(r.rec.messages(t)) == 1 })
	waitFor(t, "then deletes it", func() bool { return r.sims[0].Stats().StoredSIM == 0 })
}

func TestMessagesOnSIMAtStartAreRead(t *testing.T) {
	dir := t.TempDir()
	m, err := sim.New(sim.Config{Link: filepath.Join(dir, "m0")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// With no driver attached the modem stores what arrives (CNMI default).
	for i := range 3 {
		if _, err := m.Deliver("+33633333333", fmt.Sprintf("while you were away %d", i), sim.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "3 stored", func() bool { return m.Stats().StoredSIM == 3 })
	rec := &recorder{}
	pool, err := modem.NewPool(modem.Config{Handler: rec}, m.Path())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pool.Run(ctx)
	waitFor(t, "the 3 read at start", func() bool { return len(rec.messages(t)) == 3 })
	waitFor(t, "SIM emptied", func() bool { return m.Stats().StoredSIM == 0 })
}

func TestStatusReport(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{StatusReports: true})
	mrs, err := r.send(0, "+33644444444", "report please", 1, pdu.SubmitOptions{StatusReport: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the status report", func() bool { return r.rec.count(modem.InboundStatusReport) == 1 })
	r.rec.mu.Lock()
	var rep modem.Inbound
	for _, in := range r.rec.inbound {
		if in.Kind == modem.InboundStatusReport {
			rep = in
		}
	}
	r.rec.mu.Unlock()
	m, err := pdu.Decode(rep.PDU, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != pdu.StatusReport || m.MR != mrs[0] || m.Address != "+33644444444" || m.Status != 0 {
		t.Errorf("report %+v; want MR %d for +33644444444, status 0", m, mrs[0])
	}
}

func TestCallRecordedOncePerRinging(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{RingInterval: 20 * time.Millisecond, RingCount: 4})
	if err := r.sims[0].Ring("+33655555555"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "four rings", func() bool { return r.sims[0].Stats().Rings >= 4 })
	time.Sleep(100 * time.Millisecond)
	calls := r.rec.callList()
	if len(calls) != 1 || calls[0].Number != "+33655555555" || calls[0].Modem != r.ids[0] {
		t.Errorf("calls = %+v, want one from +33655555555", calls)
	}
}

func TestSendErrors(t *testing.T) {
	r := newRig(t, 1, modem.Config{}, sim.Config{})
	for _, code := range []int{500, 38, 21} {
		r.sims[0].FailNext("+CMGS", 1, fmt.Sprintf("+CMS ERROR: %d", code))
		_, err := r.send(0, "+33666666666", "refused", 1, pdu.SubmitOptions{})
		var cms *modem.CMSError
		if !errors.As(err, &cms) || cms.Code != code {
			t.Errorf("error %v, want +CMS ERROR %d", err, code)
		}
	}
	if _, err := r.send(0, "+33666666666", "after errors", 1, pdu.SubmitOptions{}); err != nil {
		t.Errorf("send after errors: %v", err)
	}
	if got := r.status(0).Errors; got != 3 {
		t.Errorf("error counter %d, want 3", got)
	}
}

func TestHungModemRecovers(t *testing.T) {
	r := newRig(t, 1, modem.Config{SendTimeout: 300 * time.Millisecond, CmdTimeout: 300 * time.Millisecond}, sim.Config{})
	r.sims[0].Hang()
	_, err := r.send(0, "+33677777777", "into the void", 1, pdu.SubmitOptions{})
	if !errors.Is(err, modem.ErrTimeout) {
		t.Fatalf("send to a hung modem: %v, want ErrTimeout", err)
	}
	waitFor(t, "modem marked down", func() bool { return !r.status(0).Ready() })
	if _, err := r.send(0, "+33677777777", "refused fast", 1, pdu.SubmitOptions{}); !errors.Is(err, modem.ErrDown) {
		t.Fatalf("send while down: %v, want ErrDown", err)
	}
	r.sims[0].Resume()
	r.waitReady()
	if _, err := r.send(0, "+33677777777", "back", 1, pdu.SubmitOptions{}); err != nil {
		t.Fatalf("send after recovery: %v", err)
	}
}

func TestUnplugReplug(t *testing.T) {
	r := newRig(t, 2, modem.Config{}, sim.Config{})
	if err := r.sims[1].Unplug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "modem 1 down", func() bool { return r.status(1).State == modem.StateDown })
	if _, err := r.send(1, "+33688888888", "nowhere", 1, pdu.SubmitOptions{}); !errors.Is(err, modem.ErrDown) {
		t.Fatalf("send to unplugged modem: %v, want ErrDown", err)
	}
	if !r.status(0).Ready() {
		t.Fatal("modem 0 affected by modem 1's unplug")
	}
	// The network keeps what arrives meanwhile.
	if _, err := r.sims[1].Deliver("+33699999999", "sent while unplugged", sim.DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.sims[1].Replug(); err != nil {
		t.Fatal(err)
	}
	r.waitReady()
	if _, err := r.send(1, "+33688888888", "after replug", 1, pdu.SubmitOptions{}); err != nil {
		t.Fatalf("send after replug: %v", err)
	}
	waitFor(t, "the message held during the unplug", func() bool { return len(r.rec.messages(t)) == 1 })
}

func TestNoiseNeverBreaksAnExchange(t *testing.T) {
	noise := sim.Noise{Interval: 2 * time.Millisecond, InAnswers: 0.5, SplitPDU: 0.5}
	r := newRig(t, 1, modem.Config{}, sim.Config{Noise: noise, Seed: 7})
	for i := range 50 {
		if _, err := r.send(0, "+33612345678", fmt.Sprintf("noisy %d", i), 1, pdu.SubmitOptions{}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := len(r.sims[0].Submitted()); got != 50 {
		t.Fatalf("%d submitted, want 50", got)
	}
	for i := range 10 {
		if _, err := r.sims[0].Deliver("+33698765432", fmt.Sprintf("noisy inbound %d", i), sim.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "10 noisy inbound", func() bool { return len(r.rec.messages(t)) == 10 })
}

// BenchmarkSendParts measures the driver's overhead per SMS part through the
// pty with a zero-latency virtual modem (SPEC 12: >= 500 parts/s).
func BenchmarkSendParts(b *testing.B) {
	dir := b.TempDir()
	m, err := sim.New(sim.Config{Link: filepath.Join(dir, "m0"), MaxSubmitted: 100})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	pool, err := modem.NewPool(modem.Config{Handler: &recorder{}}, m.Path())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pool.Run(ctx)
	for !pool.Statuses()[0].Ready() {
		time.Sleep(5 * time.Millisecond)
	}
	parts, err := pdu.EncodeSubmit("+33612345678", "Benchmark message from gsmbox", 0, pdu.SubmitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := pool.Send(ctx, m.Path(), parts[0].TPDU); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "parts/s")
}

func TestDetectGroupsPortsByModem(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, id sim.Identity) *sim.Modem {
		m, err := sim.New(sim.Config{Link: filepath.Join(dir, name), Identity: id})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	a0 := mk("usb-A-if00", sim.IdentityFor(0))
	a2 := mk("usb-A-if02", sim.IdentityFor(0)) // a second tty of the same stick
	b0 := mk("usb-B-if00", sim.IdentityFor(1))
	dead := mk("usb-C-if01", sim.IdentityFor(2)) // a diagnostic port: never answers AT
	dead.Hang()
	found, err := modem.Detect(context.Background(), []string{a0.Path(), a2.Path(), b0.Path(), dead.Path()}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 {
		t.Fatalf("found %d modems, want 2: %+v", len(found), found)
	}
	if found[0].Status.IMEI != sim.IdentityFor(0).IMEI || found[0].Path != a2.Path() {
		t.Errorf("first modem %s on %s; want IMEI %s on its last port %s", found[0].Status.IMEI, found[0].Path, sim.IdentityFor(0).IMEI, a2.Path())
	}
	if found[1].Status.IMEI != sim.IdentityFor(1).IMEI || found[1].Status.Operator != "SFR" || !found[1].Indications {
		t.Errorf("second modem %+v", found[1])
	}
}

func TestFullSIMNeverStopsReception(t *testing.T) {
	dir := t.TempDir()
	m, err := sim.New(sim.Config{Link: filepath.Join(dir, "m0"), SIMCapacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// The SIM fills up while no driver runs; the network holds the rest.
	for i := range 10 {
		if _, err := m.Deliver("+33633333333", fmt.Sprintf("message %d", i), sim.DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a full SIM", func() bool { return m.Stats().StoredSIM == 3 })
	rec := &recorder{}
	pool, err := modem.NewPool(modem.Config{Handler: rec, PollInterval: 100 * time.Millisecond}, m.Path())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pool.Run(ctx)
	waitFor(t, "all 10 received", func() bool { return len(rec.messages(t)) == 10 })
	if s := m.Stats(); s.StoredSIM != 0 || s.Pending != 0 {
		t.Errorf("SIM holds %d, network %d", s.StoredSIM, s.Pending)
	}
}
