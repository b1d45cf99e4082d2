package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gsmbox/ctl"
	"gsmbox/modem/sim"
	"gsmbox/store"
)

// TestCrashSafety kills the real daemon with SIGKILL at random points while
// it accepts and sends 2 000 messages, restarting it each time (SPEC Q6,
// 12). The virtual modems run in the test process, so their records of what
// reached the "network" survive the kills. At the end:
//   - every message whose id the daemon returned is in the database (nothing
//     accepted is lost) and has reached a final state;
//   - no destination received its message twice;
//   - a message marked sent was received exactly once; one marked unknown
//     (killed between +CMGS and the commit) at most once.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const total = 2000
	dir := t.TempDir()
	var sims []*sim.Modem
	var modemArgs []string
	for i := range 2 {
		m, err := sim.New(sim.Config{
			Link:     filepath.Join(dir, fmt.Sprintf("usb-Sim_%d-if00", i)),
			Identity: sim.IdentityFor(i),
			// A little latency on +CMGS widens the window between
			// "sending" and "sent", where a kill is most dangerous.
			CommandLatency: map[string]time.Duration{"+CMGS": time.Millisecond},
			MaxSubmitted:   2 * total,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		sims = append(sims, m)
		modemArgs = append(modemArgs, "--modem", m.Path())
	}
	data := filepath.Join(dir, "data")
	rng := rand.New(rand.NewPCG(1, 2))
	accepted := map[int64]string{} // message id -> destination
	next := 0
	kills := 0
	for len(accepted) < total {
		d := startDaemon(t, data, modemArgs...)
		// The kill lands wherever the daemon is: accepting a request,
		// dispatching, between +CMGS and its commit...
		killer := time.AfterFunc(time.Duration(50+rng.IntN(400))*time.Millisecond, func() {
			d.cmd.Process.Signal(syscall.SIGKILL)
		})
		for len(accepted) < total {
			// Every attempt gets a destination of its own, so that what the
			// modems received tells which message it was.
			number := fmt.Sprintf("+336100%05d", next)
			next++
			var res []sendResult
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := ctl.Call(ctx, data, "send", sendArgs{To: []string{number}, Text: "Test de robustesse gsmbox"}, &res)
			cancel()
			if err != nil {
				break // killed: this request may or may not have been stored
			}
			if len(res) != 1 || res[0].MessageID == 0 {
				t.Fatalf("send to %s refused: %+v", number, res)
			}
			accepted[res[0].MessageID] = number
		}
		killer.Stop()
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.done
		kills++
	}
	// A last run sends what remains, then stops cleanly.
	d := startDaemon(t, data, modemArgs...)
	d.waitFor(func() bool {
		var st statusReply
		if err := ctl.Call(context.Background(), data, "status", nil, &st); err != nil {
			return false
		}
		return len(st.Queue) == 0
	}, "an empty queue")
	if err := d.stop(); err != nil {
		t.Fatalf("clean stop: %v", err)
	}

	received := map[string]int{}
	for _, m := range sims {
		for _, s := range m.Submitted() {
			received[s.Destination]++
		}
	}
	for number, n := range received {
		if n > 1 {
			t.Errorf("%s received %d times", number, n)
		}
	}
	st, err := store.Open(context.Background(), filepath.Join(data, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts := map[store.Status]int{}
	for id, number := range accepted {
		m, err := st.Message(context.Background(), id)
		if err != nil {
			t.Errorf("accepted message %d to %s lost: %v", id, number, err)
			continue
		}
		counts[m.Status]++
		if m.Number != number {
			t.Errorf("message %d: number %s, want %s", id, m.Number, number)
		}
		switch n := received[number]; {
		case m.Status == store.StatusSent && n != 1:
			t.Errorf("message %d marked sent but received %d times", id, n)
		case m.Status == store.StatusUnknown:
		case m.Status != store.StatusSent:
			t.Errorf("message %d ended %s (%s)", id, m.Status, m.Reason)
		}
	}
	t.Logf("%d messages accepted (%d requests), %d kills; final states %v", len(accepted), next, kills, counts)
}
