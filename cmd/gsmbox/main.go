// Command gsmbox is the firmware of the gsmbox SMS appliance: the daemon
// (serve) and the technician's command line, which reaches the daemon
// through its control socket.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what every subcommand gets: its streams, so tests can run the
// commands in-process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the daemon: modems, queue, web UI and API", runServe},
		{"send", "queue an SMS through the running daemon", runSend},
		{"status", "modems and queue of the running daemon", runStatus},
		{"queue", "list, retry or cancel queued messages", runQueue},
		{"modems", "list modems with identity and signal", runModems},
		{"at", "talk AT to a modem through the daemon", runAT},
		{"apikey", "create, list or revoke API keys", runAPIKey},
		{"user", "add users, change passwords, list users", runUser},
		{"backup", "write a consistent copy of the database, online", runBackup},
		{"restore", "replace the database with a backup (daemon stopped)", runRestore},
		{"sim", "drive the virtual modems of a daemon started with --simulate", runSim},
		{"version", "print the version", runVersion},
	}
}

// errUsage marks an error already explained by the flag set's usage text.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, env *cmdEnv, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(env.stderr, "gsmbox %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "gsmbox: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: gsmbox COMMAND [flags] [arguments]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'gsmbox COMMAND --help' for the flags of a command.")
}

// newFlagSet returns a flag set that reports errors through the command's
// stderr and explains usage with synopsis.
func newFlagSet(env *cmdEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("gsmbox "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: gsmbox %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps a parse failure to errUsage (the flag
// package has already printed why).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// parseInterleaved parses args whose flags may come before, between or
// after the positional arguments (`gsmbox user add alice --admin`), and
// returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
