package pdu

import (
	"errors"
	"time"
)

// ErrTooLong is returned by EncodeSubmit when the text needs more parts than
// SubmitOptions.MaxParts allows.
var ErrTooLong = errors.New("pdu: text needs too many parts")

// DefaultMaxParts is the part limit when SubmitOptions.MaxParts is 0
// (SPEC P2: 8 parts, 1224 GSM characters).
const DefaultMaxParts = 8

// SubmitOptions tunes EncodeSubmit.
type SubmitOptions struct {
	StatusReport bool // TP-SRR (TS 23.040 §9.2.3.5)
	Flash        bool // message class 0 in TP-DCS (TS 23.038 §4)
	// Validity is the relative TP-VP (TS 23.040 §9.2.3.12.1). 0 means none;
	// otherwise it is clamped to 1 hour .. 3 days (SPEC M4).
	Validity time.Duration
	// MaxParts caps the number of parts: 0 means DefaultMaxParts; a text
	// needing more returns ErrTooLong.
	MaxParts      int
	Transliterate bool // see Transliterate
}

// Part is one SMS-SUBMIT TPDU ready for AT+CMGS (TS 27.005 §3.5.1): the modem
// line is "00"+hex(TPDU) (empty SMSC) and the +CMGS length is len(TPDU).
type Part struct {
	Seq, Total int
	TPDU       []byte
}

// EncodeSubmit encodes text to dest as SMS-SUBMIT TPDUs (TS 23.040 §9.2.2.2).
// dest is E.164 ("+33612345678") or national digits. ref is the
// concatenation reference, taken by the caller from its persisted counter
// (SPEC P6); it is used only when the text needs several parts (8-bit
// reference UDH, IEI 0x00, TS 23.040 §9.2.3.24.1).
func EncodeSubmit(dest, text string, ref byte, opts SubmitOptions) ([]Part, error) {
	return nil, errors.New("pdu: not implemented yet")
}
