package pdu

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/warthog618/sms/encoding/tpdu"
)

// ErrTooLong is returned by EncodeSubmit when the text needs more parts than
// SubmitOptions.MaxParts allows.
var ErrTooLong = errors.New("pdu: text needs too many parts")

// DefaultMaxParts is the part limit when SubmitOptions.MaxParts is 0
// (SPEC P2: 8 parts, 1224 GSM characters).
const DefaultMaxParts = 8

// Validity bounds for SMS-SUBMIT (SPEC M4).
const (
	MinValidity = time.Hour
	MaxValidity = 72 * time.Hour
)

// maxAddressDigits is the longest TP-DA: 10 octets of semi-octets
// (TS 23.040 §9.1.2.5).
const maxAddressDigits = 20

// SubmitOptions tunes EncodeSubmit.
type SubmitOptions struct {
	StatusReport bool // TP-SRR (TS 23.040 §9.2.3.5)
	Flash        bool // message class 0 in TP-DCS (TS 23.038 §4)
	// Validity is the relative TP-VP (TS 23.040 §9.2.3.12.1). 0 means no
	// TP-VP (the SMSC's default applies). Otherwise it is clamped to
	// MinValidity..MaxValidity (SPEC M4: 1 hour to 3 days) and rounded down
	// to what TP-VP can express (5-minute steps up to 12 h, 30-minute steps
	// up to 24 h, whole days beyond). A negative value is an error.
	Validity time.Duration
	// MaxParts caps the number of parts: 0 means DefaultMaxParts; a text
	// needing more returns ErrTooLong. At most 255 (the concatenation IE
	// counts parts in one octet).
	MaxParts      int
	Transliterate bool // see CountOptions.Transliterate
}

// Part is one SMS-SUBMIT TPDU ready for AT+CMGS (TS 27.005 §3.5.1): the modem
// line is "00"+hex(TPDU) (empty SMSC, so the SIM's one is used) and the +CMGS
// length is len(TPDU).
type Part struct {
	Seq, Total int // 1-based
	TPDU       []byte
}

// EncodeSubmit encodes text to dest as SMS-SUBMIT TPDUs (TS 23.040 §9.2.2.2).
//
// dest is E.164 with a leading "+" (TON international, TS 23.040 §9.1.2.5)
// or national digits (TON unknown); at most 20 digits. The text is GSM 7-bit
// when every character is in GSM 03.38, UCS-2 otherwise; it is split as
// CountText counts it, never cutting an escape sequence or a surrogate pair.
//
// ref is the concatenation reference, taken by the caller from its persisted
// counter (SPEC P6); it is used only when the text needs several parts, in
// an 8-bit reference UDH (IEI 0x00, TS 23.040 §9.2.3.24.1). TP-MR is 0: the
// modem assigns the real one and returns it in +CMGS.
func EncodeSubmit(dest, text string, ref byte, opts SubmitOptions) ([]Part, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("pdu: encode submit: text is not valid UTF-8")
	}
	da, err := destAddress(dest)
	if err != nil {
		return nil, err
	}
	maxParts := opts.MaxParts
	switch {
	case maxParts == 0:
		maxParts = DefaultMaxParts
	case maxParts < 0 || maxParts > 255:
		return nil, fmt.Errorf("pdu: encode submit: MaxParts %d outside 0..255", opts.MaxParts)
	}
	if opts.Validity < 0 {
		return nil, fmt.Errorf("pdu: encode submit: negative validity %v", opts.Validity)
	}

	text, enc := chooseText(text, opts.Transliterate)
	chunks := split(text, enc)
	if len(chunks) > maxParts {
		return nil, fmt.Errorf("%w: %d parts, at most %d", ErrTooLong, len(chunks), maxParts)
	}

	t, err := tpdu.NewSubmit()
	if err != nil {
		return nil, fmt.Errorf("pdu: encode submit: %w", err)
	}
	t.DA = da
	dcs := byte(0x00) // TS 23.038 §4 group 00xx, GSM 7-bit, no class
	if enc == UCS2 {
		dcs = 0x08
	}
	if opts.Flash {
		dcs |= 0x10 // class meaningful, class 0
	}
	t.SetDCS(dcs)
	if opts.StatusReport {
		t.FirstOctet |= tpdu.FoSRR
	}
	if opts.Validity > 0 {
		var vp tpdu.ValidityPeriod
		vp.SetRelative(min(max(opts.Validity, MinValidity), MaxValidity))
		t.SetVP(vp)
	}

	parts := make([]Part, len(chunks))
	for i, c := range chunks {
		if len(chunks) > 1 {
			t.SetUDH(tpdu.UserDataHeader{{ID: 0x00, Data: []byte{ref, byte(len(chunks)), byte(i + 1)}}})
		}
		if enc == GSM7 {
			t.UD = appendSeptets(make([]byte, 0, gsm7Single), c)
		} else {
			t.UD = appendUCS2(make([]byte, 0, 2*ucs2Single), c)
		}
		b, err := t.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("pdu: encode submit part %d/%d: %w", i+1, len(chunks), err)
		}
		parts[i] = Part{Seq: i + 1, Total: len(chunks), TPDU: b}
	}
	return parts, nil
}

// split cuts text into the parts CountText counts. An empty text is one
// empty part: TS 23.040 allows TP-UDL 0.
func split(text string, enc Encoding) []string {
	single, multi := limits(enc)
	if end, _ := fill(text, 0, enc, single); end == len(text) {
		return []string{text}
	}
	var chunks []string
	for start := 0; start < len(text); {
		end, _ := fill(text, start, enc, multi)
		chunks = append(chunks, text[start:end])
		start = end
	}
	return chunks
}

// appendSeptets appends the unpacked GSM 7-bit septets of s, which must be
// all GSM 03.38; tpdu packs them on marshalling.
func appendSeptets(dst []byte, s string) []byte {
	var buf [2]byte
	for _, r := range s {
		dst = append(dst, gsmAlphabet.septets(r, &buf)...)
	}
	return dst
}

// appendUCS2 appends s as UTF-16BE.
func appendUCS2(dst []byte, s string) []byte {
	for _, r := range s {
		if r > 0xFFFF {
			r1, r2 := utf16.EncodeRune(r)
			dst = append(dst, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
			continue
		}
		dst = append(dst, byte(r>>8), byte(r))
	}
	return dst
}

// destAddress builds TP-DA (TS 23.040 §9.1.2.5): "+digits" is international
// (TOA 0x91), bare digits are TON unknown / ISDN plan (TOA 0x81). The
// library's tpdu.FromNumber marks every number international, which would
// turn a national "0612345678" into "+612345678", so TOA is set here.
func destAddress(dest string) (tpdu.Address, error) {
	digits, toa := dest, byte(0x81)
	if len(dest) > 0 && dest[0] == '+' {
		digits, toa = dest[1:], 0x91
	}
	if len(digits) == 0 || len(digits) > maxAddressDigits {
		return tpdu.Address{}, fmt.Errorf("pdu: destination %q: want 1 to %d digits", dest, maxAddressDigits)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return tpdu.Address{}, fmt.Errorf("pdu: destination %q: %q is not a digit", dest, digits[i])
		}
	}
	return tpdu.Address{TOA: toa, Addr: digits}, nil
}
