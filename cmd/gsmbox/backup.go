package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gsmbox/ctl"
	"gsmbox/store"
)

// backupArgs are the arguments of the "backup" control command.
type backupArgs struct {
	Dest string `json:"dest"` // absolute path, must not exist
}

func (d *daemon) ctlBackup(ctx context.Context, raw json.RawMessage) (any, error) {
	var a backupArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(a.Dest) {
		return nil, fmt.Errorf("backup: %q is not an absolute path", a.Dest)
	}
	return nil, d.st.Backup(ctx, a.Dest)
}

func runBackup(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "backup", "[--data DIR] FILE\n\n"+
		"Writes a consistent copy of the database to FILE (which must not exist) while the box\n"+
		"runs (SQLite VACUUM INTO: never copy a live database file with cp).")
	if err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	dest, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists: choose a new file", dest)
	}
	err = ctl.Call(ctx, cfg.Data, "backup", backupArgs{Dest: dest}, nil)
	if errors.Is(err, ctl.ErrNoDaemon) {
		err = offline(ctx, cfg, func(st *store.Store) error { return st.Backup(ctx, dest) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, dest)
	return nil
}

func runRestore(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "restore", "[--data DIR] FILE\n\n"+
		"Replaces the database with FILE (a 'gsmbox backup'). The daemon must be stopped. The current\n"+
		"database is kept beside it as gsmbox.db.before-restore-TIME.")
	if err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	if err := ctl.Call(ctx, cfg.Data, "status", nil, nil); !errors.Is(err, ctl.ErrNoDaemon) {
		return errors.New("the daemon is running: stop it first (systemctl stop gsmbox)")
	}
	src := pos[0]
	// Check the backup on a scratch copy: opening migrates, and the backup
	// itself stays untouched.
	scratch, err := os.MkdirTemp(cfg.Data, "restore-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	if err := copyFile(src, filepath.Join(scratch, DBName)); err != nil {
		return err
	}
	st, err := store.Open(ctx, filepath.Join(scratch, DBName))
	if err != nil {
		return fmt.Errorf("%s is not a usable gsmbox database: %w", src, err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	db := filepath.Join(cfg.Data, DBName)
	if _, err := os.Stat(db); err == nil {
		old := db + ".before-restore-" + time.Now().Format("20060102-150405")
		if err := os.Rename(db, old); err != nil {
			return fmt.Errorf("keep the current database: %w", err)
		}
		fmt.Fprintln(env.stderr, "current database kept as", old)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Remove(db + side); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := copyFile(src, db); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "restored", src)
	return nil
}

// copyFile copies src to a new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
