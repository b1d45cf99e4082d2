package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUIQueries1M times the read queries of the UI list pages (SPEC
// §12: < 50 ms with 1 000 000 messages) on a database holding 1 000 000
// outbound messages (one campaign of 100 000 among them), 20 000
// conversations and 200 000 received messages. Building the database takes
// a minute; run it alone:
//
//	go test -run='^$' -bench=UIQueries1M -benchtime=20x ./store/
func BenchmarkUIQueries1M(b *testing.B) {
	const (
		total   = 1_000_000
		numbers = 20_000
		inbound = 200_000
	)
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "big.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := time.Now().Add(-90 * 24 * time.Hour)
	words := []string{"rendez-vous", "livraison", "facture", "promotion", "rappel", "confirmation", "colis", "commande", "soldes", "anniversaire"}
	var campaign int64
	if err := s.Write(ctx, func(tx *Tx) error {
		campaign, err = tx.CreateCampaign(Campaign{AccountID: 1, Name: "big", Text: "x", CreatedAt: start})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for chunk := 0; chunk < total; chunk += 20_000 {
		batch := make([]NewMessage, 0, 20_000)
		for i := chunk; i < chunk+20_000; i++ {
			st := StatusDelivered
			switch {
			case i%100 < 3:
				st = StatusFailed
			case i%100 < 8:
				st = StatusSent
			case i >= total-2000:
				st = StatusQueued
			}
			m := Message{AccountID: 1, Number: fmt.Sprintf("+3361%07d", i%numbers), Status: st, Encoding: "gsm7",
				Text:      fmt.Sprintf("Bonjour, votre %s n°%d du %d est confirmé. Merci!", words[i%len(words)], i, i%28+1),
				CreatedAt: start.Add(time.Duration(i) * 7 * time.Second)}
			if i >= 400_000 && i < 500_000 {
				m.CampaignID = campaign
			}
			batch = append(batch, NewMessage{Message: m, TPDUs: [][]byte{make([]byte, 60)}})
		}
		if err := s.Write(ctx, func(tx *Tx) error { _, err := tx.InsertMessages(batch); return err }); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		for i := range inbound {
			_, _, err := tx.InsertInbound(Inbound{Number: fmt.Sprintf("+3361%07d", i%numbers), Modem: "m1", Text: fmt.Sprintf("Réponse %d: %s ok", i, words[i%len(words)]),
				Encoding: "gsm7", Parts: 1, SCTS: start.Add(time.Duration(i) * 30 * time.Second), ReceivedAt: start.Add(time.Duration(i) * 30 * time.Second),
				ClockOK: true, DedupeKey: fmt.Sprintf("k%d", i)})
			if err != nil {
				return err
			}
		}
		_, err := tx.tx.ExecContext(ctx, `UPDATE inbound SET read = 1 WHERE id % 10 <> 0`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.IndexText(ctx, 0); err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA optimize`); err != nil {
		b.Fatal(err)
	}
	mid := start.Add(45 * 24 * time.Hour)
	queries := []struct {
		name string
		run  func() (int, error)
	}{
		{"sent-newest", func() (int, error) { m, err := s.Messages(ctx, MessageFilter{Limit: 50}); return len(m), err }},
		{"sent-page-deep", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{BeforeID: 300_000, Limit: 50})
			return len(m), err
		}},
		{"sent-failed", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{Statuses: []Status{StatusFailed}, Limit: 50})
			return len(m), err
		}},
		{"sent-in-progress", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{Statuses: []Status{StatusQueued, StatusSending, StatusRetry}, Limit: 50})
			return len(m), err
		}},
		{"sent-date-range", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{From: mid, To: mid.Add(24 * time.Hour), Limit: 50})
			return len(m), err
		}},
		{"sent-to-number", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{Number: "+33610012345", Limit: 50})
			return len(m), err
		}},
		{"search-common-word", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{Search: "livraison", Limit: 50})
			return len(m), err
		}},
		{"search-rare", func() (int, error) {
			m, err := s.Messages(ctx, MessageFilter{Search: "n°123456", Limit: 50})
			return len(m), err
		}},
		{"campaign-progress", func() (int, error) { c, err := s.CampaignProgress(ctx, campaign); return len(c), err }},
		{"queue-depth", func() (int, error) { c, err := s.QueueDepth(ctx); return len(c), err }},
		{"conversations", func() (int, error) { c, err := s.Conversations(ctx, time.Time{}, 50); return len(c), err }},
		{"thread", func() (int, error) { c, err := s.Thread(ctx, "+33610012345", time.Time{}, 50); return len(c), err }},
		{"inbox-newest", func() (int, error) { c, err := s.InboundMessages(ctx, InboundFilter{Limit: 50}); return len(c), err }},
		{"inbox-unread", func() (int, error) {
			c, err := s.InboundMessages(ctx, InboundFilter{UnreadOnly: true, Limit: 50})
			return len(c), err
		}},
		{"inbox-search", func() (int, error) {
			c, err := s.InboundMessages(ctx, InboundFilter{Search: "facture", Limit: 50})
			return len(c), err
		}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			for range b.N {
				n, err := q.run()
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatal("no rows")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/query")
		})
	}
}
