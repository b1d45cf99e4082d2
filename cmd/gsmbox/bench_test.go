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
// (SPEC 12: >= 98 %): utilisation is the modems' busy time (0.5 s per part)
// over 4 times the span from the first +CMGS to the last answer.
//
//	go test -run '^$' -bench ModemUtilisation -benchtime 1x ./cmd/gsmbox/
func BenchmarkModemUtilisation(b *testing.B) {
	const modems, recipients, latency = 4, 400, 500 * time.Millisecond
	for b.Loop() {
		span := dispatchSpan(b, modems, recipients, latency)
		b.ReportMetric(100*recipients*latency.Seconds()/(modems*span.Seconds()), "%util")
		b.ReportMetric(recipients/span.Seconds(), "parts/s")
	}
}

// BenchmarkPipelineParts measures the whole box's software overhead: SMS
// parts/s from the queue of the real binary through the pty to one
// zero-latency virtual modem (SPEC 12: >= 500 parts/s).
//
//	go test -run '^$' -bench PipelineParts -benchtime 1x ./cmd/gsmbox/
func BenchmarkPipelineParts(b *testing.B) {
	const recipients = 3000
	for b.Loop() {
		span := dispatchSpan(b, 1, recipients, 0)
		b.ReportMetric(recipients/span.Seconds(), "parts/s")
	}
}

// dispatchSpan runs the real binary on n virtual modems (in this process,
// so that their records keep exact times) whose +CMGS takes latency,
// queues one single-part message to each of recipients numbers, and returns
// the span from the first +CMGS to the last answer.
func dispatchSpan(b *testing.B, n, recipients int, latency time.Duration) time.Duration {
	dir := b.TempDir()
	var sims []*sim.Modem
	var args []string
	for i := range n {
		m, err := sim.New(sim.Config{
			Link:           filepath.Join(dir, fmt.Sprintf("usb-Sim_%d-if00", i)),
			Identity:       sim.IdentityFor(i),
			CommandLatency: map[string]time.Duration{"+CMGS": latency},
			MaxSubmitted:   recipients,
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
	defer d.stop()
	d.bound = 5 * time.Minute
	d.waitFor(func() bool { return allReady(modemsOf(b, data), n) }, "ready modems")
	var to []string
	for i := range recipients {
		to = append(to, fmt.Sprintf("+336200%05d", i))
	}
	var res []sendResult
	if err := ctl.Call(context.Background(), data, "send", sendArgs{To: to, Text: "Mesure du débit des modems"}, &res); err != nil {
		b.Fatal(err)
	}
	d.waitFor(func() bool {
		sent := 0
		for _, m := range sims {
			sent += m.Sent()
		}
		return sent == recipients
	}, "every part sent")
	var first, last time.Time
	for i, m := range sims {
		subs := m.Submitted()
		var idle time.Duration
		for j, s := range subs {
			// A record's time is the answer, after the latency.
			start := s.Time.Add(-latency)
			if first.IsZero() || start.Before(first) {
				first = start
			}
			if s.Time.After(last) {
				last = s.Time
			}
			if j > 0 {
				idle += start.Sub(subs[j-1].Time)
			}
		}
		b.Logf("modem %d: %d parts, idle between parts %s in all", i, len(subs), idle)
	}
	return last.Sub(first)
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
