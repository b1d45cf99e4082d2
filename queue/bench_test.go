package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gsmbox/modem/sim"
	"gsmbox/store"
)

// BenchmarkSubmitSingle measures the API enqueue rate: one request, one
// recipient, one transaction each (SPEC §12 target: >= 5 000/s).
func BenchmarkSubmitSingle(b *testing.B) {
	q, _, _ := newAcceptQueue(b, Config{})
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		_, err := q.Submit(ctx, Request{Numbers: []string{fmt.Sprintf("+336%08d", i%100000000)}, Text: fmt.Sprintf("Votre code est %d", i)})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/send")
}

// cpuTime is the process's user+system CPU time: on a machine shared with
// other work, it shows the cost independently of the wall-clock wait.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmitParallel is BenchmarkSubmitSingle with concurrent
// callers (16 per core), as an HTTP API serving several clients: their
// transactions share commits (store group commit).
func BenchmarkSubmitParallel(b *testing.B) {
	q, _, _ := newAcceptQueue(b, Config{})
	ctx := context.Background()
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			_, err := q.Submit(ctx, Request{Numbers: []string{fmt.Sprintf("+336%08d", i%100000000)}, Text: fmt.Sprintf("Votre code est %d", i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkCampaign100k measures queueing a 100 000-recipient campaign sent
// to a group (SPEC §12 target: < 3 s), and the same with the numbers given
// one by one (each parsed and validated with libphonenumber).
func BenchmarkCampaign100k(b *testing.B) {
	const n = 100000
	for _, mode := range []string{"group", "numbers"} {
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				q, st, clk := newAcceptQueue(b, Config{})
				ctx := context.Background()
				req := Request{Text: "Bonjour {{first_name}}, -20% sur tout le magasin ce samedi !", Campaign: "100k", Channel: Marketing}
				if mode == "group" {
					g, err := st.CreateGroup(ctx, store.Group{Name: "all"}, clk.Now())
					if err != nil {
						b.Fatal(err)
					}
					cs := make([]store.Contact, n)
					for i := range cs {
						cs[i] = store.Contact{Mobile: fmt.Sprintf("+336%08d", i), FirstName: fmt.Sprintf("Client%d", i)}
					}
					if _, err := st.ImportContacts(ctx, 0, g, cs, clk.Now()); err != nil {
						b.Fatal(err)
					}
					req.GroupIDs = []int64{g}
				} else {
					req.Text = "Bonjour, -20% sur tout le magasin ce samedi !"
					for i := range n {
						req.Numbers = append(req.Numbers, fmt.Sprintf("06%08d", i))
					}
				}
				b.StartTimer()
				start, cpu := time.Now(), cpuTime()
				rc, err := q.Submit(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if rc.Accepted != n {
					b.Fatalf("accepted %d", rc.Accepted)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/campaign")
				b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s/campaign")
			}
		})
	}
}

// busySender measures the time each modem spends inside Send.
type busySender struct {
	Sender
	busy atomic.Int64 // nanoseconds
}

func (s *busySender) Send(ctx context.Context, id string, tpdu []byte) (int, error) {
	start := time.Now()
	mr, err := s.Sender.Send(ctx, id, tpdu)
	s.busy.Add(int64(time.Since(start)))
	return mr, err
}

// BenchmarkDispatch measures the dispatcher over the real pool and virtual
// modems on ptys (SPEC §12): parts per second with zero-latency modems
// (the software's own cost per SMS), and modem utilisation with 4 modems
// answering +CMGS in 0.5 s. "%utilisation" counts 0.5 s of work per part
// over the modems' available time; "%in-send" counts the time the
// dispatcher had a +CMGS in progress on each modem (the whole AT exchange,
// prompt and echo included), which is what the dispatcher controls.
func BenchmarkDispatch(b *testing.B) {
	cases := []struct {
		name    string
		modems  int
		latency time.Duration
		perOp   int // messages per b.N iteration
	}{
		{"zero-latency-1-modem", 1, 0, 200},
		{"zero-latency-4-modems", 4, 0, 400},
		{"cmgs-500ms-4-modems", 4, 500 * time.Millisecond, 400},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			scfg := sim.Config{}
			if c.latency > 0 {
				scfg.CommandLatency = map[string]time.Duration{"+CMGS": c.latency}
			}
			scfgs := make([]sim.Config, c.modems)
			for i := range scfgs {
				scfgs[i] = scfg
			}
			var bs *busySender
			r := newRigWith(b, rigOptions{cfg: Config{QuietHours: QuietHours{Disabled: true}}, sims: scfgs,
				wrap: func(s Sender) Sender { bs = &busySender{Sender: s}; return bs }})
			ctx := context.Background()
			b.ResetTimer()
			parts := 0
			var busy time.Duration
			for i := range b.N {
				req := Request{Text: fmt.Sprintf("Dispatch %d", i), AllowDuplicate: true}
				for j := range c.perOp {
					req.Numbers = append(req.Numbers, fmt.Sprintf("+336%08d", i*c.perOp+j))
				}
				rc, err := r.q.Submit(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				last := ids(rc)[len(ids(rc))-1]
				// The bound only keeps a broken dispatcher from hanging.
				deadline := time.Now().Add(30*time.Second + 3*time.Duration(c.perOp/c.modems)*c.latency)
				for {
					msgs, err := r.st.Messages(ctx, store.MessageFilter{Statuses: []store.Status{store.StatusQueued, store.StatusSending}, Limit: 1})
					if err == nil && len(msgs) == 0 && r.status(last) == store.StatusSent {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("campaign not sent")
					}
					// Not too often: the poll competes with the dispatcher
					// for the CPU.
					time.Sleep(20 * time.Millisecond)
				}
				parts += rc.Parts
				busy += time.Duration(rc.Parts) * c.latency
			}
			elapsed := b.Elapsed()
			b.ReportMetric(float64(parts)/elapsed.Seconds(), "parts/s")
			if c.latency > 0 {
				b.ReportMetric(100*busy.Seconds()/(float64(c.modems)*elapsed.Seconds()), "%utilisation")
				b.ReportMetric(100*time.Duration(bs.busy.Load()).Seconds()/(float64(c.modems)*elapsed.Seconds()), "%in-send")
			}
		})
	}
}
