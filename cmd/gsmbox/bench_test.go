package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem/sim"
	"gsmbox/queue"
	"gsmbox/store"
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

// BenchmarkRSS measures the daemon's resident memory (SPEC 12: idle < 25 MB,
// < 64 MB with 1 000 000 messages stored). The messages are queued offline
// through the real queue, scheduled a year ahead so the daemon keeps them
// without sending; the daemon then runs on one virtual modem, serves a
// listing of the queue, and its VmRSS is read from /proc.
//
//	go test -run '^$' -bench RSS -benchtime 1x -timeout 30m ./cmd/gsmbox/
func BenchmarkRSS(b *testing.B) {
	for b.Loop() {
		data := b.TempDir()
		d := startDaemon(b, data, "--simulate=1")
		b.ReportMetric(settledRSS(b, d, data), "idle-MB")
		d.stop()

		st, err := store.Open(context.Background(), filepath.Join(data, DBName))
		if err != nil {
			b.Fatal(err)
		}
		q, err := queue.New(st, nil, queue.Config{DuplicateWindow: -1})
		if err != nil {
			b.Fatal(err)
		}
		const batches, perBatch = 10, 100_000
		at := time.Now().AddDate(1, 0, 0)
		for i := range batches {
			to := make([]string, perBatch)
			for j := range to {
				to[j] = fmt.Sprintf("+3361%07d", i*perBatch+j)
			}
			if _, err := q.Submit(context.Background(), queue.Request{Text: "Rappel: votre rendez-vous de demain", Numbers: to, At: at}); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()

		d = startDaemon(b, data, "--simulate=1")
		d.bound = 2 * time.Minute
		if out, err := gsmbox(b, data, "queue", "list", "--status", "scheduled", "--limit", "1000"); err != nil {
			b.Fatalf("queue list: %v %s", err, out)
		}
		b.ReportMetric(settledRSS(b, d, data), "1M-MB")
		d.stop()
	}
}

// settledRSS waits for the daemon's modems, lets it settle, and returns its
// resident set size in MB.
func settledRSS(b *testing.B, d *daemonProc, data string) float64 {
	d.waitFor(func() bool { return allReady(modemsOf(b, data), 1) }, "a ready modem")
	time.Sleep(2 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
