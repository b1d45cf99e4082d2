package pdu

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// MissingMark stands in the text of an incomplete message (see
// Reassembler.Expire) for each run of parts that never arrived.
const MissingMark = "[...]"

// PendingPart is one received part of a concatenated message waiting for its
// siblings (SPEC P4).
type PendingPart struct {
	Key        string // ConcatKey of the message
	Seq, Total int
	Received   time.Time
	TPDU       []byte // decodable with Decode(TPDU, false)
}

// PartStore keeps pending parts; the store persists them so that reassembly
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

// ConcatKey identifies one concatenated message: type, address (the
// originator of an SMS-DELIVER), reference size, reference and part count,
// so that two messages from one phone with different references never
// merge. It is "" for a message that is not concatenated.
func ConcatKey(m *Message) string {
	if m == nil || m.Concat == nil {
		return ""
	}
	c := m.Concat
	return fmt.Sprintf("%s|%s|%d|%d|%d", m.Type, m.Address, c.RefBits, c.Ref, c.Total)
}

// Reassembler joins the parts of concatenated messages (TS 23.040
// §9.2.3.24.1). It keeps no state of its own: everything pending lives in
// the PartStore, so it is safe for concurrent use when the store is.
type Reassembler struct {
	ps PartStore
}

// NewReassembler returns a Reassembler keeping pending parts in ps.
func NewReassembler(ps PartStore) *Reassembler {
	return &Reassembler{ps: ps}
}

// Add takes a decoded message and its TPDU (without SMSC, as Decode(tpdu,
// false) reads it). It returns m itself when m is not concatenated (or is a
// 1-part "concatenation"), the whole message when m brings the last missing
// part, and nil while parts are missing. Parts may come in any order; a
// duplicate part is stored once. A duplicate arriving after its message was
// completed starts a new pending message that Expire later returns as
// incomplete: inbound de-duplication (SPEC I9) is the caller's.
//
// The rebuilt message takes its header fields (address, SCTS, PID, ...) from
// the lowest part received, its text from all parts in order; Concat keeps
// the reference and total with Seq 0.
func (r *Reassembler) Add(m *Message, tpdu []byte, now time.Time) (*Message, error) {
	if m == nil {
		return nil, errors.New("pdu: reassemble: nil message")
	}
	if m.Concat == nil || m.Concat.Total == 1 {
		return m, nil
	}
	key := ConcatKey(m)
	parts, err := r.ps.PutPart(PendingPart{
		Key:      key,
		Seq:      m.Concat.Seq,
		Total:    m.Concat.Total,
		Received: now,
		TPDU:     slices.Clone(tpdu),
	})
	if err != nil {
		return nil, fmt.Errorf("pdu: reassemble %s: store part %d: %w", key, m.Concat.Seq, err)
	}
	if !complete(parts, m.Concat.Total) {
		return nil, nil
	}
	whole, err := join(parts)
	if err != nil {
		return nil, fmt.Errorf("pdu: reassemble %s: %w", key, err)
	}
	if err := r.ps.DeleteParts(key); err != nil {
		return nil, fmt.Errorf("pdu: reassemble %s: delete parts: %w", key, err)
	}
	return whole, nil
}

// Expire returns the messages whose first part arrived more than maxAge
// before now, built from the parts that arrived, with Incomplete set, and
// forgets their parts (SPEC P4). In the text, each run of missing parts is
// replaced by MissingMark ("[...]"); 8-bit data is the arrived parts' data
// joined, with nothing marking the gaps. A message none of whose stored
// parts decodes is dropped and reported in the returned error, after the
// other keys have been handled.
func (r *Reassembler) Expire(now time.Time, maxAge time.Duration) ([]*Message, error) {
	keys, err := r.ps.StaleKeys(now.Add(-maxAge))
	if err != nil {
		return nil, fmt.Errorf("pdu: expire: list stale parts: %w", err)
	}
	var out []*Message
	var errs []error
	for _, key := range keys {
		parts, err := r.ps.Parts(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("pdu: expire %s: %w", key, err))
			continue
		}
		var m *Message
		if len(parts) > 0 {
			if m, err = join(parts); err != nil {
				errs = append(errs, fmt.Errorf("pdu: expire %s: %w", key, err))
			}
		}
		if err := r.ps.DeleteParts(key); err != nil {
			errs = append(errs, fmt.Errorf("pdu: expire %s: delete parts: %w", key, err))
			continue
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out, errors.Join(errs...)
}

// complete reports whether parts hold every Seq from 1 to total.
func complete(parts []PendingPart, total int) bool {
	seen := make([]bool, total+1)
	n := 0
	for _, p := range parts {
		if p.Seq >= 1 && p.Seq <= total && !seen[p.Seq] {
			seen[p.Seq] = true
			n++
		}
	}
	return n == total
}

// join rebuilds a message from parts (ordered by Seq). Text is decoded across
// part boundaries: an escape or a surrogate pair that another phone's
// splitter cut in two is rejoined. A part that no longer decodes counts as
// missing. Incomplete is set when any Seq in 1..Total is missing.
func join(parts []PendingPart) (*Message, error) {
	var (
		base    *Message
		text    strings.Builder
		data    []byte
		carry   payload // an escape or high surrogate left at a part's end
		nextSeq = 1
		total   = parts[0].Total
		bad     []error
	)
	mark := func() {
		carry = payload{}
		text.WriteString(MissingMark)
	}
	for _, p := range parts {
		m, pl, err := decode(p.TPDU, false)
		if err != nil {
			bad = append(bad, fmt.Errorf("part %d: %w", p.Seq, err))
			continue
		}
		if base == nil {
			base = m
		}
		if p.Seq > nextSeq {
			mark()
		}
		nextSeq = p.Seq + 1
		switch pl.enc {
		case GSM7:
			s := append(carry.septets, pl.septets...)
			carry = payload{}
			if danglingEscape(s) {
				carry.septets = []byte{esc}
				s = s[:len(s)-1]
			}
			text.WriteString(decodeSeptets(s, pl.tables))
		case UCS2:
			o := append(carry.octets, pl.octets...)
			carry = payload{}
			if n := len(o); n >= 2 && o[n-2]&0xFC == 0xD8 {
				carry.octets = slices.Clone(o[n-2:])
				o = o[:n-2]
			}
			text.WriteString(decodeUCS2(o))
		default:
			data = append(data, pl.octets...)
		}
	}
	if base == nil {
		return nil, fmt.Errorf("no part decodes: %w", errors.Join(bad...))
	}
	if nextSeq <= total {
		mark()
	}
	// A dangling escape or high surrogate at the very end decodes as the
	// single-part decoder would read it.
	if len(carry.septets) > 0 {
		text.WriteString(decodeSeptets(carry.septets, gsmAlphabet.dec[0]))
	}
	if len(carry.octets) > 0 {
		text.WriteString(decodeUCS2(carry.octets))
	}
	c := *base.Concat
	c.Seq = 0
	base.Concat = &c
	base.Text = text.String()
	if base.Encoding == Data8 {
		base.Data = data
	}
	base.Incomplete = !complete(parts, total) || len(bad) > 0
	return base, nil
}

// danglingEscape reports whether s ends with an escape that lacks its second
// septet: an odd run of escapes at the end (an even run is escaped escapes).
func danglingEscape(s []byte) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == esc; i-- {
		n++
	}
	return n%2 == 1
}

// MemParts is an in-memory PartStore, for tests and a store-less demo; it
// loses everything on restart. It is safe for concurrent use.
type MemParts struct {
	mu    sync.Mutex
	parts map[string][]PendingPart
}

// NewMemParts returns an empty MemParts.
func NewMemParts() *MemParts {
	return &MemParts{parts: map[string][]PendingPart{}}
}

// PutPart implements PartStore; a second copy of (Key, Seq) is dropped, so
// the first arrival time counts.
func (s *MemParts) PutPart(p PendingPart) ([]PendingPart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.parts[p.Key]
	i, found := slices.BinarySearchFunc(ps, p.Seq, func(q PendingPart, seq int) int { return q.Seq - seq })
	if !found {
		p.TPDU = slices.Clone(p.TPDU)
		ps = slices.Insert(ps, i, p)
		s.parts[p.Key] = ps
	}
	return slices.Clone(ps), nil
}

// DeleteParts implements PartStore.
func (s *MemParts) DeleteParts(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.parts, key)
	return nil
}

// StaleKeys implements PartStore; keys come sorted.
func (s *MemParts) StaleKeys(before time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k, ps := range s.parts {
		first := ps[0].Received
		for _, p := range ps[1:] {
			if p.Received.Before(first) {
				first = p.Received
			}
		}
		if first.Before(before) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Parts implements PartStore.
func (s *MemParts) Parts(key string) ([]PendingPart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.parts[key]), nil
}
