package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gsmbox/modem/sim"
	"gsmbox/store"
)

// TestInboundBurst delivers 1 000 SMS, one in ten a 3-part message (8-bit
// and 16-bit references, parts out of order), to two modems as fast as the
// network can, kills the daemon with SIGKILL in the middle and restarts it
// (SPEC 12: zero loss). Every message must be stored once, complete.
func TestInboundBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("burst test skipped in -short mode")
	}
	const total = 1000
	dir := t.TempDir()
	var sims []*sim.Modem
	var args []string
	for i := range 2 {
		m, err := sim.New(sim.Config{Link: filepath.Join(dir, fmt.Sprintf("usb-Sim_%d-if00", i)), Identity: sim.IdentityFor(i)})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		sims = append(sims, m)
		args = append(args, "--modem", m.Path())
	}
	data := filepath.Join(dir, "data")
	d := startDaemon(t, data, args...)
	d.bound = 3 * time.Minute
	want := map[string]string{} // text -> originator
	for i := range total {
		from := fmt.Sprintf("+336300%05d", i)
		text := fmt.Sprintf("Message n° %d de la rafale", i)
		opts := sim.DeliverOptions{}
		if i%10 == 0 {
			text += strings.Repeat(" — suite du message long", 12)
			opts = sim.DeliverOptions{Shuffle: true, Ref16: i%20 == 0}
		}
		if _, err := sims[i%2].Deliver(from, text, opts); err != nil {
			t.Fatalf("deliver %d: %v", i, err)
		}
		want[text] = from
		if i == total/2 {
			d.cmd.Process.Signal(syscall.SIGKILL)
			<-d.done
			d = startDaemon(t, data, args...)
			d.bound = 3 * time.Minute
		}
	}
	d.waitFor(func() bool {
		for _, m := range sims {
			if s := m.Stats(); s.Pending > 0 || s.StoredSIM > 0 {
				return false
			}
		}
		return true
	}, "the network and the SIMs emptied")
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(context.Background(), filepath.Join(data, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := map[string]int{}
	before := int64(0)
	for {
		page, err := st.InboundMessages(context.Background(), store.InboundFilter{BeforeID: before, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			got[m.Text]++
			if want[m.Text] != m.Number || m.Incomplete {
				t.Errorf("stored %q from %s (incomplete %v)", abbreviate(m.Text, 30), m.Number, m.Incomplete)
			}
			before = m.ID
		}
	}
	for text := range want {
		if n := got[text]; n != 1 {
			t.Errorf("%q stored %d times", abbreviate(text, 30), n)
		}
	}
	t.Logf("%d messages stored, %d expected", len(got), total)
}
