package main

import (
	"strings"
	"testing"
	"time"
)

// TestQueueCommands drives `gsmbox send` and `gsmbox queue list|cancel|retry`
// against a running daemon.
func TestQueueCommands(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, data, "--simulate=1")
	d.waitFor(func() bool { return allReady(modemsOf(t, data), 1) }, "a ready modem")

	later := time.Now().Add(48 * time.Hour).Format(time.RFC3339)
	out, err := gsmbox(t, data, "send", "--to", "0612345678", "--at", later, "Rappel de demain")
	if err != nil {
		t.Fatalf("scheduled send: %v %s", err, out)
	}
	scheduled := strings.TrimSpace(out)
	out, _ = gsmbox(t, data, "queue", "list")
	if !strings.Contains(out, scheduled) || !strings.Contains(out, "scheduled") {
		t.Errorf("queue list does not show the scheduled message %s:\n%s", scheduled, out)
	}
	if out, err := gsmbox(t, data, "queue", "cancel", scheduled); err != nil || !strings.Contains(out, "cancelled") {
		t.Errorf("queue cancel: %v %s", err, out)
	}
	if out, _ := gsmbox(t, data, "queue", "list", "--status", "cancelled"); !strings.Contains(out, scheduled) {
		t.Errorf("cancelled message not listed as such:\n%s", out)
	}

	// A permanent network refusal: failed, then retried by a person.
	if out, err := gsmbox(t, data, "sim", "error", "+CMGS", "21", "1"); err != nil {
		t.Fatalf("sim error: %v %s", err, out)
	}
	out, err = gsmbox(t, data, "send", "--to", "0698765432", "Refusé puis réessayé")
	if err != nil {
		t.Fatalf("send: %v %s", err, out)
	}
	id := strings.TrimSpace(out)
	d.waitFor(func() bool {
		out, _ := gsmbox(t, data, "queue", "list", "--status", "failed")
		return strings.Contains(out, id)
	}, "the message failed")
	if out, err := gsmbox(t, data, "queue", "retry", id); err != nil {
		t.Fatalf("queue retry: %v %s", err, out)
	}
	d.waitFor(func() bool {
		out, _ := gsmbox(t, data, "queue", "list", "--status", "sent")
		return strings.Contains(out, id)
	}, "the retried message sent")

	// The technician's AT console reaches the modem between sends.
	if out, err := gsmbox(t, data, "at", "+CSQ", "AT+CGMI"); err != nil || !strings.Contains(out, "+CSQ: 20,99") || !strings.Contains(out, "huawei") {
		t.Errorf("gsmbox at: %v\n%s", err, out)
	}
	if out, err := gsmbox(t, data, "at", "+NOPE"); err == nil || !strings.Contains(out, "ERROR") {
		t.Errorf("gsmbox at +NOPE: %v\n%s", err, out)
	}

	for _, bad := range [][]string{{"queue", "cancel", "x"}, {"queue", "retry", "999999"}, {"send", "--to", "123", "x"}, {"queue", "frobnicate"}} {
		if out, err := gsmbox(t, data, bad...); err == nil {
			t.Errorf("gsmbox %v succeeded: %s", bad, out)
		}
	}
}
