package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
