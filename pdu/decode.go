package pdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/warthog618/sms/encoding/gsm7"
	"github.com/warthog618/sms/encoding/tpdu"
)

// ErrMalformed is wrapped by every error Decode and DecodeHex return for bad
// input (truncated PDU, inconsistent lengths, invalid fields).
var ErrMalformed = errors.New("pdu: malformed PDU")

// ErrUnsupported is wrapped by the error Decode returns for a well-formed
// PDU it cannot read: compressed user data (TS 23.042).
var ErrUnsupported = errors.New("pdu: unsupported PDU")

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
	Ref     int
	RefBits int // 8 or 16
	Total   int
	Seq     int // 1..Total; 0 on a message the Reassembler rebuilt
}

// Ports is the application port addressing IE (TS 23.040 §9.2.3.24.3 8-bit,
// §9.2.3.24.4 16-bit), used by WAP push, MMS notifications and the like.
type Ports struct {
	Dest, Src int
	Bits      int // 8 or 16
}

// Indication is a message waiting indication, either from TP-DCS groups
// 1100-1110 (TS 23.038 §4) or from the special SMS message indication IE
// (TS 23.040 §9.2.3.24.2).
type Indication struct {
	// Type is "voicemail", "fax", "email", "video" or "other".
	Type string
	// Active is true when messages are waiting (DCS sense bit, or Count>0).
	Active bool
	// Store is false when the SMS itself may be discarded once the
	// indication is shown (DCS group 1100; IE octet 1 bit 7 clear).
	Store bool
	// Count is the number of waiting messages (IE only; 0 from the DCS).
	Count int
}

// IE is one raw information element of the user data header
// (TS 23.040 §9.2.3.24).
type IE struct {
	ID   byte
	Data []byte
}

// Validity is a decoded TP-VP (TS 23.040 §9.2.3.12).
type Validity struct {
	// Format is "relative", "absolute" or "enhanced".
	Format string
	// Relative is the period for the relative and enhanced formats.
	Relative time.Duration
	// Absolute is the expiry time for the absolute format, in its own zone.
	Absolute time.Time
	// Raw is the TP-VP octets as received (1 or 7).
	Raw []byte
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
	DCS        byte      // TP-DCS as received
	Encoding   Encoding
	Class      int    // message class 0-3 from TP-DCS, -1 when none
	Text       string // decoded text; "" for 8-bit data
	Data       []byte // raw user data (without UDH) for 8-bit data
	Concat     *Concat
	MR         int       // TP-MR, SUBMIT and STATUS-REPORT
	Discharge  time.Time // TP-DT, STATUS-REPORT
	Status     byte      // TP-ST, STATUS-REPORT
	// StatusReportRequest is TP-SRR (SUBMIT), TP-SRI (DELIVER: a report
	// will be returned to the originator) or TP-SRQ (STATUS-REPORT: the
	// report answers an SMS-COMMAND).
	StatusReportRequest bool
	ReplyPath           bool      // TP-RP
	Validity            *Validity // TP-VP, SUBMIT only, nil when absent
	Ports               *Ports
	MWI                 *Indication  // from TP-DCS groups 1100-1110
	Indications         []Indication // special SMS message indication IEs
	// SingleShift and LockingShift are the national language tables named
	// by the UDH (TS 23.038 §6.2.1.2.4, IEIs 0x24 and 0x25); 0 is the
	// default alphabet, as is an identifier the library has no table for.
	SingleShift, LockingShift int
	UDH                       []IE // every IE of the user data header, raw
	// Trailing counts the octets after the end of the TPDU that were
	// ignored (modems pad stored PDUs or append garbage).
	Trailing int
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

// StatusCategory classifies TP-ST per TS 23.040 §9.2.3.15. Values 0x80
// and above are reserved; they are reported as StatusFailed, because the
// spec has receivers treat a reserved value as "service rejected", a
// failure the SC will not retry.
func StatusCategory(st byte) StatusClass {
	switch {
	case st < 0x20:
		return StatusDelivered
	case st < 0x40:
		return StatusPending
	case st < 0x60:
		return StatusFailed
	case st < 0x80:
		return StatusFailedNoMore
	default:
		return StatusFailed
	}
}

// DecodeHex decodes a hex PDU as a modem prints it (TS 27.005 §3.1). It
// tolerates lowercase, surrounding quotes, spaces and line ends, and
// trailing 0xFF padding or other octets after the TPDU (counted in
// Message.Trailing).
func DecodeHex(s string, withSMSC bool) (*Message, error) {
	s = strings.Trim(strings.TrimSpace(s), "\"")
	s = strings.TrimSpace(s)
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%w: odd number of hex digits (%d)", ErrMalformed, len(s))
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return Decode(raw, withSMSC)
}

// Decode decodes one TPDU; withSMSC says whether raw starts with the SMSC
// address field, as in +CMGR/+CMGL/+CMT output (TS 27.005 §3.1). The type
// is read from TP-MTI assuming the usual direction: 0 SMS-DELIVER,
// 1 SMS-SUBMIT, 2 SMS-STATUS-REPORT. Octets after the user data are ignored
// and counted in Message.Trailing.
func Decode(raw []byte, withSMSC bool) (*Message, error) {
	m, _, err := decode(raw, withSMSC)
	return m, err
}

// payload is a message's user data without header, as the reassembler needs
// it to join parts before decoding: septets for GSM 7-bit (so an escape cut
// by the sender's splitter is rejoined), octets otherwise (so is a surrogate
// pair).
type payload struct {
	enc     Encoding
	septets []byte
	octets  []byte
	tables  decTables
}

// reader walks a PDU, turning every overrun into an ErrMalformed error that
// names the field.
type reader struct {
	b   []byte
	off int
}

// errorf reports a problem with the field that starts back octets before
// the read position.
func (r *reader) errorf(back int, field, format string, args ...any) error {
	return fmt.Errorf("%w: %s at octet %d: %s", ErrMalformed, field, r.off-back, fmt.Sprintf(format, args...))
}

func (r *reader) byte(field string) (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.errorf(0, field, "PDU ends")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) take(n int, field string) ([]byte, error) {
	if n > len(r.b)-r.off {
		return nil, r.errorf(0, field, "needs %d octets, %d left", n, len(r.b)-r.off)
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func decode(raw []byte, withSMSC bool) (*Message, payload, error) {
	r := &reader{b: raw}
	m := &Message{Class: -1}
	if withSMSC {
		smsc, err := r.smsc()
		if err != nil {
			return nil, payload{}, err
		}
		m.SMSC = smsc
	}
	fo, err := r.byte("first octet")
	if err != nil {
		return nil, payload{}, err
	}
	var pl payload
	switch fo & 0x03 {
	case 0x00:
		pl, err = r.deliver(m, fo)
	case 0x01:
		pl, err = r.submit(m, fo)
	case 0x02:
		pl, err = r.statusReport(m, fo)
	default:
		return nil, payload{}, fmt.Errorf("%w: reserved TP-MTI 3 in first octet 0x%02X", ErrMalformed, fo)
	}
	if err != nil {
		return nil, payload{}, err
	}
	m.Trailing = len(raw) - r.off
	return m, pl, nil
}

// smsc reads the SMSC address of TS 24.011 §8.2.5.2 as AT+CMGR prints it
// (TS 27.005 §3.1): a length in octets including the TOA, 0 for none.
func (r *reader) smsc() (string, error) {
	n, err := r.byte("SMSC length")
	if err != nil || n == 0 {
		return "", err
	}
	if n > 11 {
		return "", r.errorf(1, "SMSC length", "%d octets, at most 11", n)
	}
	f, err := r.take(int(n), "SMSC address")
	if err != nil {
		return "", err
	}
	if f[0]&0x80 == 0 {
		return "", r.errorf(len(f), "SMSC type", "0x%02X lacks bit 7, which is always 1", f[0])
	}
	digits := semiOctets(f[1:], 2*(len(f)-1))
	if f[0]&0x70 == 0x10 {
		return "+" + digits, nil
	}
	return digits, nil
}

// address reads TP-OA/TP-DA/TP-RA (TS 23.040 §9.1.2.5): a length in useful
// semi-octets, the type-of-address octet and the digits or, for TON
// alphanumeric (101), GSM 7-bit packed text. A type-of-address without its
// always-set bit 7 means the PDU is misaligned or corrupt, and is refused.
func (r *reader) address(m *Message, field string) error {
	n, err := r.byte(field + " length")
	if err != nil {
		return err
	}
	if n > maxAddressDigits {
		return r.errorf(1, field+" length", "%d semi-octets, at most %d", n, maxAddressDigits)
	}
	toa, err := r.byte(field + " type")
	if err != nil {
		return err
	}
	if toa&0x80 == 0 {
		return r.errorf(1, field+" type", "0x%02X lacks bit 7, which is always 1", toa)
	}
	f, err := r.take((int(n)+1)/2, field)
	if err != nil {
		return err
	}
	m.AddressTON = int(toa)
	switch toa & 0x70 {
	case 0x50:
		septets := gsm7.Unpack7Bit(f, 0)
		if k := int(n) * 4 / 7; k < len(septets) {
			septets = septets[:k]
		}
		m.Address = decodeSeptets(septets, gsmAlphabet.dec[0])
	case 0x10:
		m.Address = "+" + semiOctets(f, int(n))
	default:
		m.Address = semiOctets(f, int(n))
	}
	return nil
}

// semiOctets decodes up to n swapped BCD digits (TS 23.040 §9.1.2.3), with
// the extra symbols of TS 24.008 table 10.5.118 (* # a b c); 0xF is filler.
// Unlike the library's semioctet.Decode it accepts a missing fill nibble,
// since the length octet already says where the number ends.
func semiOctets(b []byte, n int) string {
	const digits = "0123456789*#abc"
	out := make([]byte, 0, n)
	for i := 0; i < n && i/2 < len(b); i++ {
		d := b[i/2] & 0x0F
		if i%2 == 1 {
			d = b[i/2] >> 4
		}
		if d == 0x0F {
			continue
		}
		out = append(out, digits[d])
	}
	return string(out)
}

// timestamp reads TP-SCTS / TP-DT / absolute TP-VP (TS 23.040 §9.2.3.11):
// swapped BCD year (<90 is 20xx), month, day, hour, minute, second, and the
// offset in quarter hours with bit 3 as sign. Date and time digits must be
// BCD; the offset's units digit is read by value even above 9 (some SMSCs
// send 0xE1 for +6h, and Gammu reads it the same way).
func (r *reader) timestamp(field string) (time.Time, error) {
	f, err := r.take(7, field)
	if err != nil {
		return time.Time{}, err
	}
	var v [6]int
	for i := range v {
		lo, hi := f[i]&0x0F, f[i]>>4
		if lo > 9 || hi > 9 {
			return time.Time{}, r.errorf(7, field, "octet %d is 0x%02X, not BCD", i, f[i])
		}
		v[i] = int(lo)*10 + int(hi)
	}
	year := 2000 + v[0]
	if v[0] >= 90 {
		year = 1900 + v[0]
	}
	month, day, hour, minute, sec := v[1], v[2], v[3], v[4], v[5]
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, r.errorf(7, field, "invalid date %02d-%02d-%02d %02d:%02d:%02d", v[0], month, day, hour, minute, sec)
	}
	quarters := int(f[6]&0x07)*10 + int(f[6]>>4)
	if f[6]&0x08 != 0 {
		quarters = -quarters
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("", quarters*15*60))
	if t.Day() != day {
		return time.Time{}, r.errorf(7, field, "invalid date %04d-%02d-%02d", year, month, day)
	}
	return t, nil
}

// deliver reads an SMS-DELIVER (TS 23.040 §9.2.2.1).
func (r *reader) deliver(m *Message, fo byte) (payload, error) {
	m.Type = Deliver
	m.StatusReportRequest = fo&0x20 != 0
	m.ReplyPath = fo&0x80 != 0
	if err := r.address(m, "TP-OA"); err != nil {
		return payload{}, err
	}
	if err := r.pidDCS(m); err != nil {
		return payload{}, err
	}
	var err error
	if m.SCTS, err = r.timestamp("TP-SCTS"); err != nil {
		return payload{}, err
	}
	return r.userData(m, fo&0x40 != 0)
}

// submit reads an SMS-SUBMIT (TS 23.040 §9.2.2.2).
func (r *reader) submit(m *Message, fo byte) (payload, error) {
	m.Type = Submit
	m.StatusReportRequest = fo&0x20 != 0
	m.ReplyPath = fo&0x80 != 0
	mr, err := r.byte("TP-MR")
	if err != nil {
		return payload{}, err
	}
	m.MR = int(mr)
	if err := r.address(m, "TP-DA"); err != nil {
		return payload{}, err
	}
	if err := r.pidDCS(m); err != nil {
		return payload{}, err
	}
	if err := r.validity(m, fo>>3&0x03); err != nil {
		return payload{}, err
	}
	return r.userData(m, fo&0x40 != 0)
}

// validity reads TP-VP in the format TP-VPF gives (TS 23.040 §9.2.3.12).
func (r *reader) validity(m *Message, vpf byte) error {
	switch vpf {
	case 0x02:
		f, err := r.take(1, "TP-VP")
		if err != nil {
			return err
		}
		var vp tpdu.ValidityPeriod
		if _, err := vp.UnmarshalBinary(f, tpdu.VpfRelative); err != nil {
			return r.errorf(1, "TP-VP", "%v", err)
		}
		m.Validity = &Validity{Format: "relative", Relative: vp.Duration, Raw: slices.Clone(f)}
	case 0x03:
		start := r.off
		t, err := r.timestamp("TP-VP")
		if err != nil {
			return err
		}
		m.Validity = &Validity{Format: "absolute", Absolute: t, Raw: slices.Clone(r.b[start:r.off])}
	case 0x01:
		f, err := r.take(7, "TP-VP")
		if err != nil {
			return err
		}
		v := &Validity{Format: "enhanced", Raw: slices.Clone(f)}
		var vp tpdu.ValidityPeriod
		if _, err := vp.UnmarshalBinary(f, tpdu.VpfEnhanced); err == nil {
			v.Relative = vp.Duration
		}
		m.Validity = v
	}
	return nil
}

// statusReport reads an SMS-STATUS-REPORT (TS 23.040 §9.2.2.3), with its
// optional TP-PI, TP-PID, TP-DCS and TP-UD.
func (r *reader) statusReport(m *Message, fo byte) (payload, error) {
	m.Type = StatusReport
	m.StatusReportRequest = fo&0x20 != 0
	mr, err := r.byte("TP-MR")
	if err != nil {
		return payload{}, err
	}
	m.MR = int(mr)
	if err := r.address(m, "TP-RA"); err != nil {
		return payload{}, err
	}
	if m.SCTS, err = r.timestamp("TP-SCTS"); err != nil {
		return payload{}, err
	}
	if m.Discharge, err = r.timestamp("TP-DT"); err != nil {
		return payload{}, err
	}
	if m.Status, err = r.byte("TP-ST"); err != nil {
		return payload{}, err
	}
	m.Encoding = GSM7
	if r.off == len(r.b) {
		return payload{enc: GSM7}, nil
	}
	pi, _ := r.byte("TP-PI")
	// TS 23.040 §9.2.3.27: bit 7 extends TP-PI; the extra octets carry only
	// reserved bits. A TP-PI with reserved bits set is what padding (0xFF)
	// looks like, and the spec says to ignore it then.
	if pi&0x78 != 0 {
		r.off--
		return payload{enc: GSM7}, nil
	}
	for ext := pi; ext&0x80 != 0; {
		if ext, err = r.byte("TP-PI extension"); err != nil {
			return payload{}, err
		}
	}
	if pi&0x01 != 0 {
		if m.PID, err = r.byte("TP-PID"); err != nil {
			return payload{}, err
		}
	}
	if pi&0x02 != 0 {
		dcs, err := r.byte("TP-DCS")
		if err != nil {
			return payload{}, err
		}
		if err := applyDCS(m, dcs); err != nil {
			return payload{}, err
		}
	}
	if pi&0x04 == 0 {
		return payload{enc: m.Encoding}, nil
	}
	return r.userData(m, fo&0x40 != 0)
}

func (r *reader) pidDCS(m *Message) error {
	var err error
	if m.PID, err = r.byte("TP-PID"); err != nil {
		return err
	}
	dcs, err := r.byte("TP-DCS")
	if err != nil {
		return err
	}
	return applyDCS(m, dcs)
}

var mwiTypes = [4]string{"voicemail", "fax", "email", "other"}

// applyDCS reads the alphabet, class and message waiting group of TP-DCS
// (TS 23.038 §4). Reserved coding groups (10xx) are read as GSM 7-bit, as
// the spec asks of a receiving entity.
func applyDCS(m *Message, dcs byte) error {
	m.DCS = dcs
	d := tpdu.DCS(dcs)
	if d.Compressed() {
		return fmt.Errorf("%w: compressed user data (TS 23.042), DCS 0x%02X", ErrUnsupported, dcs)
	}
	alpha, err := d.Alphabet()
	if err != nil {
		alpha = tpdu.Alpha7Bit
	}
	switch alpha {
	case tpdu.Alpha8Bit:
		m.Encoding = Data8
	case tpdu.AlphaUCS2:
		m.Encoding = UCS2
	default:
		m.Encoding = GSM7
	}
	if c, err := d.Class(); err == nil && c != tpdu.MClassUnknown {
		m.Class = int(c)
	}
	if dcs >= 0xC0 && dcs < 0xF0 {
		m.MWI = &Indication{
			Type:   mwiTypes[dcs&0x03],
			Active: dcs&0x08 != 0,
			Store:  dcs >= 0xD0,
		}
	}
	return nil
}

// userData reads TP-UDL and TP-UD with its header (TS 23.040 §9.2.3.16,
// §9.2.3.24) and decodes the text.
func (r *reader) userData(m *Message, udhi bool) (payload, error) {
	udl, err := r.byte("TP-UDL")
	if err != nil {
		return payload{}, err
	}
	n := int(udl) // octets
	if m.Encoding == GSM7 {
		if udl > gsm7Single {
			return payload{}, r.errorf(1, "TP-UDL", "%d septets, at most %d", udl, gsm7Single)
		}
		n = (int(udl)*7 + 7) / 8
	} else if n > tpdu.MaxUDL {
		return payload{}, r.errorf(1, "TP-UDL", "%d octets, at most %d", udl, tpdu.MaxUDL)
	}
	ud, err := r.take(n, "TP-UD")
	if err != nil {
		return payload{}, err
	}
	hl := 0 // header length in octets, UDHL included
	// TP-UDHI with TP-UDL 0 is read as an empty message without header, as
	// Gammu does: real modems produce it (a stored draft), and there is no
	// header to misread.
	if udhi && len(ud) > 0 {
		hl = int(ud[0]) + 1
		if hl > len(ud) {
			return payload{}, r.errorf(len(ud), "TP-UDH", "UDHL %d longer than the user data (%d octets)", ud[0], len(ud)-1)
		}
		var udh tpdu.UserDataHeader
		if _, err := udh.UnmarshalBinary(ud[:hl]); err != nil {
			return payload{}, r.errorf(len(ud), "TP-UDH", "%v", err)
		}
		applyUDH(m, udh)
	}
	pl := payload{enc: m.Encoding}
	switch m.Encoding {
	case GSM7:
		// The header is padded to a septet boundary (TS 23.040 §9.2.3.24).
		hs := (hl*8 + 6) / 7
		if hs > int(udl) {
			return payload{}, r.errorf(len(ud), "TP-UDH", "header takes %d septets, TP-UDL is %d", hs, udl)
		}
		pl.septets = gsm7.Unpack7Bit(ud[hl:], hs*7-hl*8)[:int(udl)-hs]
		pl.tables = gsmAlphabet.tablesFor(m.LockingShift, m.SingleShift)
		m.Text = decodeSeptets(pl.septets, pl.tables)
	case UCS2:
		pl.octets = ud[hl:]
		if len(pl.octets)%2 != 0 {
			return payload{}, r.errorf(len(pl.octets), "TP-UD", "odd UCS-2 length %d", len(pl.octets))
		}
		m.Text = decodeUCS2(pl.octets)
	default:
		pl.octets = ud[hl:]
		m.Data = slices.Clone(pl.octets)
	}
	return pl, nil
}

// applyUDH records the IEs gsmbox understands (TS 23.040 §9.2.3.24). Per
// §9.2.3.24.1 a concatenation IE with a zero or out-of-range sequence number
// is ignored, so the message is then handled as a single part.
func applyUDH(m *Message, udh tpdu.UserDataHeader) {
	for _, ie := range udh {
		m.UDH = append(m.UDH, IE{ID: ie.ID, Data: ie.Data})
		d := ie.Data
		switch {
		case ie.ID == 0x00 && len(d) == 3:
			m.Concat = concat(int(d[0]), 8, int(d[1]), int(d[2]))
		case ie.ID == 0x08 && len(d) == 4:
			m.Concat = concat(int(d[0])<<8|int(d[1]), 16, int(d[2]), int(d[3]))
		case ie.ID == 0x04 && len(d) == 2:
			m.Ports = &Ports{Dest: int(d[0]), Src: int(d[1]), Bits: 8}
		case ie.ID == 0x05 && len(d) == 4:
			m.Ports = &Ports{Dest: int(d[0])<<8 | int(d[1]), Src: int(d[2])<<8 | int(d[3]), Bits: 16}
		case ie.ID == 0x01 && len(d) == 2:
			m.Indications = append(m.Indications, specialIndication(d[0], d[1]))
		case ie.ID == 0x24 && len(d) == 1:
			m.SingleShift = int(d[0])
		case ie.ID == 0x25 && len(d) == 1:
			m.LockingShift = int(d[0])
		}
	}
}

func concat(ref, bits, total, seq int) *Concat {
	if total == 0 || seq == 0 || seq > total {
		return nil
	}
	return &Concat{Ref: ref, RefBits: bits, Total: total, Seq: seq}
}

// specialIndication reads the special SMS message indication IE
// (TS 23.040 §9.2.3.24.2): bit 7 store, bits 0-1 basic type, bits 2-4
// extended type (1 = video message waiting), then the count.
func specialIndication(kind, count byte) Indication {
	t := mwiTypes[kind&0x03]
	if kind&0x1C == 0x04 && kind&0x03 == 0x03 {
		t = "video"
	}
	return Indication{Type: t, Active: count > 0, Store: kind&0x80 != 0, Count: int(count)}
}

// tablesFor returns the national language tables named by the UDH, or the
// default ones for an unknown NLI (TS 23.038 §6.2.1.2.4 asks receivers to
// fall back to the default alphabet).
func (t *gsmTable) tablesFor(locking, single int) decTables {
	d := t.dec[0]
	if lt, ok := t.dec[locking]; ok {
		d.lock = lt.lock
	}
	if st, ok := t.dec[single]; ok {
		d.shift = st.shift
	}
	return d
}

// decodeSeptets turns unpacked septets into text. Unknown codes and a
// trailing lone escape become a space, an escaped code missing from the
// extension table its default-table character (TS 23.038 §6.2.1.1), as the
// library's non-strict gsm7 decoder does.
func decodeSeptets(septets []byte, tables decTables) string {
	d := gsm7.Decoder{}.WithCharset(tables.lock).WithExtCharset(tables.shift)
	b, _ := d.Decode(septets)
	return string(b)
}

// decodeUCS2 decodes UTF-16BE, surrogate pairs included; a lone surrogate
// becomes U+FFFD.
func decodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
