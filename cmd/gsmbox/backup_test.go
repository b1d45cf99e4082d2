package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore backs up a running box, loses a message after it, and
// restores the backup once the daemon is stopped.
func TestBackupRestore(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, data, "--simulate=1")
	d.waitFor(func() bool { return allReady(modemsOf(t, data), 1) }, "a ready modem")
	first, err := gsmbox(t, data, "send", "--to", "0612345678", "Avant la sauvegarde")
	if err != nil {
		t.Fatalf("send: %v %s", err, first)
	}
	backup := filepath.Join(t.TempDir(), "gsmbox-backup.db")
	if out, err := gsmbox(t, data, "backup", backup); err != nil {
		t.Fatalf("online backup: %v %s", err, out)
	}
	if out, err := gsmbox(t, data, "backup", backup); err == nil {
		t.Errorf("backup over an existing file accepted: %s", out)
	}
	second, err := gsmbox(t, data, "send", "--to", "0612345679", "Après la sauvegarde")
	if err != nil {
		t.Fatalf("send: %v %s", err, second)
	}
	if out, err := gsmbox(t, data, "restore", backup); err == nil || !strings.Contains(out, "stop it first") {
		t.Errorf("restore while running: %v %s", err, out)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if out, err := gsmbox(t, data, "restore", filepath.Join(data, "nope.db")); err == nil {
		t.Errorf("restore of a missing file accepted: %s", out)
	}
	if out, err := gsmbox(t, data, "restore", backup); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	startDaemon(t, data, "--simulate=1")
	out, err := gsmbox(t, data, "queue", "list", "--status", "all")
	if err != nil || !strings.Contains(out, "Avant la sauvegarde") || strings.Contains(out, "Après la sauvegarde") {
		t.Errorf("after restore: %v\n%s", err, out)
	}
}
