package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestStore opens a fresh database file in t.TempDir().
func newTestStore(t *testing.T) *Store { return newTestStore2(t) }

func newTestStore2(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "gsmbox.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tcheck(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestOpenPragmas(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.w, "synchronous", "1"},
		{s.w, "busy_timeout", "5000"},
		{s.r, "foreign_keys", "1"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "5000"},
	} {
		var got string
		tcheck(t, c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got), c.pragma)
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	var v int
	tcheck(t, s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v), "user_version")
	if v != SchemaVersion() {
		t.Errorf("user_version %d, want %d", v, SchemaVersion())
	}
	if _, err := s.r.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('a', 'b')`); err == nil {
		t.Error("read pool accepted a write")
	}
}

// TestMigrateFromV1 builds a version-1 database holding data, then opens it
// with the current binary: the data survives and the later migrations'
// features (full-text search) cover the old rows.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, true))
	tcheck(t, err, "open v1")
	db.SetMaxOpenConns(1)
	tcheck(t, migrate(ctx, db, migrations[:1]), "migrate to v1")
	now := time.Now().UnixMilli()
	for _, q := range []string{
		`INSERT INTO contacts (mobile, last_name, first_name, created_at, updated_at) VALUES ('+33612345678', 'Martin', 'Élodie', 1, 1)`,
		`INSERT INTO messages (number, text, text_hash, encoding, parts, status, created_at, updated_at)
		 VALUES ('+33612345678', 'Votre rendez-vous est confirmé', 7, 'gsm7', 1, 'delivered', 1, 1)`,
		`INSERT INTO inbound (number, modem, text, encoding, scts, received_at, dedupe_key)
		 VALUES ('+33612345678', 'm1', 'Merci, à demain', 'gsm7', 1, 1, 'k1')`,
	} {
		_, err := db.ExecContext(ctx, q)
		tcheck(t, err, q)
	}
	_ = now
	tcheck(t, db.Close(), "close v1")

	s, err := Open(ctx, path)
	tcheck(t, err, "open and migrate")
	defer s.Close()
	var v int
	tcheck(t, s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v), "user_version")
	if v != SchemaVersion() {
		t.Fatalf("version after migration %d, want %d", v, SchemaVersion())
	}
	var n int
	tcheck(t, s.r.QueryRowContext(ctx, `SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'confirme'`).Scan(&n), "search messages")
	if n != 1 {
		t.Errorf("old outbound message not searchable after migration: %d hits", n)
	}
	tcheck(t, s.r.QueryRowContext(ctx, `SELECT count(*) FROM inbound_fts WHERE inbound_fts MATCH 'demain'`).Scan(&n), "search inbound")
	if n != 1 {
		t.Errorf("old inbound message not searchable after migration: %d hits", n)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(ctx, path)
	tcheck(t, err, "open")
	_, err = s.w.ExecContext(ctx, `PRAGMA user_version = 999`)
	tcheck(t, err, "bump version")
	s.Close()
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer database: %v, want a refusal", err)
	}
}

func TestWriteRollsBack(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.SetSetting("k", "v"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write returned %v", err)
	}
	if _, err := s.Setting(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("setting survived a rolled back transaction: %v", err)
	}
}

// TestGroupCommit runs many concurrent writes, every third failing: the
// failing ones leave nothing, the others all commit.
func TestGroupCommit(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	const n = 90
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.Write(ctx, func(tx *Tx) error {
				if err := tx.SetSetting(fmt.Sprintf("k%02d", i), "v"); err != nil {
					return err
				}
				if i%3 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			failed++
		}
	}
	m, err := s.Settings(ctx)
	tcheck(t, err, "settings")
	if failed != n/3 || len(m) != n-n/3 {
		t.Fatalf("%d failed, %d stored", failed, len(m))
	}
	for k := range m {
		var i int
		fmt.Sscanf(k, "k%d", &i)
		if i%3 == 0 {
			t.Errorf("%s stored although its write failed", k)
		}
	}
}

func TestWritePanicReraised(t *testing.T) {
	s := newTestStore(t)
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v", p)
		}
		// The writer survived.
		tcheck(t, s.SetSetting(context.Background(), "after", "ok"), "write after a panic")
	}()
	s.Write(context.Background(), func(tx *Tx) error { panic("boom") })
}
