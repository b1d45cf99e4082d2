// Package ctl is the control channel between the gsmbox daemon and the
// gsmbox command line: a unix socket in the data directory carrying one JSON
// request and one JSON answer per connection.
//
// The daemon owns the serial ports (go.bug.st/serial opens them exclusively)
// and the database writer, so every command that needs a modem or the queue
// goes through it (SPEC O1).
package ctl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SocketName is the control socket's file name in the data directory.
const SocketName = "gsmbox.sock"

// Version is the protocol version; the client refuses a daemon that speaks
// another one, so an old CLI never misreads a new daemon.
const Version = 1

// maxMessage bounds one request or answer.
const maxMessage = 16 << 20

// Request is one command sent to the daemon.
type Request struct {
	Version int             `json:"version"`
	Cmd     string          `json:"cmd"`
	Args    json.RawMessage `json:"args,omitempty"`
}

// Response is the daemon's answer.
type Response struct {
	Version int             `json:"version"`
	Error   string          `json:"error,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
}

// HandlerFunc serves one command: args is the request's raw JSON arguments,
// the returned value is marshalled as the result.
type HandlerFunc func(ctx context.Context, args json.RawMessage) (any, error)

// Server dispatches control requests to handlers by command name.
type Server struct {
	log      *slog.Logger
	mu       sync.RWMutex
	handlers map[string]HandlerFunc
}

// NewServer returns a server with no commands.
func NewServer(log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{log: log, handlers: map[string]HandlerFunc{}}
}

// Handle registers h for cmd.
func (s *Server) Handle(cmd string, h HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[cmd] = h
}

// Listen creates the socket in dir, removing a stale one left by a crash,
// but refusing to steal the socket of a daemon that still answers.
func Listen(dir string) (net.Listener, error) {
	path := filepath.Join(dir, SocketName)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("ctl: a gsmbox daemon already serves %s", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ctl: remove stale socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("ctl: listen: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("ctl: chmod socket: %w", err)
	}
	return l, nil
}

// Serve answers connections on l until ctx is cancelled.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ctl: accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var req Request
	resp := Response{Version: Version}
	dec := json.NewDecoder(bufio.NewReader(&limitedConn{c, maxMessage}))
	if err := dec.Decode(&req); err != nil {
		resp.Error = "ctl: bad request: " + err.Error()
	} else {
		resp = s.dispatch(ctx, req)
	}
	if err := json.NewEncoder(c).Encode(resp); err != nil {
		s.log.Warn("ctl: write answer", slog.Any("error", err))
	}
}

func (s *Server) dispatch(ctx context.Context, req Request) (resp Response) {
	resp.Version = Version
	if req.Version != Version {
		resp.Error = fmt.Sprintf("ctl: protocol version %d, daemon speaks %d: use the gsmbox binary of the running daemon", req.Version, Version)
		return resp
	}
	s.mu.RLock()
	h := s.handlers[req.Cmd]
	s.mu.RUnlock()
	if h == nil {
		resp.Error = fmt.Sprintf("ctl: unknown command %q", req.Cmd)
		return resp
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("ctl: handler panic", slog.String("cmd", req.Cmd), slog.Any("panic", r))
			resp.Error = "ctl: internal error"
		}
	}()
	out, err := h(ctx, req.Args)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	b, err := json.Marshal(out)
	if err != nil {
		resp.Error = "ctl: encode result: " + err.Error()
		return resp
	}
	resp.Result = b
	return resp
}

type limitedConn struct {
	c net.Conn
	n int64
}

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("ctl: request too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= int64(n)
	return n, err
}

// ErrNoDaemon is returned by Call when no daemon listens on the socket.
var ErrNoDaemon = errors.New("ctl: the gsmbox daemon is not running")

// Call sends cmd with args to the daemon whose data directory is dir and
// decodes its result into result (which may be nil).
func Call(ctx context.Context, dir, cmd string, args, result any) error {
	path := filepath.Join(dir, SocketName)
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return fmt.Errorf("%w (no answer on %s: %v); start it with 'gsmbox serve --data %s'", ErrNoDaemon, path, err, dir)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	req := Request{Version: Version, Cmd: cmd}
	if args != nil {
		if req.Args, err = json.Marshal(args); err != nil {
			return fmt.Errorf("ctl: encode arguments: %w", err)
		}
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return fmt.Errorf("ctl: send %s: %w", cmd, err)
	}
	var resp Response
	if err := json.NewDecoder(bufio.NewReader(&limitedConn{c, maxMessage})).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("ctl: read answer to %s: %w", cmd, err)
	}
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	if result != nil && len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("ctl: decode answer to %s: %w", cmd, err)
		}
	}
	return nil
}
