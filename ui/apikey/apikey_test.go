package apikey

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gsmbox/store"
)

func newTestStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gsmbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCreateLookupRevoke(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	key, k, err := Create(ctx, st, 0, " monitoring ", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, Scheme) || len(key) != len(Scheme)+43 {
		t.Fatalf("key %q: want %s + 43 base64url characters", key, Scheme)
	}
	if k.Name != "monitoring" || k.AccountID != store.DefaultAccount || !strings.HasPrefix(key, k.Prefix) {
		t.Fatalf("stored key %+v", k)
	}
	got, err := Lookup(ctx, st, key)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID {
		t.Fatalf("lookup gave key %d, want %d", got.ID, k.ID)
	}
	// Only the hash is stored: the key itself appears nowhere.
	keys, err := st.APIKeys(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0].Hash) == key || strings.Contains(string(keys[0].Hash), key[len(Scheme):]) {
		t.Fatalf("stored keys %+v", keys)
	}
	if err := st.RevokeAPIKey(ctx, k.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := Lookup(ctx, st, key); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked key: err %v, want ErrInvalid", err)
	}
}

func TestLookupRejectsGarbage(t *testing.T) {
	st := newTestStore(t)
	for _, key := range []string{"", "gsm_", "short", strings.Repeat("x", 300), "gsm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := Lookup(context.Background(), st, key); !errors.Is(err, ErrInvalid) {
			t.Errorf("Lookup(%q): err %v, want ErrInvalid", key, err)
		}
	}
}

func TestCreateNeedsNameAndAccount(t *testing.T) {
	st := newTestStore(t)
	if _, _, err := Create(context.Background(), st, 0, "  ", time.Now()); err == nil {
		t.Error("empty name accepted")
	}
	if _, _, err := Create(context.Background(), st, 42, "x", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: err %v, want ErrNotFound", err)
	}
}

func TestGenerateIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, h, _, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if seen[k] || len(h) != 32 {
			t.Fatalf("key %q repeated or hash of %d bytes", k, len(h))
		}
		seen[k] = true
	}
}
