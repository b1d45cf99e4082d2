package main

import (
	"os/exec"
	"strings"
	"testing"
)

// gsmboxIn runs one CLI command with stdin.
func gsmboxIn(t *testing.T, data, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{args[0], "--data", data}, args[1:]...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestUserAndAPIKeyCommands runs the account commands offline (no daemon:
// they open the database) and through a running daemon.
func TestUserAndAPIKeyCommands(t *testing.T) {
	data := t.TempDir()
	if out, err := gsmboxIn(t, data, "court\n", "user", "add", "alice"); err == nil || !strings.Contains(out, "at least") {
		t.Errorf("short password accepted: %v %s", err, out)
	}
	if out, err := gsmboxIn(t, data, "un mot de passe assez long\n", "user", "add", "alice", "--admin"); err != nil {
		t.Fatalf("offline user add: %v %s", err, out)
	}
	// Flags may also follow the arguments, as in the README.
	out, err := exec.Command(binPath, "apikey", "create", "offline-key", "--data", data).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "gsm_") {
		t.Fatalf("offline apikey create: %v %s", err, out)
	}

	startDaemon(t, data, "--simulate=1")
	if out, err := gsmboxIn(t, data, "un autre mot de passe\n", "user", "add", "bob"); err != nil {
		t.Fatalf("user add through the daemon: %v %s", err, out)
	}
	if out, err := gsmboxIn(t, data, "un autre mot de passe\n", "user", "add", "bob"); err == nil {
		t.Errorf("duplicate user accepted: %s", out)
	}
	list, err := gsmbox(t, data, "user", "list")
	if err != nil || !strings.Contains(list, "alice  admin") || !strings.Contains(list, "bob    user") {
		t.Errorf("user list: %v\n%s", err, list)
	}
	if out, err := gsmbox(t, data, "apikey", "create", "daemon-key"); err != nil || !strings.HasPrefix(out, "gsm_") {
		t.Fatalf("apikey create through the daemon: %v %s", err, out)
	}
	list, err = gsmbox(t, data, "apikey", "list")
	if err != nil || !strings.Contains(list, "offline-key") || !strings.Contains(list, "daemon-key") {
		t.Fatalf("apikey list: %v\n%s", err, list)
	}
	if out, err := gsmbox(t, data, "apikey", "revoke", "1"); err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("apikey revoke: %v %s", err, out)
	}
	if out, err := gsmbox(t, data, "apikey", "revoke", "x"); err == nil {
		t.Errorf("apikey revoke x accepted: %s", out)
	}
}
