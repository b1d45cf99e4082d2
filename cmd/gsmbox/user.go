package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"gsmbox/ctl"
	"gsmbox/store"
	"gsmbox/ui/password"
)

// userArgs are the arguments of the user.* control commands. The password
// is hashed by the CLI: it never crosses the socket in clear.
type userArgs struct {
	Name  string `json:"name,omitempty"`
	Hash  string `json:"hash,omitempty"`
	Admin bool   `json:"admin,omitempty"`
}

// userOp runs a user operation on st, in the daemon or offline.
func userOp(ctx context.Context, st *store.Store, verb string, a userArgs) (any, error) {
	switch verb {
	case "add":
		role := "user"
		if a.Admin {
			role = "admin"
		}
		id, err := st.CreateUser(ctx, store.User{AccountID: 1, Name: a.Name, PasswordHash: a.Hash, Role: role}, time.Now())
		return id, err
	case "passwd":
		u, err := st.UserByName(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = a.Hash
		return nil, st.UpdateUser(ctx, u)
	case "list":
		return st.Users(ctx)
	}
	return nil, fmt.Errorf("user: unknown verb %q", verb)
}

func registerUserCtl(srv *ctl.Server, st *store.Store) {
	for _, verb := range []string{"add", "passwd", "list"} {
		srv.Handle("user."+verb, func(ctx context.Context, raw json.RawMessage) (any, error) {
			var a userArgs
			if err := decodeArgs(raw, &a); err != nil {
				return nil, err
			}
			return userOp(ctx, st, verb, a)
		})
	}
}

func runUser(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := commandFlags(env, args, "user", "[--data DIR] add NAME [--admin] | passwd NAME | list\n\n"+
		"The password is asked twice on a terminal, or read as one line from standard input\n"+
		"otherwise (echo 'long secret pass' | gsmbox user add alice).")
	if err != nil {
		return err
	}
	admin := fs.Bool("admin", false, "add: the user administers the box (settings, users, AT console)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	verb, rest := pos[0], pos[1:]
	a := userArgs{Admin: *admin}
	switch {
	case (verb == "add" || verb == "passwd") && len(rest) == 1:
		a.Name = rest[0]
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		if a.Hash, err = password.Hash(pw); err != nil {
			return err
		}
	case verb == "list" && len(rest) == 0:
	default:
		fs.Usage()
		return errUsage
	}
	var users []store.User
	var result any
	if verb == "list" {
		result = &users
	}
	err = ctl.Call(ctx, cfg.Data, "user."+verb, a, result)
	if errors.Is(err, ctl.ErrNoDaemon) {
		err = offline(ctx, cfg, func(st *store.Store) error {
			out, err := userOp(ctx, st, verb, a)
			if err == nil && verb == "list" {
				users = out.([]store.User)
			}
			return err
		})
	}
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		fmt.Fprintf(env.stdout, "user %s added\n", a.Name)
	case "passwd":
		fmt.Fprintf(env.stdout, "password of %s changed\n", a.Name)
	case "list":
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tDISABLED")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\n", u.ID, u.Name, u.Role, day(u.CreatedAt), u.Disabled)
		}
		return tw.Flush()
	}
	return nil
}

// readPassword asks twice without echo on a terminal, or reads one line.
func readPassword(env *cmdEnv) (string, error) {
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.stderr, "password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.stderr, "again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the two passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
