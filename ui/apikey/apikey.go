// Package apikey makes and checks the bearer keys of gsmbox's HTTP APIs
// (SPEC A1, S2): a key is shown once when it is created and only its SHA-256
// is stored.
//
// SHA-256 rather than bcrypt or argon2id: a key is 32 random bytes (256 bits
// of entropy), so nobody can brute-force it from its hash whatever the hash
// costs, and a slow KDF would only add milliseconds to every API request (the
// box must enqueue 5 000 sends/s, SPEC §12). A fast hash also lets the store
// find a key by an indexed equality lookup instead of trying every row. Slow
// hashes protect low-entropy secrets such as passwords; keys are not that.
//
// The package is shared by the HTTP server and by `gsmbox apikey` (SPEC O1),
// which runs without the daemon.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"gsmbox/store"
)

// Scheme starts every key, so a key pasted in a config file or a log is
// recognisable (and secret scanners can match it).
const Scheme = "gsm_"

// keyBytes is the entropy of a key.
const keyBytes = 32

// prefixLen is how much of a key lists show (the scheme and 8 characters):
// enough to tell keys apart, far too little to guess the rest.
const prefixLen = len(Scheme) + 8

// ErrInvalid is returned when a key is unknown, revoked or malformed.
var ErrInvalid = errors.New("apikey: invalid or revoked key")

// Generate returns a new random key, its hash and its displayable prefix.
func Generate() (key string, hash []byte, prefix string, err error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, "", fmt.Errorf("apikey: random: %w", err)
	}
	key = Scheme + base64.RawURLEncoding.EncodeToString(b)
	return key, Hash(key), key[:prefixLen], nil
}

// Hash is what the store keeps of a key.
func Hash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// Create makes a key named name for accountID (store.DefaultAccount when 0),
// stores its hash and returns the key itself, which cannot be recovered
// later, with the stored row.
func Create(ctx context.Context, st *store.Store, accountID int64, name string, now time.Time) (string, store.APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", store.APIKey{}, errors.New("apikey: a key needs a name")
	}
	if accountID == 0 {
		accountID = store.DefaultAccount
	}
	if _, err := st.Account(ctx, accountID); err != nil {
		return "", store.APIKey{}, fmt.Errorf("apikey: create %q: %w", name, err)
	}
	key, hash, prefix, err := Generate()
	if err != nil {
		return "", store.APIKey{}, err
	}
	k := store.APIKey{AccountID: accountID, Name: name, Prefix: prefix, Hash: hash, CreatedAt: now.UTC()}
	id, err := st.CreateAPIKey(ctx, k, now)
	if err != nil {
		return "", store.APIKey{}, fmt.Errorf("apikey: create %q: %w", name, err)
	}
	k.ID = id
	k.Hash = nil
	return key, k, nil
}

// Lookup returns the live (unrevoked) key row for key, or ErrInvalid.
func Lookup(ctx context.Context, st *store.Store, key string) (store.APIKey, error) {
	// Reject obvious garbage without touching the database, so a flood of
	// junk credentials costs nothing.
	if len(key) < prefixLen || len(key) > 256 {
		return store.APIKey{}, ErrInvalid
	}
	k, err := st.APIKeyByHash(ctx, Hash(key))
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, ErrInvalid
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("apikey: lookup: %w", err)
	}
	return k, nil
}
