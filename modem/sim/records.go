package sim

import (
	"slices"
	"time"
)

// Submitted is one SMS-SUBMIT accepted by +CMGS, decoded independently of
// gsmbox's own pdu package (TS 23.040 §9.2.2.2).
type Submitted struct {
	Time time.Time
	// MR is the TP-Message-Reference the modem assigned and answered in
	// +CMGS: <mr> (the modem overwrites the TE's value, TS 23.040 §9.2.3.6).
	MR int
	// PDU is the hex exactly as written by the TE, SMSC prefix included.
	PDU string
	// SMSC is the service centre used: the PDU's own, or +CSCA when the
	// PDU's SMSC field was empty ("00").
	SMSC        string
	Destination string
	// Text is this part's text; empty for 8-bit data (see Data).
	Text string
	// Data is this part's user data for 8-bit messages.
	Data []byte
	// Encoding is "gsm7", "ucs2" or "8bit" (from TP-DCS, TS 23.038 §4).
	Encoding string
	DCS      byte
	PID      byte
	// Class is the TP-DCS message class 0..3, or -1 when none is given.
	Class                 int
	StatusReportRequested bool
	RejectDuplicates      bool
	// ValidityPeriod is the relative or enhanced TP-VP; zero when absent or
	// absolute (see ValidityFormat).
	ValidityPeriod time.Duration
	// ValidityFormat is the TP-VPF name ("Not Present", "Relative", ...).
	ValidityFormat string
	// UDH is the hex of the user data header, empty when none.
	UDH string
	// ConcatRefBits is 8 or 16 for a part of a concatenated message
	// (TS 23.040 §9.2.3.24.1 and .8), 0 otherwise.
	ConcatRefBits int
	ConcatRef     int
	ConcatSeq     int
	ConcatTotal   int
	// DecodeError tells why Text could not be decoded on its own (for
	// instance half a surrogate pair); the part was still accepted, as the
	// network does not read the text.
	DecodeError string
}

// Message is the reassembled view of submitted parts: the parts of one
// concatenated message (same destination and reference) joined in sequence
// order, or a single-part message.
type Message struct {
	Destination   string
	Text          string
	Encoding      string
	ConcatRefBits int
	ConcatRef     int
	// Total is the number of parts announced in the UDH (1 when single).
	Total int
	// Parts holds the distinct parts received, in sequence order.
	Parts []Submitted
	// Duplicates counts parts sent again with identical content, which the
	// spec forbids (nothing sent twice).
	Duplicates int
	// Complete is true when every announced part arrived.
	Complete bool
	// DecodeError tells why the joined text could not be decoded.
	DecodeError string
}

// Stats are counters since New (they survive Unplug/Replug).
type Stats struct {
	Commands       int  // command lines executed
	Submitted      int  // SMS-SUBMITs accepted (+CMGS: <mr>)
	Rejected       int  // +CMGS answered with an error
	InjectedErrors int  // answers replaced by error injection
	Delivered      int  // MT messages handed over (+CMT or stored)
	Pending        int  // MT messages and reports held by the network now
	Redelivered    int  // MT deliveries retried after a missing +CNMA
	Acks           int  // accepted +CNMA
	StatusReports  int  // SMS-STATUS-REPORTs handed over
	Rings          int  // RING indications
	Unplugs        int  // Unplug calls
	StoredSIM      int  // slots used in "SM" now
	Dropped        int  // input bytes ignored while hung
	Panics         int  // bugs caught by the loop (tests require 0)
	Plugged        bool // the pty is present
	Hung           bool // the modem ignores its input
}

// DeliverOptions shape the SMS-DELIVER PDUs built by Deliver.
type DeliverOptions struct {
	// SCTS is the service centre time stamp; zero means now.
	SCTS time.Time
	// UCS2 forces UCS-2 even when the text fits the GSM 7-bit alphabet.
	UCS2 bool
	// Class0 makes a flash message (TP-DCS class 0).
	Class0 bool
	// Ref16 uses 16-bit concatenation references (IEI 08) instead of 8-bit.
	Ref16 bool
	// ConcatRef forces the concatenation reference; 0 takes the modem's
	// next one.
	ConcatRef int
	// Shuffle delivers the parts in a random order.
	Shuffle bool
	// DropPart (1-based) leaves that part out, as a network that lost it.
	DropPart int
	// SMSC is the service centre put in front of each PDU; empty uses the
	// modem's +CSCA.
	SMSC string
}

// Messages returns the reassembled view of Submitted: parts of one
// concatenated message (same destination, reference size and reference,
// TS 23.040 §9.2.3.24.1) joined in sequence order. A part whose sequence
// number is already taken with different content starts a new message, so
// two messages wrongly sharing a reference show up as two incomplete ones.
func (m *Modem) Messages() []Message {
	return reassemble(m.Submitted())
}

// reassemble groups submitted parts into messages, in order of first part.
func reassemble(parts []Submitted) []Message {
	type key struct {
		dest      string
		bits, ref int
		total     int
	}
	var msgs []*Message
	open := map[key]*Message{}
	for _, s := range parts {
		if s.ConcatRefBits == 0 || s.ConcatTotal <= 1 {
			msgs = append(msgs, &Message{Destination: s.Destination, Encoding: s.Encoding, Total: 1, Parts: []Submitted{s}})
			continue
		}
		k := key{s.Destination, s.ConcatRefBits, s.ConcatRef, s.ConcatTotal}
		msg := open[k]
		if msg != nil {
			if i := slices.IndexFunc(msg.Parts, func(q Submitted) bool { return q.ConcatSeq == s.ConcatSeq }); i >= 0 {
				if sameContent(msg.Parts[i], s) {
					msg.Duplicates++
					continue
				}
				// The reference is reused by another message.
				msg = nil
			}
		}
		if msg == nil {
			msg = &Message{Destination: s.Destination, Encoding: s.Encoding, ConcatRefBits: s.ConcatRefBits,
				ConcatRef: s.ConcatRef, Total: s.ConcatTotal}
			msgs = append(msgs, msg)
			open[k] = msg
		}
		i := len(msg.Parts)
		for i > 0 && msg.Parts[i-1].ConcatSeq > s.ConcatSeq {
			i--
		}
		msg.Parts = append(msg.Parts, Submitted{})
		copy(msg.Parts[i+1:], msg.Parts[i:])
		msg.Parts[i] = s
	}
	out := make([]Message, 0, len(msgs))
	for _, msg := range msgs {
		msg.Complete = len(msg.Parts) == msg.Total
		msg.Text, msg.DecodeError = joinText(msg.Parts)
		out = append(out, *msg)
	}
	return out
}

// sameContent compares two parts ignoring the MR, which the modem assigns.
func sameContent(a, b Submitted) bool {
	return a.Destination == b.Destination && a.UDH == b.UDH && a.Text == b.Text &&
		string(a.Data) == string(b.Data) && a.DCS == b.DCS
}
