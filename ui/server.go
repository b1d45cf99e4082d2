// Package ui serves every HTTP surface of gsmbox (SPEC §2, §9): the native
// JSON API under /api/v1, the sMsmode 1.6, L2T URL2SMS, SMStoB and Kannel
// compatible endpoints, and the health check. All routes are in one table
// (routes.go); every error is rendered by one function (errors.go).
//
// Mounting it (cmd/gsmbox):
//
//	srv, err := ui.New(ui.Config{Location: loc}, ui.Deps{Store: st, Queue: q, Modems: pool, Webhooks: hooks, Logger: log})
//	...
//	err = srv.ListenAndServe(ctx, cfg.Listen) // returns after a graceful shutdown when ctx ends
//
// or use srv (an http.Handler) in a server of one's own.
package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"gsmbox/modem"
	"gsmbox/queue"
	"gsmbox/store"
)

// Defaults of Config. Each says why.
const (
	// DefaultMaxBody caps ordinary request bodies: a send to 10 000 numbers
	// in JSON is ~200 KB; anything much larger is a mistake or an attack
	// (SPEC S5, S7).
	DefaultMaxBody = 1 << 20
	// DefaultMaxUpload caps file uploads (sendSMSBatch CSV): 100 000 rows
	// of number + personalised text fit in 16 MB.
	DefaultMaxUpload = 16 << 20
	// DefaultReadHeaderTimeout stops clients that open connections and
	// never finish their headers (slowloris).
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds a whole request, upload included, on a LAN.
	DefaultReadTimeout = 2 * time.Minute
	// DefaultWriteTimeout bounds writing a response.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout closes idle keep-alive connections, which cost
	// memory on a 512 MB board.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultShutdownTimeout is how long ListenAndServe waits for running
	// requests after ctx ends before closing their connections.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultGETRecipients is sMsmode's documented limit of recipients in
	// one GET request (seed 002: "Limité à 300 destinataires en HTTP GET").
	DefaultGETRecipients = 300
	// maxHeaderBytes bounds the request line and headers: a sMsmode GET to
	// 300 numbers with a long text is under 10 KB.
	maxHeaderBytes = 64 << 10
)

// Config tunes the HTTP server. Zero fields take the defaults above.
type Config struct {
	// Location is the box's time zone: sMsmode date_envoi, SMStoB diff
	// and the other wall-clock dates of the compatibility APIs are read in
	// it (SPEC Q3). Default time.Local.
	Location          *time.Location
	MaxBody           int64
	MaxUpload         int64
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	// GETRecipients is the most recipients a sMsmode GET request may name
	// (more need POST). Default DefaultGETRecipients.
	GETRecipients int
}

func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.GETRecipients <= 0 {
		c.GETRecipients = DefaultGETRecipients
	}
	return c
}

// Modems is what the API needs of the modem pool (*modem.Pool implements
// it): a snapshot of every modem (SPEC M3).
type Modems interface {
	Statuses() []modem.Status
}

// Kicker wakes the webhook sender after a change that may have produced a
// notification (*webhook.Runner implements it). It must not block.
type Kicker interface {
	Kick()
}

// Deps are the parts of gsmbox the server uses.
type Deps struct {
	Store  *store.Store // required
	Queue  *queue.Queue // required: every send goes through queue.Submit
	Modems Modems       // nil: no modem listed
	// Webhooks is kicked after sends and cancellations; nil is fine (the
	// webhook runner also polls).
	Webhooks Kicker
	Logger   *slog.Logger     // nil discards
	Now      func() time.Time // nil: time.Now
}

// Server is gsmbox's HTTP handler. It is safe for concurrent use.
type Server struct {
	cfg     Config
	st      *store.Store
	q       *queue.Queue
	modems  Modems
	hooks   Kicker
	log     *slog.Logger
	now     func() time.Time
	keys    *keyCache
	handler http.Handler
	routes  []route
	// reqPrefix and reqSeq make request ids unique across restarts
	// without a lock.
	reqPrefix string
	reqSeq    atomic.Uint64
}

// New builds the server and its route table.
func New(cfg Config, d Deps) (*Server, error) {
	if d.Store == nil || d.Queue == nil {
		return nil, errors.New("ui: New needs a store and a queue")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	var p [4]byte
	if _, err := rand.Read(p[:]); err != nil {
		return nil, fmt.Errorf("ui: random request id prefix: %w", err)
	}
	s := &Server{
		cfg:       cfg.withDefaults(),
		st:        d.Store,
		q:         d.Queue,
		modems:    d.Modems,
		hooks:     d.Webhooks,
		log:       d.Logger,
		now:       d.Now,
		reqPrefix: hex.EncodeToString(p[:]),
	}
	s.keys = newKeyCache(s.st, s.now)
	mux := http.NewServeMux()
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	// Unmatched paths and methods get the native API's JSON error shape
	// under /api/, plain text elsewhere.
	mux.Handle("/", http.HandlerFunc(s.notFound))
	s.handler = mux
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// HTTPServer returns an http.Server for addr with the configured timeouts
// and limits (STYLE.md "HTTP": ReadHeaderTimeout, IdleTimeout, body caps).
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// ListenAndServe listens on addr and serves until ctx ends, then shuts
// down gracefully: new connections are refused, running requests get
// Config.ShutdownTimeout to finish, and what is left is closed (STYLE
// habit 10). It returns nil after a shutdown caused by ctx.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ui: listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on a listener of the caller's (tests, socket
// activation). It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer(ln.Addr().String())
	hs.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("HTTP server listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("ui: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Warn("HTTP shutdown timed out: closing the remaining connections", slog.Any("error", err))
		hs.Close()
	}
	<-errc
	return nil
}

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAuth
)

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID).(string)
	return id
}

// wrap turns a route into an http.Handler: request id, body limit,
// authentication, panic recovery and error rendering happen here and only
// here.
func (s *Server) wrap(rt route) http.Handler {
	limit := s.cfg.MaxBody
	if rt.upload {
		limit = s.cfg.MaxUpload
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.reqPrefix + "-" + strconv.FormatUint(s.reqSeq.Add(1), 36)
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), ctxRequestID, id)
		r = r.WithContext(ctx)
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panic", slog.String("request_id", id), slog.String("path", r.URL.Path),
					slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				s.renderError(w, r, rt.fam, fmt.Errorf("panic: %v", p))
			}
		}()
		if rt.auth == authBearer {
			a, err := s.bearer(r)
			if err != nil {
				s.renderError(w, r, rt.fam, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxAuth, a))
		}
		if err := rt.h(w, r); err != nil {
			s.renderError(w, r, rt.fam, err)
		}
	})
}

// notFound answers paths and methods no route matches.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	fam := famPlain
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
		fam = famJSON
	}
	err := errf(http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	for _, rt := range s.routes {
		if rt.matchesPath(r.URL.Path) {
			err = errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path)
			w.Header().Add("Allow", rt.method)
		}
	}
	s.renderError(w, r, fam, err)
}
