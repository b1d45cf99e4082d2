package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gsmbox/inbound"
	"gsmbox/modem"
	"gsmbox/modem/sim"
	"gsmbox/queue"
	"gsmbox/store"
	"gsmbox/ui/apikey"
	"gsmbox/webhook"
)

// lateHandler forwards the modem pool's reports to the inbound handler
// once it exists (the pool is built first).
type lateHandler struct {
	mu sync.Mutex
	h  *inbound.Handler
}

func (l *lateHandler) get() *inbound.Handler {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h
}

func (l *lateHandler) Inbound(ctx context.Context, in modem.Inbound) error {
	if h := l.get(); h != nil {
		return h.Inbound(ctx, in)
	}
	return fmt.Errorf("not wired yet")
}

func (l *lateHandler) Call(ctx context.Context, c modem.Call) {
	if h := l.get(); h != nil {
		h.Call(ctx, c)
	}
}

func (l *lateHandler) State(s modem.Status) {
	if h := l.get(); h != nil {
		h.State(s)
	}
}

// TestFullStack runs the whole box: a virtual modem on a real pty that
// answers status reports, the modem pool, the queue dispatching, the
// inbound handler, the HTTP server and the webhook runner. A sMsmode send
// with notification_url and notification_url_reponse reaches the modem;
// the receiver gets the delivery reports (13, then 11) and the reply.
func TestFullStack(t *testing.T) {
	if testing.Short() {
		t.Skip("full stack with a virtual modem")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	m, err := sim.New(sim.Config{Link: filepath.Join(dir, "usb-Sim_Modem_0-if00"), StatusReports: true,
		StatusReportDelay: 50 * time.Millisecond, Identity: sim.Identity{OperatorNumeric: "20801", Operator: "Orange F"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lh := &lateHandler{}
	pool, err := modem.NewPool(modem.Config{Handler: lh, PollInterval: 200 * time.Millisecond, Logger: log}, m.Path())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() { defer wg.Done(); pool.Run(ctx) }()
	st, err := store.Open(ctx, filepath.Join(dir, "gsmbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	paris, _ := time.LoadLocation("Europe/Paris")
	q, err := queue.New(st, pool, queue.Config{Location: paris, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ih, err := inbound.New(inbound.Config{Store: st, Queue: q, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lh.mu.Lock()
	lh.h = ih
	lh.mu.Unlock()
	waitFor(t, func() bool { return len(pool.Statuses()) == 1 && pool.Statuses()[0].Ready() })
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); q.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); ih.Run(ctx) }()
	operator := func(id string) string {
		for _, s := range pool.Statuses() {
			if s.ID == id {
				return s.OperatorCode
			}
		}
		return ""
	}
	hooks, err := webhook.New(webhook.Config{Store: st, Logger: log, Location: paris, OperatorCode: operator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hooks.Produce(ctx); err != nil { // history ends here
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); hooks.Run(ctx) }()
	events, stop := q.Subscribe(64)
	defer stop()
	go func() {
		for range events {
			hooks.Kick()
		}
	}()
	srv, err := New(Config{Location: paris}, Deps{Store: st, Queue: q, Modems: pool, Webhooks: hooks, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	key, _, err := apikey.Create(ctx, st, 0, "e2e", time.Now())
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var got []url.Values
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query())
		mu.Unlock()
	}))
	defer recv.Close()
	calls := func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), got...)
	}

	form := url.Values{"accessToken": {key}, "message": {"Votre colis est arrivé"}, "numero": {"0612345678"},
		"notification_url": {recv.URL + "/cr"}, "notification_url_reponse": {recv.URL + "/reponse"}, "refClient": {"colis-1"}}
	resp, err := http.PostForm(ts.URL+"/http/1.6/sendSMS.do", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id, ok := strings.CutPrefix(string(body), acceptedPrefix)
	if !ok {
		t.Fatalf("sendSMS: %q", body)
	}
	// The virtual modem got the SMS.
	waitFor(t, func() bool { return len(m.Submitted()) == 1 })
	sub := m.Submitted()[0]
	if sub.Destination != "+33612345678" || sub.Text != "Votre colis est arrivé" {
		t.Fatalf("modem got %+v", sub)
	}
	// Delivery reports: 13 (accepted by the SMSC) then 11 (delivered).
	waitFor(t, func() bool { return len(calls()) >= 2 })
	cs := calls()
	for i, want := range []string{"13", "11"} {
		c := cs[i]
		if c.Get("statut") != want || c.Get("smsID") != id || c.Get("numero") != "33612345678" || c.Get("refClient") != "colis-1" || c.Get("mcc_mnc") != "20801" {
			t.Errorf("report %d: %v", i, c)
		}
	}
	r, _ := http.Get(ts.URL + "/http/1.6/compteRendu.do?accessToken=" + key + "&smsID=" + id)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	tcompare(t, "compteRendu", string(b), "33612345678 11")
	// A reply reaches notification_url_reponse.
	if _, err := m.Deliver("+33612345678", "Merci !", sim.DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(calls()) >= 3 })
	reply := calls()[2]
	if reply.Get("message") != "Merci !" || reply.Get("emetteur") != "33612345678" || reply.Get("smsID") != id || reply.Get("refClient") != "colis-1" {
		t.Errorf("reply %v", reply)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
