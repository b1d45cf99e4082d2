package sim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
	"github.com/warthog618/sms/encoding/ucs2"
)

// errPanic reports a panic of the PDU library on hostile input.
var errPanic = errors.New("pdu library panicked")

// safely runs f and turns a panic into an error: the PDU library indexes
// slices with lengths taken from the PDU and can panic on crafted input,
// and the sim must never crash (SPEC S7).
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return f()
}

// splitPDU splits the hex of a PDU-mode PDU (TS 27.005 §3.1: SMSC address
// octets then the TPDU) into the SMSC address and the TPDU bytes.
func splitPDU(hexPDU string) (smsc string, tp []byte, err error) {
	raw, err := hex.DecodeString(hexPDU)
	if err != nil {
		return "", nil, fmt.Errorf("sim: pdu hex: %w", err)
	}
	if len(raw) < 2 {
		return "", nil, errors.New("sim: pdu too short")
	}
	n := int(raw[0]) + 1
	if n > len(raw)-1 {
		return "", nil, fmt.Errorf("sim: smsc length %d exceeds the pdu", raw[0])
	}
	if n > 1 {
		var a pdumode.SMSCAddress
		if err := safely(func() error { _, err := a.UnmarshalBinary(raw[:n]); return err }); err != nil {
			return "", nil, fmt.Errorf("sim: smsc address: %w", err)
		}
		smsc = a.Number()
	}
	return smsc, raw[n:], nil
}

// encodingName names a TP-DCS alphabet (TS 23.038 §4).
func encodingName(a tpdu.Alphabet) string {
	switch a {
	case tpdu.AlphaUCS2:
		return "ucs2"
	case tpdu.Alpha8Bit:
		return "8bit"
	default:
		return "gsm7"
	}
}

// decodeSubmit decodes an SMS-SUBMIT TPDU (TS 23.040 §9.2.2.2) into a
// record; it fails when the TPDU is not a well-formed SMS-SUBMIT.
func decodeSubmit(tp []byte) (Submitted, *tpdu.TPDU, error) {
	var t *tpdu.TPDU
	err := safely(func() error {
		var err error
		t, err = sms.Unmarshal(tp, sms.AsMO)
		return err
	})
	fillBits := false
	if err != nil {
		// Some encoders leave garbage in the fill bits after the last
		// septet; TS 23.040 §9.2.3.16 makes them zero but a network does not
		// read them, so the sim accepts such a PDU (and says so).
		if fixed, ok := zeroFillBits(tp); ok {
			err = safely(func() error {
				var err error
				t, err = sms.Unmarshal(fixed, sms.AsMO)
				return err
			})
			fillBits = err == nil
		}
	}
	if err != nil {
		return Submitted{}, nil, fmt.Errorf("sim: decode sms-submit: %w", err)
	}
	if t.SmsType() != tpdu.SmsSubmit {
		return Submitted{}, nil, fmt.Errorf("sim: tpdu is %s, not SMS-SUBMIT", t.SmsType())
	}
	alpha, err := t.Alphabet()
	if err != nil {
		return Submitted{}, nil, fmt.Errorf("sim: tp-dcs %#02x: %w", byte(t.DCS), err)
	}
	if t.DA.Addr == "" {
		return Submitted{}, nil, errors.New("sim: empty destination address")
	}
	s := Submitted{
		Destination:           t.DA.Number(),
		Encoding:              encodingName(alpha),
		DCS:                   byte(t.DCS),
		PID:                   t.PID,
		Class:                 -1,
		StatusReportRequested: t.FirstOctet.SRR(),
		RejectDuplicates:      t.FirstOctet.RD(),
		ValidityFormat:        t.FirstOctet.VPF().String(),
		ValidityPeriod:        t.VP.Duration,
	}
	if c, err := t.DCS.Class(); err == nil && c != tpdu.MClassUnknown {
		s.Class = int(c)
	}
	if len(t.UDH) > 0 {
		if b, err := t.UDH.MarshalBinary(); err == nil {
			s.UDH = strings.ToUpper(hex.EncodeToString(b))
		}
		if total, seq, ref, ok := t.UDH.ConcatInfo8(); ok {
			s.ConcatRefBits, s.ConcatRef, s.ConcatSeq, s.ConcatTotal = 8, ref, seq, total
		} else if total, seq, ref, ok := t.UDH.ConcatInfo16(); ok {
			s.ConcatRefBits, s.ConcatRef, s.ConcatSeq, s.ConcatTotal = 16, ref, seq, total
		}
	}
	if fillBits {
		s.DecodeError = "non-zero fill bits after the last septet"
	}
	if alpha == tpdu.Alpha8Bit {
		s.Data = append([]byte(nil), t.UD...)
		return s, t, nil
	}
	if err := safely(func() error {
		b, err := sms.Decode([]*tpdu.TPDU{t})
		s.Text = string(b)
		return err
	}); err != nil {
		s.DecodeError = err.Error()
	}
	return s, t, nil
}

// zeroFillBits returns a copy of a 7-bit TPDU with the unused high bits of
// its last octet cleared. The user data is at the end of the TPDU, so the
// TP-UDL is the octet before the (UDL*7+7)/8 last octets; every consistent
// candidate is tried from the longest.
func zeroFillBits(tp []byte) ([]byte, bool) {
	for udl := 160; udl >= 1; udl-- {
		n := (udl*7 + 7) / 8
		i := len(tp) - n - 1
		used := (udl * 7) % 8
		if i < 2 || int(tp[i]) != udl || used == 0 {
			continue
		}
		last := tp[len(tp)-1]
		if masked := last & (1<<used - 1); masked != last {
			fixed := append([]byte(nil), tp...)
			fixed[len(fixed)-1] = masked
			return fixed, true
		}
	}
	return nil, false
}

// address builds a TP address (TS 23.040 §9.1.2.5) from a phone number or an
// alphanumeric sender: "+..." is international (TOA 0x91), digits alone are
// unknown type (0x81), anything else is alphanumeric (0xD0).
func address(s string) tpdu.Address {
	digits := strings.TrimPrefix(s, "+")
	allDigits := digits != ""
	for _, r := range digits {
		if !unicode.IsDigit(r) || r > '9' {
			allDigits = false
		}
	}
	switch {
	case allDigits && strings.HasPrefix(s, "+"):
		return tpdu.Address{TOA: 0x91, Addr: digits}
	case allDigits:
		return tpdu.Address{TOA: 0x81, Addr: digits}
	default:
		return tpdu.Address{TOA: 0xD0, Addr: s}
	}
}

// smscPrefix encodes the SMSC address octets put in front of MT PDUs
// (TS 27.005 §3.1 <pdu>); "" gives the empty address "00".
func smscPrefix(smsc string) ([]byte, error) {
	if smsc == "" {
		return []byte{0}, nil
	}
	a := pdumode.SMSCAddress{Address: address(smsc)}
	if a.TOA == 0xD0 {
		return nil, fmt.Errorf("sim: smsc %q is not a number", smsc)
	}
	b, err := a.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sim: smsc %q: %w", smsc, err)
	}
	return b, nil
}

// mtPDU is an MT PDU ready for +CMT/+CDS/+CMGR: hex with SMSC prefix and the
// TPDU length that goes in <length>.
type mtPDU struct {
	hex     string
	tpduLen int
	class   int // TP-DCS class, -1 when none
	report  bool
}

func newMTPDU(smsc []byte, tp []byte, class int, report bool) mtPDU {
	b := append(append([]byte(nil), smsc...), tp...)
	return mtPDU{hex: strings.ToUpper(hex.EncodeToString(b)), tpduLen: len(tp), class: class, report: report}
}

// concatCounter hands a fixed concatenation reference to tpdu.Segment.
type concatCounter int

func (c concatCounter) Count() int { return int(c) }

// buildDeliver builds the SMS-DELIVER parts (TS 23.040 §9.2.2.1) of text
// from the sender. The alphabet is chosen by content (GSM 7-bit default
// alphabet with its extension table, else UCS-2). tpdu.Segment is used
// directly rather than sms.Encoder because only it offers 16-bit references.
func buildDeliver(from, text string, ref int, smsc []byte, opts DeliverOptions, now time.Time) ([]mtPDU, error) {
	if text == "" {
		return nil, errors.New("sim: empty text")
	}
	oa := address(from)
	if oa.Addr == "" {
		return nil, errors.New("sim: empty sender")
	}
	scts := opts.SCTS
	if scts.IsZero() {
		scts = now
	}
	t := tpdu.TPDU{OA: oa, SCTS: tpdu.Timestamp{Time: scts.Truncate(time.Second)}}
	if err := t.SetSmsType(tpdu.SmsDeliver); err != nil {
		return nil, fmt.Errorf("sim: deliver template: %w", err)
	}
	// TP-MMS set means no more messages are waiting in the SMSC.
	t.FirstOctet |= tpdu.FoMMS
	ud, udh, alpha := tpdu.EncodeUserData([]byte(text))
	if opts.UCS2 && alpha != tpdu.AlphaUCS2 {
		ud, udh, alpha = ucs2.Encode([]rune(text)), nil, tpdu.AlphaUCS2
	}
	dcs, err := tpdu.DCS(0).WithAlphabet(alpha)
	if err != nil {
		return nil, fmt.Errorf("sim: dcs: %w", err)
	}
	class := -1
	if opts.Class0 {
		if dcs, err = dcs.WithClass(tpdu.MClass0); err != nil {
			return nil, fmt.Errorf("sim: dcs class 0: %w", err)
		}
		class = 0
	}
	t.SetDCS(byte(dcs))
	if udh != nil {
		t.SetUDH(udh)
	}
	segOpts := []tpdu.SegmentationOption{tpdu.WithConcatRef(concatCounter(ref))}
	if opts.Ref16 {
		segOpts = append(segOpts, tpdu.With16BitConcatRef)
	}
	var parts []tpdu.TPDU
	if err := safely(func() error { parts = t.Segment(ud, segOpts...); return nil }); err != nil {
		return nil, fmt.Errorf("sim: segment: %w", err)
	}
	out := make([]mtPDU, 0, len(parts))
	for i := range parts {
		b, err := parts[i].MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("sim: marshal part %d: %w", i+1, err)
		}
		out = append(out, newMTPDU(smsc, b, class, false))
	}
	return out, nil
}

// buildStatusReport builds the SMS-STATUS-REPORT (TS 23.040 §9.2.2.3) for
// a submit: TP-MR, TP-RA (the submit's destination), TP-SCTS (when the SMSC
// took it), TP-DT (discharge time) and TP-ST; no optional fields.
func buildStatusReport(mr int, recipient tpdu.Address, scts, dt time.Time, st byte, smsc []byte) (mtPDU, error) {
	t := tpdu.TPDU{
		MR:   byte(mr),
		RA:   recipient,
		SCTS: tpdu.Timestamp{Time: scts.Truncate(time.Second)},
		DT:   tpdu.Timestamp{Time: dt.Truncate(time.Second)},
		ST:   st,
	}
	if err := t.SetSmsType(tpdu.SmsStatusReport); err != nil {
		return mtPDU{}, fmt.Errorf("sim: status report template: %w", err)
	}
	t.FirstOctet |= tpdu.FoMMS
	b, err := t.MarshalBinary()
	if err != nil {
		return mtPDU{}, fmt.Errorf("sim: marshal status report: %w", err)
	}
	return newMTPDU(smsc, b, -1, true), nil
}

// parseMTPDU accepts any hex PDU with its SMSC prefix for DeliverPDU: the
// TPDU need not decode (drivers must survive bad PDUs), but its class and
// type are taken when it does, to route it per +CNMI.
func parseMTPDU(hexPDU string) (mtPDU, error) {
	hexPDU = strings.TrimSpace(hexPDU)
	raw, err := hex.DecodeString(hexPDU)
	if err != nil {
		return mtPDU{}, fmt.Errorf("sim: pdu hex: %w", err)
	}
	if len(raw) < 2 || int(raw[0])+1 >= len(raw) {
		return mtPDU{}, errors.New("sim: pdu shorter than its smsc prefix plus one octet")
	}
	n := int(raw[0]) + 1
	p := newMTPDU(raw[:n], raw[n:], -1, false)
	_ = safely(func() error {
		t, err := sms.Unmarshal(raw[n:], sms.AsMT)
		if err != nil {
			return err
		}
		p.report = t.SmsType() == tpdu.SmsStatusReport
		if c, err := t.DCS.Class(); err == nil && c != tpdu.MClassUnknown && !p.report {
			p.class = int(c)
		}
		return nil
	})
	return p, nil
}

// joinText decodes the parts of a message together, so that a character
// split across two parts (which a correct encoder never does) still
// decodes; 8-bit messages have no text.
func joinText(parts []Submitted) (string, string) {
	tps := make([]*tpdu.TPDU, 0, len(parts))
	for _, s := range parts {
		if s.Encoding == "8bit" {
			return "", ""
		}
		_, tp, err := splitPDU(s.PDU)
		if err != nil {
			return "", err.Error()
		}
		_, t, err := decodeSubmit(tp)
		if err != nil {
			return "", err.Error()
		}
		tps = append(tps, t)
	}
	var text string
	err := safely(func() error {
		b, err := sms.Decode(tps)
		text = string(b)
		return err
	})
	if err != nil {
		return text, err.Error()
	}
	return text, ""
}
