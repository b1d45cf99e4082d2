package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem/sim"
)

// BenchmarkModemUtilisation measures how busy the dispatcher of the real
// binary keeps 4 modems whose +CMGS takes 0.5 s, as on a real network
// (SPEC 12: >= 98 %). The virtual modems run in the benchmark process so
// that their records keep exact times; a 400-recipient send is queued, and
// utilisation is the modems' busy time (0.5 s per part) over 4 times the
// span from the first +CMGS to the last answer.
//
//	go test -run '^$' -bench ModemUtilisation -benchtime 1x ./cmd/gsmbox/
func BenchmarkModemUtilisation(b *testing.B) {
	const modems, recipients, latency = 4, 400, 500 * time.Millisecond
	for b.Loop() {
		dir := b.TempDir()
		var sims []*sim.Modem
		var args []string
		for i := range modems {
			m, err := sim.New(sim.Config{
				Link:           filepath.Join(dir, fmt.Sprintf("usb-Sim_%d-if00", i)),
				Identity:       sim.IdentityFor(i),
				CommandLatency: map[string]time.Duration{"+CMGS": latency},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			sims = append(sims, m)
			args = append(args, "--modem", m.Path())
		}
		data := filepath.Join(dir, "data")
		d := startDaemon(b, data, args...)
		d.bound = 5 * time.Minute
		var to []string
		for i := range recipients {
			to = append(to, fmt.Sprintf("+336200%05d", i))
		}
		var res []sendResult
		if err := ctl.Call(context.Background(), data, "send", sendArgs{To: to, Text: "Mesure d'occupation des modems"}, &res); err != nil {
			b.Fatal(err)
		}
		var first, last time.Time
		d.waitFor(func() bool {
			n := 0
			for _, m := range sims {
				n += m.Sent()
			}
			return n == recipients
		}, "every part sent")
		for i, m := range sims {
			subs := m.Submitted()
			var gaps time.Duration
			for j := 1; j < len(subs); j++ {
				gaps += subs[j].Time.Sub(subs[j-1].Time) - latency
			}
			b.Logf("modem %d: %d parts from %s to %s, idle between parts %s", i, len(subs), subs[0].Time.Format("15:04:05.000"), subs[len(subs)-1].Time.Format("15:04:05.000"), gaps)
			for _, s := range subs {
				// A record's time is the answer, after the latency.
				if start := s.Time.Add(-latency); first.IsZero() || start.Before(first) {
					first = start
				}
				if s.Time.After(last) {
					last = s.Time
				}
			}
		}
		span := last.Sub(first)
		b.ReportMetric(100*recipients*latency.Seconds()/(modems*span.Seconds()), "%util")
		b.ReportMetric(recipients/span.Seconds(), "parts/s")
		d.stop()
	}
}
