package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"gsmbox/store"
	"gsmbox/ui/apikey"
)

// auth is who made a request: an API key and the account it is scoped to
// (SPEC A1, Q11).
type auth struct {
	Key     store.APIKey
	Account store.Account
}

// TopLevel reports whether the key's account is a top-level account, which
// sees the whole box (inbox, calls, modems, STOP list, every sub-account);
// a sub-account sees only its own messages, contacts and replies.
func (a auth) TopLevel() bool { return a.Account.ParentID == 0 }

func authFrom(r *http.Request) auth {
	a, _ := r.Context().Value(ctxAuth).(auth)
	return a
}

var errUnauthorized = errf(http.StatusUnauthorized, CodeUnauthorized, "missing, invalid or revoked API key")

// bearer authenticates "Authorization: Bearer <key>" (RFC 6750 §2.1).
func (s *Server) bearer(r *http.Request) (auth, error) {
	h := r.Header.Get("Authorization")
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return auth{}, errUnauthorized
	}
	return s.authKey(r.Context(), strings.TrimSpace(key))
}

// authKey checks an API key given by any API family (bearer header,
// sMsmode accessToken, URL2SMS key, SMStoB pass, Kannel password).
func (s *Server) authKey(ctx context.Context, key string) (auth, error) {
	if key == "" {
		return auth{}, errUnauthorized
	}
	a, err := s.keys.get(ctx, key)
	if errors.Is(err, apikey.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
		return auth{}, errUnauthorized
	}
	return a, err
}

// keyCacheTTL is how long a checked key is trusted without asking the
// database again. Revoking through this server takes effect at once (the
// cache is flushed); a revocation written by another process (gsmbox
// apikey revoke with the daemon running) within this delay.
const keyCacheTTL = 5 * time.Second

// touchEvery spaces the writes of a key's last-used time: a write per
// request would halve the API's throughput for a field shown to the minute.
const touchEvery = time.Minute

// keyCache remembers recently checked keys, so that the hot path of the
// API (5 000 sends/s, SPEC §12) costs a map lookup instead of two queries.
type keyCache struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedKey // by the key's hash
}

type cachedKey struct {
	a       auth
	until   time.Time
	touched time.Time
}

func newKeyCache(st *store.Store, now func() time.Time) *keyCache {
	return &keyCache{st: st, now: now, m: map[string]cachedKey{}}
}

func (c *keyCache) get(ctx context.Context, key string) (auth, error) {
	h := string(apikey.Hash(key))
	now := c.now()
	c.mu.Lock()
	ck, ok := c.m[h]
	c.mu.Unlock()
	if ok && now.Before(ck.until) {
		return ck.a, nil
	}
	k, err := apikey.Lookup(ctx, c.st, key)
	if err != nil {
		return auth{}, err
	}
	acct, err := c.st.Account(ctx, k.AccountID)
	if err != nil {
		return auth{}, err
	}
	a := auth{Key: k, Account: acct}
	touched := ck.touched
	if now.Sub(touched) >= touchEvery {
		if err := c.st.TouchAPIKey(ctx, k.ID, now); err != nil {
			return auth{}, err
		}
		touched = now
	}
	c.mu.Lock()
	if len(c.m) > 1024 {
		// Keys are few; a map this big means junk: start again.
		clear(c.m)
	}
	c.m[h] = cachedKey{a: a, until: now.Add(keyCacheTTL), touched: touched}
	c.mu.Unlock()
	return a, nil
}

// flush forgets every cached key (after a revocation or an account change).
func (c *keyCache) flush() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
