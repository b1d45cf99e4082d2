// Package password hashes and checks the passwords of the box's users
// (SPEC S2) with bcrypt.
package password

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Cost is the bcrypt work factor: about 0.1 s on an amd64 core and 0.5 s on
// a Cortex-A7, slow enough against guessing, fast enough for a login.
const Cost = 11

// MinLength is the shortest password accepted, in characters.
const MinLength = 10

// ErrMismatch is returned by Check for a wrong password.
var ErrMismatch = errors.New("password: wrong password")

// Hash returns the bcrypt hash of pw after checking its length (bcrypt
// reads at most 72 bytes, so longer ones are refused rather than cut).
func Hash(pw string) (string, error) {
	if n := utf8.RuneCountInString(pw); n < MinLength {
		return "", fmt.Errorf("password: at least %d characters, got %d", MinLength, n)
	}
	if len(pw) > 72 {
		return "", errors.New("password: at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), Cost)
	if err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	return string(h), nil
}

// Check reports whether pw matches hash: nil, ErrMismatch, or an error for
// a hash that is not bcrypt.
func Check(hash, pw string) error {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return ErrMismatch
	}
	if err != nil {
		return fmt.Errorf("password: check: %w", err)
	}
	return nil
}
