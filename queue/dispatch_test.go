package queue

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gsmbox/modem/sim"
	"gsmbox/store"
)

func TestDispatchGroupSend(t *testing.T) {
	r := newRig(t, 2, Config{}, sim.Config{})
	ctx := context.Background()
	var numbers []string
	for i := range 20 {
		numbers = append(numbers, fmt.Sprintf("+336000000%02d", i))
	}
	long := strings.Repeat("Message en plusieurs parties. ", 8)
	rc, err := r.q.Submit(ctx, Request{Numbers: numbers, Text: long})
	tcheck(t, err, "submit")
	for _, id := range ids(rc) {
		r.waitStatus(id, store.StatusSent)
	}
	dest := r.destinations()
	for _, n := range numbers {
		if dest[n] != 2 {
			t.Errorf("%s got %d parts, want 2", n, dest[n])
		}
	}
	// Both modems worked, and each message went through one modem.
	for i, m := range r.sims {
		if m.Sent() == 0 {
			t.Errorf("modem %d sent nothing", i)
		}
	}
	for _, id := range ids(rc) {
		ps, err := r.st.Parts(ctx, id)
		tcheck(t, err, "parts")
		if ps[0].Modem != ps[1].Modem || ps[0].MR < 0 || ps[0].Status != store.PartSent {
			t.Errorf("parts of %d: %+v", id, ps)
		}
	}
}

// barrier submits an immediate notification and waits until it is sent:
// the dispatcher has then looked at everything due before it.
func (r *rig) barrier(number string) {
	r.t.Helper()
	rc, err := r.q.Submit(context.Background(), Request{Numbers: []string{number}, Text: "barrier " + r.clk.Now().String(), AllowDuplicate: true})
	tcheck(r.t, err, "barrier")
	r.waitStatus(ids(rc)[0], store.StatusSent)
}

func TestScheduledSendGoesAtItsTime(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "Rappel: rendez-vous demain", At: r.clk.Now().Add(time.Hour)})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.barrier("+33699999999")
	if st := r.status(id); st != store.StatusScheduled {
		t.Fatalf("status %s before its time", st)
	}
	if n := r.destinations()["+33611111111"]; n != 0 {
		t.Fatalf("sent %d parts before its time", n)
	}
	r.clk.Advance(59 * time.Minute)
	r.barrier("+33699999998")
	if st := r.status(id); st != store.StatusScheduled {
		t.Fatalf("status %s one minute before its time", st)
	}
	r.clk.Advance(time.Minute)
	r.waitStatus(id, store.StatusSent)
}

func TestRecurringRepeats(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "Pensez à votre traitement", Repeat: Daily})
	tcheck(t, err, "submit")
	if rc.RecurringID == 0 {
		t.Fatal("no recurring id")
	}
	r.waitStatus(ids(rc)[0], store.StatusSent)
	for day := 1; day <= 2; day++ {
		r.clk.Advance(24 * time.Hour)
		waitFor(t, "next occurrence sent", func() bool { return r.destinations()["+33611111111"] == day+1 })
	}
	msgs, err := r.st.Messages(ctx, store.MessageFilter{Number: "+33611111111"})
	tcheck(t, err, "messages")
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		if m.RecurringID != rc.RecurringID {
			t.Errorf("message %d not tied to the series", m.ID)
		}
	}
	tcheck(t, r.q.StopRecurring(ctx, rc.RecurringID), "stop series")
	r.clk.Advance(24 * time.Hour)
	r.barrier("+33699999999")
	if n := r.destinations()["+33611111111"]; n != 3 {
		t.Fatalf("%d sends after the series stopped", n)
	}
}

func TestCancelledNeverGoes(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111", "+33622222222"}, Text: "Annulé?", At: r.clk.Now().Add(time.Hour)})
	tcheck(t, err, "submit")
	first := ids(rc)[0]
	tcheck(t, r.q.Cancel(ctx, first), "cancel")
	r.clk.Advance(2 * time.Hour)
	r.waitStatus(ids(rc)[1], store.StatusSent)
	r.barrier("+33699999999")
	if st := r.status(first); st != store.StatusCancelled {
		t.Fatalf("status %s", st)
	}
	if n := r.destinations()["+33611111111"]; n != 0 {
		t.Fatalf("a cancelled message went (%d parts)", n)
	}
	if err := r.q.Cancel(ctx, ids(rc)[1]); err == nil {
		t.Fatal("cancelled a sent message")
	}
}

func TestTemporaryErrorRetried(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{})
	ctx := context.Background()
	r.sims[0].FailNext("+CMGS", 1, "+CMS ERROR: 42") // congestion
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "Réessayé"})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.waitStatus(id, store.StatusRetry)
	// The destination backs off; other destinations are not held up (SPEC Q12).
	r.barrier("+33699999999")
	if st := r.status(id); st != store.StatusRetry {
		t.Fatalf("status %s during backoff", st)
	}
	r.sims[0].FailNext("+CMGS", 1, "+CMS ERROR: 42")
	r.clk.Advance(DefaultRetryMin)
	waitFor(t, "second attempt", func() bool {
		m, _ := r.st.Message(ctx, id)
		return m.Attempts == 2 && m.Status == store.StatusRetry
	})
	r.clk.Advance(2 * DefaultRetryMin)
	r.waitStatus(id, store.StatusSent)
	m, err := r.st.Message(ctx, id)
	tcheck(t, err, "message")
	if m.Attempts != 3 || r.destinations()["+33611111111"] != 1 {
		t.Fatalf("attempts %d, parts received %d", m.Attempts, r.destinations()["+33611111111"])
	}
}

func TestTemporaryErrorGivesUp(t *testing.T) {
	r := newRig(t, 1, Config{MaxAttempts: 2}, sim.Config{})
	ctx := context.Background()
	r.sims[0].FailNext("+CMGS", 2, "+CMS ERROR: 500")
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "x"})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.waitStatus(id, store.StatusRetry)
	r.clk.Advance(DefaultRetryMin)
	r.waitStatus(id, store.StatusFailed)
	m, _ := r.st.Message(ctx, id)
	if !strings.Contains(m.Reason, "500") {
		t.Errorf("reason %q", m.Reason)
	}
}

func TestPermanentErrorFinal(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{})
	ctx := context.Background()
	c, err := r.st.CreateContact(ctx, store.Contact{Mobile: "+33611111111", LastName: "Ghost"}, r.clk.Now())
	tcheck(t, err, "contact")
	g, err := r.st.CreateGroup(ctx, store.Group{Name: "clients"}, r.clk.Now())
	tcheck(t, err, "group")
	tcheck(t, r.st.AddMembers(ctx, g, []int64{c}, r.clk.Now()), "member")
	r.sims[0].FailNext("+CMGS", 1, "+CMS ERROR: 1") // unassigned number
	rc, err := r.q.Submit(ctx, Request{GroupIDs: []int64{g}, Text: "x"})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.waitStatus(id, store.StatusFailed)
	r.clk.Advance(DefaultRetryMax)
	r.barrier("+33699999999")
	m, _ := r.st.Message(ctx, id)
	if m.Status != store.StatusFailed || m.Attempts != 1 {
		t.Fatalf("message %+v", m)
	}
	// SPEC I8: the number left its group for the bad numbers group.
	groups, err := r.st.Groups(ctx, 0)
	tcheck(t, err, "groups")
	counts := map[string]int{}
	for _, g := range groups {
		counts[g.Name] = g.Members
	}
	if counts["clients"] != 0 || counts[DefaultBadNumbersGroup] != 1 {
		t.Fatalf("groups after a bad number: %v", counts)
	}
}

func TestModemDownMidCampaign(t *testing.T) {
	scfg := sim.Config{CommandLatency: map[string]time.Duration{"+CMGS": 20 * time.Millisecond}}
	r := newRig(t, 2, Config{}, scfg)
	ctx := context.Background()
	var numbers []string
	for i := range 60 {
		numbers = append(numbers, fmt.Sprintf("+3361234%04d", i))
	}
	rc, err := r.q.Submit(ctx, Request{Numbers: numbers, Text: "Campagne", Campaign: "c1"})
	tcheck(t, err, "submit")
	waitFor(t, "first sends", func() bool { return len(r.submitted()) >= 6 })
	tcheck(t, r.sims[0].Unplug(), "unplug")
	for _, id := range ids(rc) {
		r.waitStatus(id, store.StatusSent, store.StatusUnknown)
	}
	before := r.sims[0].Sent()
	for n, c := range r.destinations() {
		if c > 1 {
			t.Errorf("%s received %d copies", n, c)
		}
	}
	unknown := 0
	for _, id := range ids(rc) {
		if r.status(id) == store.StatusUnknown {
			unknown++
		}
	}
	if got := len(r.destinations()); got+unknown < len(numbers) || got > len(numbers) {
		t.Errorf("%d numbers reached, %d unknown, of %d", got, unknown, len(numbers))
	}
	if r.sims[1].Sent() <= before {
		t.Errorf("the second modem did not take over: %d vs %d", r.sims[1].Sent(), before)
	}
	if unknown > 1 {
		t.Errorf("%d messages unknown: at most the one in flight during the unplug", unknown)
	}
}

func TestDeliveryReports(t *testing.T) {
	r := newRig(t, 1, Config{}, sim.Config{StatusReports: true})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: strings.Repeat("Livré? ", 30)})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.waitStatus(id, store.StatusDelivered)
	ps, err := r.st.Parts(ctx, id)
	tcheck(t, err, "parts")
	for _, p := range ps {
		if p.Delivery != store.DeliveryDelivered {
			t.Errorf("part %+v", p)
		}
	}
	// A permanent failure report: failed, and a bad number.
	r.sims[0].SetStatusReports(true, 0, 0x41)
	rc, err = r.q.Submit(ctx, Request{Numbers: []string{"+33622222222"}, Text: "Échec"})
	tcheck(t, err, "submit")
	r.waitStatus(ids(rc)[0], store.StatusFailed)
	// Expired (validity period, TP-ST 0x46).
	r.sims[0].SetStatusReports(true, 0, 0x46)
	rc, err = r.q.Submit(ctx, Request{Numbers: []string{"+33633333333"}, Text: "Expiré"})
	tcheck(t, err, "submit")
	r.waitStatus(ids(rc)[0], store.StatusExpired)
}

func TestStopMidCampaign(t *testing.T) {
	// One SMS per minute of the fake clock: the campaign advances only when
	// the test moves time.
	r := newRig(t, 1, Config{RatePerMinute: 1}, sim.Config{})
	ctx := context.Background()
	numbers := []string{"+33611111111", "+33622222222", "+33633333333", "+33644444444"}
	rc, err := r.q.Submit(ctx, Request{Numbers: numbers, Text: "Promo", Campaign: "promo", Channel: Marketing})
	tcheck(t, err, "submit")
	got := ids(rc)
	r.waitStatus(got[0], store.StatusSent)
	// The third recipient answers STOP through the inbound path (OptOut
	// stops its queued messages at once); the fourth is put on the list
	// behind the queue's back, so only the dispatch-time check can catch it.
	_, err = r.q.OptOut(ctx, "+33633333333", "sms", "")
	tcheck(t, err, "opt out")
	_, err = r.st.AddStop(ctx, store.StopEntry{Number: "+33644444444", CreatedAt: r.clk.Now(), Source: "ui"})
	tcheck(t, err, "add stop")
	r.clk.Advance(time.Minute)
	r.waitStatus(got[1], store.StatusSent)
	r.clk.Advance(time.Minute)
	r.waitStatus(got[3], store.StatusStopped)
	if st := r.status(got[2]); st != store.StatusStopped {
		t.Fatalf("third message %s", st)
	}
	d := r.destinations()
	if d["+33633333333"] != 0 || d["+33644444444"] != 0 {
		t.Fatalf("stopped numbers received SMS: %v", d)
	}
	c, err := r.q.Campaign(ctx, rc.CampaignID)
	tcheck(t, err, "campaign")
	if c.Counts[store.StatusSent] != 2 || c.Counts[store.StatusStopped] != 2 || !c.Done() {
		t.Fatalf("campaign progress %v", c.Counts)
	}
}

func TestStartTurnsSendingIntoUnknown(t *testing.T) {
	var crashed int64
	r := newRigWith(t, rigOptions{sims: []sim.Config{{}}, prep: func(st *store.Store) {
		// A previous run claimed a message and died during +CMGS.
		q, err := New(st, nil, Config{Clock: newFakeClock(t0), Location: paris})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := q.Submit(context.Background(), Request{Numbers: []string{"+33611111111"}, Text: "en vol"})
		tcheck(t, err, "submit")
		crashed = ids(rc)[0]
		res, err := st.Claim(context.Background(), store.ClaimRequest{Modem: "old", Marketing: true, Now: t0})
		tcheck(t, err, "claim")
		if res.Out == nil || res.Out.Message.ID != crashed {
			t.Fatalf("claim %+v", res)
		}
	}})
	r.barrier("+33699999999")
	if st := r.status(crashed); st != store.StatusUnknown {
		t.Fatalf("status %s after restart, want unknown", st)
	}
	if n := r.destinations()["+33611111111"]; n != 0 {
		t.Fatalf("resent after restart (%d parts)", n)
	}
	// A person decides to send it again.
	tcheck(t, r.q.Retry(context.Background(), crashed), "retry")
	r.waitStatus(crashed, store.StatusSent)
}

func TestQuietHoursHoldMarketing(t *testing.T) {
	sunday := time.Date(2026, 3, 1, 10, 0, 0, 0, paris)
	r := newRigWith(t, rigOptions{sims: []sim.Config{{}}, start: sunday})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "Promo du lundi", Channel: Marketing})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.barrier("+33699999999") // notifications go on Sunday
	if st := r.status(id); st != store.StatusQueued {
		t.Fatalf("marketing on a Sunday: %s", st)
	}
	r.clk.Advance(21*time.Hour + 59*time.Minute) // Monday 07:59
	r.barrier("+33699999998")
	if st := r.status(id); st != store.StatusQueued {
		t.Fatalf("marketing at 07:59: %s", st)
	}
	r.clk.Advance(time.Minute) // 08:00: the window opens, the timer wakes the dispatcher
	r.waitStatus(id, store.StatusSent)
}

func TestImplausibleClock(t *testing.T) {
	boot := time.Date(1970, 1, 1, 0, 0, 42, 0, time.UTC)
	r := newRigWith(t, rigOptions{sims: []sim.Config{{}}, start: boot})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "plus tard", At: boot.Add(time.Minute)})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	r.clk.Advance(2 * time.Minute)
	r.barrier("+33699999999") // immediate notifications still go
	if st := r.status(id); st != store.StatusScheduled {
		t.Fatalf("scheduled send went on an implausible clock: %s", st)
	}
	// NTP answers: the clock jumps to 2026.
	r.clk.Advance(t0.Sub(r.clk.Now()))
	r.waitStatus(id, store.StatusSent)
}

func TestPinnedAndLeastCostRouting(t *testing.T) {
	orange := sim.Config{Identity: sim.Identity{OperatorNumeric: "20801", Operator: "Orange F"}}
	free := sim.Config{Identity: sim.Identity{OperatorNumeric: "20815", Operator: "Free"}}
	r := newRigWith(t, rigOptions{
		sims: []sim.Config{orange, free},
		cfg:  Config{Routes: []Route{{Operator: "20815", Prefixes: []string{"+3366", "+3377"}}}},
	})
	ctx := context.Background()
	rc, err := r.q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "épinglé", Modem: r.ids[1]})
	tcheck(t, err, "submit")
	r.waitStatus(ids(rc)[0], store.StatusSent)
	if len(r.sims[1].Submitted()) != 1 {
		t.Fatalf("pinned message not sent by its modem")
	}
	var free1 []string
	for i := range 10 {
		free1 = append(free1, fmt.Sprintf("+3366123400%d", i))
	}
	rc, err = r.q.Submit(ctx, Request{Numbers: free1, Text: "on-net"})
	tcheck(t, err, "submit")
	for _, id := range ids(rc) {
		r.waitStatus(id, store.StatusSent)
	}
	for _, s := range r.sims[0].Submitted() {
		if strings.HasPrefix(s.Destination, "+3366") {
			t.Errorf("%s went through Orange while Free was ready", s.Destination)
		}
	}
}
