package pdu

import (
	"errors"
	"time"
)

// Type is the TP-MTI message type (TS 23.040 §9.2.3.1).
type Type string

// The three message types gsmbox meets.
const (
	Deliver      Type = "SMS-DELIVER"
	Submit       Type = "SMS-SUBMIT"
	StatusReport Type = "SMS-STATUS-REPORT"
)

// Concat is the concatenated short message information element
// (TS 23.040 §9.2.3.24.1 for 8-bit refs, §9.2.3.24.8 for 16-bit refs).
type Concat struct {
	Ref, RefBits, Total, Seq int // RefBits is 8 or 16
}

// Message is a decoded TPDU of any of the three types.
type Message struct {
	Type Type
	// SMSC is the service centre address ("+..." when international), set
	// only when the input carried one.
	SMSC string
	// Address is the originator (DELIVER), destination (SUBMIT) or recipient
	// (STATUS-REPORT): "+" prefix when the TON is international, decoded text
	// when alphanumeric (TS 23.040 §9.1.2.5).
	Address    string
	AddressTON int       // the whole type-of-address octet, e.g. 0x91
	SCTS       time.Time // service centre time stamp, in the PDU's own zone offset
	PID        byte      // TP-PID
	Encoding   Encoding
	Class      int    // message class 0-3 from TP-DCS, -1 when none
	Text       string // decoded text; "" for 8-bit data
	Data       []byte // raw user data (without UDH) for 8-bit data
	Concat     *Concat
	MR         int       // TP-MR, SUBMIT and STATUS-REPORT
	Discharge  time.Time // TP-DT, STATUS-REPORT
	Status     byte      // TP-ST, STATUS-REPORT
	// Incomplete is set on a message the Reassembler built from some parts
	// only, after its timeout (SPEC P4).
	Incomplete bool
}

// StatusClass is the category of a TP-ST value (TS 23.040 §9.2.3.15).
type StatusClass string

// TP-ST categories, by value range.
const (
	StatusDelivered    StatusClass = "delivered"                     // 0x00-0x1F: transaction completed
	StatusPending      StatusClass = "temporary-error-still-trying"  // 0x20-0x3F: SC still trying
	StatusFailed       StatusClass = "permanent-error"               // 0x40-0x5F: SC gave up, permanent error
	StatusFailedNoMore StatusClass = "temporary-error-no-more-tries" // 0x60-0x7F: temporary error, SC stopped trying
)

// StatusCategory classifies TP-ST per TS 23.040 §9.2.3.15.
func StatusCategory(st byte) StatusClass {
	switch {
	case st < 0x20:
		return StatusDelivered
	case st < 0x40:
		return StatusPending
	case st < 0x60:
		return StatusFailed
	default:
		return StatusFailedNoMore
	}
}

// Decode decodes one TPDU; withSMSC says whether raw starts with the SMSC
// address field, as in +CMGR/+CMGL/+CMT output (TS 27.005 §3.1).
func Decode(raw []byte, withSMSC bool) (*Message, error) {
	return nil, errors.New("pdu: not implemented yet")
}

// DecodeHex decodes a hex PDU as a modem prints it. It tolerates lowercase,
// surrounding quotes and spaces, and trailing 0xFF padding after the TPDU.
func DecodeHex(s string, withSMSC bool) (*Message, error) {
	return nil, errors.New("pdu: not implemented yet")
}
