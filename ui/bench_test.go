package ui

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// Benchmarks of single-recipient sends over loopback HTTP (SPEC §12: API
// enqueue >= 5 000 sends/s), through the whole stack: HTTP, parameters,
// API key, queue.Submit (validation, encoding, duplicate guard) and the
// SQLite commit. 32 goroutines per CPU send at once, as the scripts of a
// busy LAN would: the store commits concurrent writes together (group
// commit), so throughput depends on concurrency. Run with:
//
//	go test -run='^$' -bench=. ./ui/...

func benchClient(b *testing.B) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func runSends(b *testing.B, do func(c *http.Client, i int64) (*http.Response, error), want int) {
	c := benchClient(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := do(c, n.Add(1))
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Errorf("HTTP %d: %s", resp.StatusCode, body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

func BenchmarkSendSMSdo(b *testing.B) {
	e := newTestEnv(b)
	url := e.ts.URL + "/http/1.6/sendSMS.do?accessToken=" + e.key + "&message=Alerte+serveur+%s&numero=06%08d"
	runSends(b, func(c *http.Client, i int64) (*http.Response, error) {
		return c.Get(fmt.Sprintf(url, "web1", i))
	}, 200)
}

func BenchmarkAPIv1Send(b *testing.B) {
	e := newTestEnv(b)
	runSends(b, func(c *http.Client, i int64) (*http.Response, error) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/messages", strings.NewReader(fmt.Sprintf(`{"to":["06%08d"],"text":"Alerte serveur web1"}`, i)))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Content-Type", "application/json")
		return c.Do(req)
	}, 201)
}
