package pdu

import (
	"errors"
	"time"
)

// PendingPart is one received part of a concatenated message waiting for its
// siblings (SPEC P4).
type PendingPart struct {
	Key        string // ConcatKey of the message
	Seq, Total int
	Received   time.Time
	TPDU       []byte // decodable with Decode(TPDU, false)
}

// PartStore keeps pending parts, persisted by the store so reassembly
// survives restarts.
type PartStore interface {
	// PutPart stores p and returns every part now held for p.Key (p
	// included), ordered by Seq. Storing the same (Key, Seq) twice keeps one.
	PutPart(p PendingPart) ([]PendingPart, error)
	// DeleteParts forgets every part of key.
	DeleteParts(key string) error
	// StaleKeys returns the keys whose first part was received before t.
	StaleKeys(before time.Time) ([]string, error)
	// Parts returns the parts held for key, ordered by Seq.
	Parts(key string) ([]PendingPart, error)
}

// ConcatKey identifies one concatenated message: originator, reference,
// reference size and part count, so two messages from one phone with
// different references never merge.
func ConcatKey(m *Message) string {
	return ""
}

// Reassembler joins the parts of concatenated messages (TS 23.040
// §9.2.3.24.1).
type Reassembler struct {
	ps PartStore
}

// NewReassembler returns a Reassembler keeping pending parts in ps.
func NewReassembler(ps PartStore) *Reassembler {
	return &Reassembler{ps: ps}
}

// Add takes a decoded message and its TPDU (without SMSC). It returns the
// whole message when m is not concatenated or its last part arrived, nil
// while parts are missing.
func (r *Reassembler) Add(m *Message, tpdu []byte, now time.Time) (*Message, error) {
	return nil, errors.New("pdu: not implemented yet")
}

// Expire returns the messages whose first part arrived more than maxAge
// before now, built from the parts that arrived, with Incomplete set.
func (r *Reassembler) Expire(now time.Time, maxAge time.Duration) ([]*Message, error) {
	return nil, errors.New("pdu: not implemented yet")
}

// MemParts is an in-memory PartStore, for tests and a store-less demo. It is
// not safe for concurrent use.
type MemParts struct {
	parts map[string][]PendingPart
}

// NewMemParts returns an empty MemParts.
func NewMemParts() *MemParts {
	return &MemParts{parts: map[string][]PendingPart{}}
}
