// Package store owns gsmbox's single SQLite file (SPEC §2): opening it with
// the right per-connection pragmas, versioned migrations, online backup, and
// every SQL statement of the project.
//
// Writes go through one connection (SQLite has one writer anyway; funnelling
// them through one *sql.DB connection avoids SQLITE_BUSY between our own
// goroutines), reads through a small pool of query-only connections that WAL
// lets run beside the writer. Timestamps are INTEGER unix milliseconds, UTC.
//
// Callers that need several statements to commit together use Store.Write,
// which hands them a *Tx; everything else is a method on *Store.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned (wrapped) when a row asked for by id or key does
// not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned (wrapped) when a row cannot change because its
// state forbids it (e.g. editing a message that is already sending) or a
// unique key is taken.
var ErrConflict = errors.New("store: conflict")

// readConns is the size of the read pool: the UI, the API and the queue's
// read-only queries share it; more connections than cores buys nothing on a
// 2-core board.
const readConns = 4

// busyTimeout is how long a connection waits on a lock held by another
// process (a backup tool, the sqlite3 shell) before SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// Store is the open database. It is safe for concurrent use.
type Store struct {
	w    *sql.DB // exactly one connection: all writes, serialised
	r    *sql.DB // query-only pool for reads
	path string

	writes     chan writeReq
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	// hot holds the statements of the hot paths (enqueue, dispatch),
	// prepared once on the writer connection at Open: preparing inside a
	// transaction would need a second connection, which the writer pool
	// does not have.
	hot map[string]*sql.Stmt
}

// dsn builds the modernc.org/sqlite DSN. Pragmas go in the DSN because
// database/sql pools connections and foreign_keys, busy_timeout and
// synchronous apply per connection (STYLE.md "SQLite").
func dsn(path string, write bool) string {
	q := baseDSN(path)
	if write {
		// BEGIN IMMEDIATE: a transaction that reads then writes never
		// fails with SQLITE_BUSY on the upgrade.
		return q + "&_txlock=immediate"
	}
	return q + "&_pragma=query_only(1)"
}

// baseDSN is the DSN every connection shares.
func baseDSN(path string) string {
	// The path is part of a file: URI, so '%', '?' and '#' must be escaped.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)",
		esc, busyTimeout.Milliseconds())
}

// Open opens (creating if needed) the database at path and migrates it to
// the schema of this binary. It refuses a database written by a newer
// binary.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, migrations); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	s := &Store{w: w, r: r, path: path, hot: map[string]*sql.Stmt{},
		writes: make(chan writeReq), closing: make(chan struct{}), writerDone: make(chan struct{})}
	go s.writer()
	for _, q := range hotStatements {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("store: prepare %q: %w", q, err)
		}
		s.hot[q] = st
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the writer (after the transaction in progress) and closes
// both connection pools. It is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		for _, st := range s.hot {
			st.Close()
		}
		err = errors.Join(s.r.Close(), s.w.Close())
	})
	return err
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that both the writer and the read pool answer (the systemd
// watchdog is fed only while this succeeds).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping writer: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping reader: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the live database to dest with
// VACUUM INTO (never cp a WAL database, STYLE.md). dest must not exist.
//
// It runs on a connection of its own: the read pool is query_only, which
// SQLite applies to VACUUM INTO's output too, and the writer must stay
// free for the box while the copy is made.
func (s *Store) Backup(ctx context.Context, dest string) error {
	db, err := sql.Open("sqlite", baseDSN(s.path))
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("store: backup to %s: %w", dest, err)
	}
	return nil
}

// Tx is one write transaction, valid only inside the function given to
// Store.Write.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
	sh  *txShared
}

// txShared is what the Write calls sharing one SQLite transaction (group
// commit) also share: the hot statements already bound to it, since
// binding one allocates and registers it with database/sql, and the next
// free message id, so InsertMessages reads the table's maximum once per
// transaction instead of once per request.
type txShared struct {
	stmts map[string]*sql.Stmt
	// nextMessageID is the lowest message id not used yet in this
	// transaction, 0 until read. A savepoint rolled back leaves a gap,
	// never a reuse; the transaction holds SQLite's write lock, so no
	// other process inserts meanwhile.
	nextMessageID int64
}

// stmt returns q bound to this transaction, prepared when q is one of the
// hot statements.
func (tx *Tx) stmt(q string) *sql.Stmt {
	if st, ok := tx.sh.stmts[q]; ok {
		return st
	}
	if st, ok := tx.s.hot[q]; ok {
		bound := tx.tx.StmtContext(tx.ctx, st)
		tx.sh.stmts[q] = bound
		return bound
	}
	return nil
}

func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	if st := tx.stmt(q); st != nil {
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.tx.ExecContext(tx.ctx, q, args...)
}

func (tx *Tx) query(q string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(q); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.tx.QueryContext(tx.ctx, q, args...)
}

func (tx *Tx) queryRow(q string, args ...any) *sql.Row {
	if st := tx.stmt(q); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.tx.QueryRowContext(tx.ctx, q, args...)
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("store: closed")

// maxGroup bounds how many Write calls share one transaction.
const maxGroup = 64

// writeReq is one Write call waiting for the writer goroutine.
type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan writeRes // buffered
}

type writeRes struct {
	err   error
	panic any
}

// Write runs fn in a write transaction on the single writer connection and
// returns once it is committed, or rolled back when fn returns an error or
// panics (the panic is re-raised in the caller). Keep fn short and free of
// I/O other than the database: it holds the single writer (STYLE.md:
// never modem I/O inside a transaction); fn must not call Write.
//
// Group commit: Write calls made while a transaction is running are run
// together in the next one, each inside its own SAVEPOINT, so each still
// commits or rolls back as a whole, and concurrent writers (API requests,
// modem workers, inbound messages) share one commit instead of queueing
// for one each. Once fn has started, Write waits for the outcome even if
// ctx ends, so a caller never mistakes a committed change for a failed
// one; fn's statements run without ctx's cancellation for the same reason.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := writeReq{ctx: ctx, fn: fn, done: make(chan writeRes, 1)}
	select {
	case s.writes <- req:
	case <-s.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	res := <-req.done
	if res.panic != nil {
		panic(res.panic)
	}
	return res.err
}

// writer is the goroutine that owns the writer connection's transactions.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		var batch []writeReq
		select {
		case req := <-s.writes:
			batch = append(batch, req)
		case <-s.closing:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case req := <-s.writes:
				batch = append(batch, req)
			default:
				break more
			}
		}
		s.runBatch(batch)
	}
}

// Each Write call of a group runs between these (prepared: they run once
// per call, as often as the enqueue's own statements).
const (
	qSavepoint = `SAVEPOINT w`
	qRelease   = `RELEASE w`
)

// runBatch runs a group of Write calls in one transaction.
func (s *Store) runBatch(batch []writeReq) {
	results := make([]writeRes, len(batch))
	finish := func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}
	defer finish()
	sqlTx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i].err = fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	alone := len(batch) == 1
	sh := &txShared{stmts: map[string]*sql.Stmt{}}
	own := &Tx{ctx: context.Background(), tx: sqlTx, s: s, sh: sh}
	ok := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err // never started: nothing to undo
			continue
		}
		if !alone {
			if _, err := own.exec(qSavepoint); err != nil {
				s.failBatch(sqlTx, results, fmt.Errorf("store: savepoint: %w", err))
				return
			}
		}
		results[i] = runFn(r.fn, &Tx{ctx: context.WithoutCancel(r.ctx), tx: sqlTx, s: s, sh: sh})
		failed := results[i].err != nil || results[i].panic != nil
		switch {
		case alone && failed:
			sqlTx.Rollback()
			return
		case alone:
		case failed:
			if _, err := sqlTx.Exec(`ROLLBACK TO w; RELEASE w`); err != nil {
				s.failBatch(sqlTx, results, fmt.Errorf("store: rollback to savepoint: %w", err))
				return
			}
		default:
			if _, err := own.exec(qRelease); err != nil {
				s.failBatch(sqlTx, results, fmt.Errorf("store: release savepoint: %w", err))
				return
			}
		}
		if !failed {
			ok++
		}
	}
	if ok == 0 {
		sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i].err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
}

// failBatch rolls the whole transaction back and fails every call of it
// that had not failed on its own.
func (s *Store) failBatch(sqlTx *sql.Tx, results []writeRes, err error) {
	sqlTx.Rollback()
	for i := range results {
		if results[i].err == nil && results[i].panic == nil {
			results[i].err = err
		}
	}
}

// runFn calls fn, turning a panic into a result the caller re-raises.
func runFn(fn func(*Tx) error, tx *Tx) (res writeRes) {
	defer func() {
		if p := recover(); p != nil {
			res = writeRes{panic: p}
		}
	}()
	return writeRes{err: fn(tx)}
}

// querier is what both a transaction and a pool can run statements on, so
// read helpers serve Store (read pool) and Tx alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ms converts a time to the stored representation: unix milliseconds, 0 for
// the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms: 0 gives the zero time, others a UTC time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// boolInt stores a bool as 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// affected returns ErrNotFound (wrapped with what) when res changed no row.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return nil
}

// placeholders returns "?,?,?" for n parameters.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// isUnique reports whether err is a UNIQUE / PRIMARY KEY violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
