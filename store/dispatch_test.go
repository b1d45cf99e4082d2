package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// insert stores a message with n fake parts and returns its id.
func insert(t *testing.T, s *Store, number string, channel, n int, status Status) int64 {
	t.Helper()
	var id int64
	err := s.Write(context.Background(), func(tx *Tx) error {
		tpdus := make([][]byte, n)
		for i := range tpdus {
			tpdus[i] = []byte{byte(i + 1)}
		}
		var err error
		id, err = tx.InsertMessage(&Message{AccountID: DefaultAccount, Number: number, Channel: channel, Text: "hello world",
			TextHash: 42, Encoding: "gsm7", Status: status, CreatedAt: t0}, tpdus)
		return err
	})
	tcheck(t, err, "insert")
	return id
}

func claim(t *testing.T, s *Store, modem string, marketing bool) *Outgoing {
	t.Helper()
	res, err := s.Claim(context.Background(), ClaimRequest{Modem: modem, Marketing: marketing, Now: t0})
	tcheck(t, err, "claim")
	return res.Out
}

func status(t *testing.T, s *Store, id int64) Status {
	t.Helper()
	m, err := s.Message(context.Background(), id)
	tcheck(t, err, "message")
	return m.Status
}

func TestClaimOrderAndLifecycle(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	mkt := insert(t, s, "+33600000001", ChannelMarketing, 1, StatusQueued)
	notif := insert(t, s, "+33600000002", ChannelNotification, 2, StatusQueued)

	if out := claim(t, s, "m1", false); out == nil || out.Message.ID != notif {
		t.Fatalf("quiet hours: claimed %+v, want notification %d", out, notif)
	}
	if out := claim(t, s, "m1", false); out != nil {
		t.Fatalf("marketing claimed during quiet hours: %+v", out)
	}
	// Part 1 of the notification goes, then part 2 is handed out.
	next, err := s.PartSent(ctx, notif, 1, 17, "m1", t0)
	tcheck(t, err, "part 1 sent")
	if next == nil || next.Seq != 2 || next.Status != PartSending {
		t.Fatalf("next part %+v", next)
	}
	next, err = s.PartSent(ctx, notif, 2, 18, "m1", t0)
	tcheck(t, err, "part 2 sent")
	if next != nil {
		t.Fatalf("a third part? %+v", next)
	}
	if st := status(t, s, notif); st != StatusSent {
		t.Fatalf("status %s, want sent", st)
	}
	// Delivery reports: part 1 delivered keeps sent, part 2 completes it.
	rep := DeliveryReport{Modem: "m1", MR: 17, Number: "+33600000002", Outcome: DeliveryDelivered, Since: t0.Add(-time.Hour)}
	res, err := s.RecordDelivery(ctx, rep, t0)
	tcheck(t, err, "report 1")
	if !res.Matched || res.Changed {
		t.Fatalf("report 1: %+v", res)
	}
	rep.MR = 18
	res, err = s.RecordDelivery(ctx, rep, t0)
	tcheck(t, err, "report 2")
	if !res.Matched || !res.Changed || res.Message.Status != StatusDelivered {
		t.Fatalf("report 2: %+v", res)
	}
	// A report for another number with the same MR does not match.
	rep.Number = "+33699999999"
	res, err = s.RecordDelivery(ctx, rep, t0)
	tcheck(t, err, "report 3")
	if res.Matched {
		t.Fatalf("report for another number matched: %+v", res)
	}

	out := claim(t, s, "m2", true)
	if out == nil || out.Message.ID != mkt {
		t.Fatalf("claimed %+v, want marketing %d", out, mkt)
	}
	tcheck(t, s.PartFailed(ctx, mkt, 1, "+CMS ERROR: 1", t0), "failed")
	if st := status(t, s, mkt); st != StatusFailed {
		t.Fatalf("status %s, want failed", st)
	}
	tcheck(t, s.RetryMessage(ctx, mkt, t0), "retry by hand")
	if st := status(t, s, mkt); st != StatusQueued {
		t.Fatalf("status %s after retry, want queued", st)
	}
	j, err := s.Journal(ctx, JournalFilter{MessageID: notif})
	tcheck(t, err, "journal")
	if len(j) < 2 {
		t.Fatalf("journal of %d: %+v", notif, j)
	}
	convs, err := s.Conversations(ctx, time.Time{}, 10)
	tcheck(t, err, "conversations")
	if len(convs) != 1 || convs[0].Number != "+33600000002" || convs[0].LastInbound {
		t.Fatalf("conversations %+v", convs)
	}
}

func TestClaimPinnedAndBound(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	id := insert(t, s, "+33600000001", 0, 2, StatusQueued)
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE messages SET pin_modem = 'm2' WHERE id = ?`, id)
		return err
	}), "pin")
	if out := claim(t, s, "m1", true); out != nil {
		t.Fatalf("m1 took a message pinned to m2")
	}
	out := claim(t, s, "m2", true)
	if out == nil {
		t.Fatal("m2 did not take its pinned message")
	}
	_, err := s.PartSent(ctx, id, 1, 1, "m2", t0)
	tcheck(t, err, "sent 1")
	// Part 2 meets a down modem: it goes back, bound to m2 (one sender).
	tcheck(t, s.PartRequeue(ctx, id, 2, "modem down", time.Time{}, t0), "requeue")
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, `UPDATE messages SET pin_modem = '' WHERE id = ?`, id)
		return err
	}), "unpin")
	if out := claim(t, s, "m1", true); out != nil {
		t.Fatalf("m1 took part 2 of a message whose part 1 left through m2")
	}
	out = claim(t, s, "m2", true)
	if out == nil || out.Part.Seq != 2 {
		t.Fatalf("m2 claim %+v", out)
	}
}

func TestClaimStopAndHold(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := insert(t, s, "+33600000001", 0, 1, StatusQueued)
	b := insert(t, s, "+33600000002", 0, 1, StatusQueued)
	c := insert(t, s, "+33600000003", 0, 1, StatusQueued)
	_, err := s.AddStop(ctx, StopEntry{Number: "+33600000001", CreatedAt: t0, Source: "ui"})
	tcheck(t, err, "stop")
	res, err := s.Claim(ctx, ClaimRequest{Modem: "m1", Marketing: true, Now: t0,
		Hold: func(n string) (time.Time, bool) { return t0.Add(time.Minute), n == "+33600000002" }})
	tcheck(t, err, "claim")
	if res.Out == nil || res.Out.Message.ID != c {
		t.Fatalf("claimed %+v, want %d", res.Out, c)
	}
	if len(res.Stopped) != 1 || res.Stopped[0] != a || status(t, s, a) != StatusStopped {
		t.Fatalf("stopped %v", res.Stopped)
	}
	if len(res.Held) != 1 || res.Held[0].ID != b || status(t, s, b) != StatusRetry {
		t.Fatalf("held %v", res.Held)
	}
	ok, err := s.ReleaseRetry(ctx, b, t0)
	tcheck(t, err, "release")
	if !ok || status(t, s, b) != StatusQueued {
		t.Fatal("release did not queue the held message")
	}
}

func TestRecover(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a := insert(t, s, "+33600000001", 0, 1, StatusQueued)
	claim(t, s, "m1", true) // a is sending
	b := insert(t, s, "+33600000002", 0, 1, StatusQueued)
	claim(t, s, "m1", true)
	tcheck(t, s.PartRequeue(ctx, b, 1, "busy", t0.Add(time.Hour), t0), "retry b")
	rec, err := s.Recover(ctx, false, t0)
	tcheck(t, err, "recover")
	if len(rec.Unknown) != 1 || rec.Unknown[0] != a || rec.Retries != 1 {
		t.Fatalf("recovery %+v", rec)
	}
	if status(t, s, a) != StatusUnknown || status(t, s, b) != StatusQueued {
		t.Fatalf("statuses %s %s", status(t, s, a), status(t, s, b))
	}
	ps, err := s.Parts(ctx, a)
	tcheck(t, err, "parts")
	if ps[0].Status != PartUnknown {
		t.Fatalf("part %+v", ps[0])
	}
	// Nothing unknown is handed out again.
	if out := claim(t, s, "m1", true); out == nil || out.Message.ID != b {
		t.Fatalf("claim after recovery: %+v", out)
	}
	if out := claim(t, s, "m1", true); out != nil {
		t.Fatalf("unknown message claimed again: %+v", out)
	}
}

func TestCreditsAndCancel(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	acc, err := s.CreateAccount(ctx, Account{Name: "shop", Limited: true, Credits: 3}, t0)
	tcheck(t, err, "account")
	err = s.Write(ctx, func(tx *Tx) error {
		_, err := tx.ChargeCredits(acc, 4)
		return err
	})
	if !errors.Is(err, ErrInsufficientCredits) {
		t.Fatalf("charge 4 of 3: %v", err)
	}
	var id int64
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ChargeCredits(acc, 2); err != nil {
			return err
		}
		id, err = tx.InsertMessage(&Message{AccountID: acc, Number: "+33600000009", Text: "x", Encoding: "gsm7", Status: StatusScheduled,
			CreatedAt: t0, ScheduledAt: t0.Add(time.Hour)}, [][]byte{{1}, {2}})
		return err
	}), "charge and insert")
	a, err := s.Account(ctx, acc)
	tcheck(t, err, "account")
	if a.Credits != 1 {
		t.Fatalf("credits %d, want 1", a.Credits)
	}
	tcheck(t, s.CancelMessage(ctx, id, t0), "cancel")
	a, _ = s.Account(ctx, acc)
	if a.Credits != 3 {
		t.Fatalf("credits after cancel %d, want 3 (refund)", a.Credits)
	}
	if err := s.CancelMessage(ctx, id, t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("second cancel: %v", err)
	}
}

func TestInboundDedupeAndParts(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	in := Inbound{Number: "+33612345678", Modem: "m1", Text: "Bonjour", Encoding: "gsm7", Parts: 1, SCTS: t0, ReceivedAt: t0, ClockOK: true, DedupeKey: "k"}
	for i, want := range []bool{true, false} {
		var ok bool
		tcheck(t, s.Write(ctx, func(tx *Tx) error {
			var err error
			_, ok, err = tx.InsertInbound(in)
			return err
		}), "insert inbound")
		if ok != want {
			t.Fatalf("insert %d: stored=%v, want %v", i, ok, want)
		}
	}
	convs, err := s.Conversations(ctx, time.Time{}, 10)
	tcheck(t, err, "conversations")
	if len(convs) != 1 || convs[0].Unread != 1 || !convs[0].LastInbound {
		t.Fatalf("conversations %+v", convs)
	}
	tcheck(t, s.MarkConversationRead(ctx, in.Number), "read")
	unread, err := s.InboundMessages(ctx, InboundFilter{UnreadOnly: true})
	tcheck(t, err, "unread")
	if len(unread) != 0 {
		t.Fatalf("unread after read: %+v", unread)
	}
	found, err := s.InboundMessages(ctx, InboundFilter{Search: "bonj"})
	tcheck(t, err, "search")
	if len(found) != 1 {
		t.Fatalf("search found %d", len(found))
	}
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		for _, seq := range []int{2, 2, 1} {
			ps, err := tx.PutPart(PendingPart{Key: "x", Seq: seq, Total: 3, Received: t0, TPDU: []byte{byte(seq)}})
			if err != nil {
				return err
			}
			_ = ps
		}
		ps, err := tx.PendingParts("x")
		if err != nil {
			return err
		}
		if len(ps) != 2 || ps[0].Seq != 1 || ps[1].Seq != 2 {
			t.Errorf("pending parts %+v", ps)
		}
		keys, err := tx.StaleKeys(t0.Add(time.Second))
		if err != nil {
			return err
		}
		if len(keys) != 1 {
			t.Errorf("stale keys %v", keys)
		}
		return nil
	}), "parts")
}

func TestCampaignPauseResume(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var cid int64
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		var err error
		cid, err = tx.CreateCampaign(Campaign{AccountID: 1, Name: "promo", Text: "x", CreatedAt: t0, ThrottleCount: 2, ThrottlePause: time.Minute})
		if err != nil {
			return err
		}
		for i := 0; i < 5; i++ {
			if _, err := tx.InsertMessage(&Message{AccountID: 1, CampaignID: cid, Number: "+3360000000" + string(rune('0'+i)), Text: "x",
				Encoding: "gsm7", Status: StatusQueued, CreatedAt: t0}, [][]byte{{1}}); err != nil {
				return err
			}
		}
		return nil
	}), "campaign")
	n, err := s.PauseCampaign(ctx, cid, t0)
	tcheck(t, err, "pause")
	if n != 5 {
		t.Fatalf("paused %d", n)
	}
	if out := claim(t, s, "m1", true); out != nil {
		t.Fatal("claimed from a paused campaign")
	}
	n, err = s.ResumeCampaign(ctx, cid, t0)
	tcheck(t, err, "resume")
	p, err := s.CampaignProgress(ctx, cid)
	tcheck(t, err, "progress")
	if n != 5 || p[StatusQueued] != 2 || p[StatusScheduled] != 3 {
		t.Fatalf("resumed %d, progress %v", n, p)
	}
	next, ok, err := s.NextScheduled(ctx)
	tcheck(t, err, "next")
	if !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("next scheduled %v", next)
	}
	ids, err := s.CancelCampaign(ctx, cid, t0)
	tcheck(t, err, "cancel")
	if len(ids) != 5 {
		t.Fatalf("cancelled %d", len(ids))
	}
}

func TestSearchIndexesInBatches(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var batch []NewMessage
	for i := range 3 {
		batch = append(batch, NewMessage{TPDUs: [][]byte{{1}}, Message: Message{AccountID: 1, Number: "+3360000000" + string(rune('0'+i)),
			Text: []string{"Votre colis arrive demain", "Rendez-vous confirmé", "Soldes d'été"}[i], Encoding: "gsm7", Status: StatusQueued, CreatedAt: t0}})
	}
	var ids []int64
	tcheck(t, s.Write(ctx, func(tx *Tx) error {
		var err error
		ids, err = tx.InsertMessages(batch)
		return err
	}), "insert")
	if ids[0]+2 != ids[2] {
		t.Fatalf("ids %v", ids)
	}
	for q, want := range map[string]int{"colis": 1, "confirme": 1, "ete": 1, "DEMAIN colis": 1, "absent": 0, `"`: 0, "sold": 1} {
		got, err := s.Messages(ctx, MessageFilter{Search: q})
		tcheck(t, err, "search "+q)
		if len(got) != want {
			t.Errorf("search %q: %d hits, want %d", q, len(got), want)
		}
	}
	// An edit of an indexed message re-indexes its text.
	_, err := s.EditMessage(ctx, ids[0], MessageEdit{Text: "Votre commande est prête", TPDUs: [][]byte{{2}}, Encoding: "gsm7", Now: t0})
	tcheck(t, err, "edit")
	for q, want := range map[string]int{"colis": 0, "commande": 1} {
		got, err := s.Messages(ctx, MessageFilter{Search: q})
		tcheck(t, err, "search "+q)
		if len(got) != want {
			t.Errorf("after edit, search %q: %d hits, want %d", q, len(got), want)
		}
	}
	// The index stays consistent (FTS5 integrity check).
	_, err = s.w.ExecContext(ctx, `INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`)
	tcheck(t, err, "integrity")
}
