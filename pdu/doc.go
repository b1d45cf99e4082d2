// Package pdu holds gsmbox's SMS encoding rules (SPEC P1-P4, P6): choosing
// GSM 03.38 7-bit or UCS-2, counting characters and parts, splitting long
// texts into concatenated SMS-SUBMIT TPDUs, decoding SMS-DELIVER, SMS-SUBMIT
// and SMS-STATUS-REPORT TPDUs (3GPP TS 23.040 §9.2.2), and reassembling
// concatenated messages.
//
// Every function is pure: no I/O, no clock (times are passed in), no logging.
// The bit-level work is done by github.com/warthog618/sms and its encoding
// packages; this package adds the policy the library leaves open: a
// caller-supplied concatenation reference, part boundaries that never cut an
// escape sequence or a surrogate pair, strict length checks on decode, and
// reassembly that survives restarts through a PartStore.
package pdu
