package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$11$") {
		t.Errorf("hash %q is not bcrypt cost 11", h)
	}
	if err := Check(h, "correct horse battery"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := Check(h, "wrong horse battery"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: %v", err)
	}
	if err := Check("plain", "x"); err == nil || errors.Is(err, ErrMismatch) {
		t.Errorf("not a hash: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("é", 40)} {
		if _, err := Hash(bad); err == nil {
			t.Errorf("Hash(%q) accepted", bad)
		}
	}
}
