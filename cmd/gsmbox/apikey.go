package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"gsmbox/ctl"
	"gsmbox/store"
	"gsmbox/ui/apikey"
)

// apikeyArgs are the arguments of the apikey.* control commands.
type apikeyArgs struct {
	Name string `json:"name,omitempty"`
	ID   int64  `json:"id,omitempty"`
}

// apikeyCreated is the answer to apikey.create: the key is shown this once.
type apikeyCreated struct {
	ID   int64  `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// apikeyOps are the API-key operations, run by the daemon for the CLI or by
// the CLI itself on the database when no daemon runs.
func apikeyOp(ctx context.Context, st *store.Store, verb string, a apikeyArgs) (any, error) {
	now := time.Now()
	switch verb {
	case "create":
		if a.Name == "" {
			return nil, errors.New("apikey: a name is required")
		}
		key, row, err := apikey.Create(ctx, st, 0, a.Name, now)
		if err != nil {
			return nil, err
		}
		return apikeyCreated{ID: row.ID, Key: key, Name: row.Name}, nil
	case "list":
		return st.APIKeys(ctx, 0)
	case "revoke":
		return nil, st.RevokeAPIKey(ctx, a.ID, now)
	}
	return nil, fmt.Errorf("apikey: unknown verb %q", verb)
}

func registerAPIKeyCtl(srv *ctl.Server, st *store.Store) {
	for _, verb := range []string{"create", "list", "revoke"} {
		srv.Handle("apikey."+verb, func(ctx context.Context, raw json.RawMessage) (any, error) {
			var a apikeyArgs
			if err := decodeArgs(raw, &a); err != nil {
				return nil, err
			}
			return apikeyOp(ctx, st, verb, a)
		})
	}
}

func runAPIKey(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "apikey", "[--data DIR] create NAME | list | revoke ID\n\n"+
		"create prints the new key once: it is stored hashed and cannot be shown again.\n"+
		"Scripts send it as 'Authorization: Bearer KEY' (/api/v1) or as the password / accessToken\n"+
		"of the compatible APIs (sMsmode, URL2SMS, SMStoB, Kannel).")
	if err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	verb, rest := pos[0], pos[1:]
	var a apikeyArgs
	switch {
	case verb == "create" && len(rest) == 1:
		a.Name = rest[0]
	case verb == "list" && len(rest) == 0:
	case verb == "revoke" && len(rest) == 1:
		if a.ID, err = strconv.ParseInt(rest[0], 10, 64); err != nil || a.ID <= 0 {
			return fmt.Errorf("%q is not a key id (see 'gsmbox apikey list')", rest[0])
		}
	default:
		fs.Usage()
		return errUsage
	}
	var created apikeyCreated
	var keys []store.APIKey
	result := map[string]any{"create": &created, "list": &keys, "revoke": nil}[verb]
	err = ctl.Call(ctx, cfg.Data, "apikey."+verb, a, result)
	if errors.Is(err, ctl.ErrNoDaemon) {
		// No daemon: the database is ours (SQLite serialises writers anyway).
		err = offline(ctx, cfg, func(st *store.Store) error {
			out, err := apikeyOp(ctx, st, verb, a)
			if err != nil || result == nil {
				return err
			}
			b, err := json.Marshal(out)
			if err != nil {
				return err
			}
			return json.Unmarshal(b, result)
		})
	}
	if err != nil {
		return err
	}
	switch verb {
	case "create":
		fmt.Fprintln(env.stdout, created.Key)
		fmt.Fprintf(env.stderr, "API key %d %q created: keep it now, it is not shown again\n", created.ID, created.Name)
	case "list":
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, day(k.CreatedAt), day(k.LastUsedAt), day(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		fmt.Fprintf(env.stdout, "API key %d revoked\n", a.ID)
	}
	return nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// offline opens the database of cfg for a command that runs without the
// daemon.
func offline(ctx context.Context, cfg *Config, f func(*store.Store) error) error {
	st, err := store.Open(ctx, filepath.Join(cfg.Data, DBName))
	if err != nil {
		return err
	}
	defer st.Close()
	return f(st)
}
