package modem

// Parsers for what modems print in answer to AT commands and in unsolicited
// result codes (3GPP TS 27.005 for SMS, 3GPP TS 27.007 for the rest).
//
// They are pure functions: no I/O, no goroutines, no logging. They take the
// info lines returned by at.AT.Command (or the lines of an indication) and
// are tolerant of what real modems print: missing or extra spaces, quoted or
// unquoted fields, lowercase hex, unsolicited lines mixed into an answer,
// PDU lines cut in two by such a line. A URC can leak into any command's
// info (see STYLE.md), so answers are always selected by prefix, never by
// position. Every error names the line it could not parse; nothing panics.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/warthog618/modem/at"
	"github.com/warthog618/sms/encoding/gsm7"
)

var (
	// ErrEmptySlot is returned by ParseCMGR when the storage slot holds no
	// message: the modem answers `+CMGR: 0,,0` or only OK. A TPDU made of
	// 0xFF filler octets (Siemens MC35i fills unused ME storage with one) is
	// reported as an empty slot too.
	ErrEmptySlot = errors.New("modem: storage slot is empty")
	// ErrTextMode is returned for an SMS header printed in text mode
	// (+CMGF=1, 3GPP TS 27.005 clause 3): gsmbox works in PDU mode (clause
	// 4) only.
	ErrTextMode = errors.New("modem: text-mode SMS header (+CMGF=1), PDU mode expected")
	// ErrRangeAnswer is returned when a line lists supported values (the
	// answer to a test command such as AT+CPMS=? or AT+CSQ=?) where a current
	// value was expected.
	ErrRangeAnswer = errors.New("modem: answer lists supported ranges (test command form)")
	// ErrNoAnswer is returned when the info lines hold no line with the
	// expected prefix, or that line carries no value.
	ErrNoAnswer = errors.New("modem: no answer line")
	// ErrNoPDU is returned when an SMS header is not followed by a PDU line.
	ErrNoPDU = errors.New("modem: SMS header without a PDU line")
	// ErrStrayPDU marks a PDU line that no header announces.
	ErrStrayPDU = errors.New("modem: PDU line without a header")
	// ErrBadSMSC is returned by DecodePDUHex when the SMSC address field
	// that starts a PDU-mode <pdu> (3GPP TS 27.005 3.1, TS 24.011 8.2.5)
	// does not fit the data.
	ErrBadSMSC = errors.New("modem: invalid SMSC field")
)

// StoredPDU is one message read from modem storage (+CMGL / +CMGR) or pushed
// (+CMT / +CDS).
type StoredPDU struct {
	Index  int    // storage index; -1 when pushed (+CMT/+CDS)
	Stat   int    // 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT; -1 unknown
	Length int    // TPDU length in octets from the header (excludes the SMSC)
	PDU    []byte // the whole PDU as printed, SMSC field included (3GPP TS 27.005 3.1 <pdu>: PDU mode lines include the SMSC address)
}

// LengthError reports a PDU shorter than the TPDU length its header
// declares (3GPP TS 27.005 3.1 <length>): octets were lost on the line, or
// the capture is truncated. Acting on it would store a damaged message, so
// the parsers refuse it; a stored message then stays in storage and is read
// again later, a pushed one is not acknowledged and the network resends it.
// PDU holds what was received, for the log.
type LengthError struct {
	Declared int    // TPDU octets announced by the header
	Got      int    // TPDU octets received
	PDU      []byte // the PDU as received, SMSC field included
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("modem: PDU truncated: %d TPDU octets, header declares %d", e.Got, e.Declared)
}

// EntryError describes one +CMGL entry that ParsePDUList could not read.
type EntryError struct {
	Index int    // storage index from the header; -1 when unknown
	Line  string // the header line, or the PDU line that has no header
	Err   error
}

func (e EntryError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("index %d (%s): %v", e.Index, quoteLine(e.Line), e.Err)
	}
	return fmt.Sprintf("%s: %v", quoteLine(e.Line), e.Err)
}

func (e EntryError) Unwrap() error { return e.Err }

// ListError lists the +CMGL entries ParsePDUList could not read. The caller
// logs it and leaves those entries in storage.
type ListError struct {
	Entries []EntryError
}

func (e *ListError) Error() string {
	parts := make([]string, len(e.Entries))
	for i, en := range e.Entries {
		parts[i] = en.Error()
	}
	return fmt.Sprintf("modem: +CMGL: %d unreadable entries: %s", len(e.Entries), strings.Join(parts, "; "))
}

// Unwrap gives errors.Is / errors.As access to every entry's error.
func (e *ListError) Unwrap() []error {
	errs := make([]error, len(e.Entries))
	for i, en := range e.Entries {
		errs[i] = en
	}
	return errs
}

// ParsePDUList parses the info lines of AT+CMGL (PDU mode, 3GPP TS 27.005
// 4.1): headers `+CMGL: <index>,<stat>,[<alpha>],<length>` selected by
// prefix, each followed by its PDU. A PDU split across lines by noise is
// re-joined using the header length (SMSC length octet + 1 + Length octets);
// noise lines (^..., RDY, +CREG, empty, garbage) are skipped; lowercase and
// quoted hex are accepted; trailing 0xFF padding beyond the declared length
// is dropped. It returns the good entries AND, when some could not be read,
// a *ListError naming them, so that nothing is dropped silently: the caller
// logs it and leaves those entries in storage.
func ParsePDUList(info []string) ([]StoredPDU, error) {
	lines := splitLines(info)
	var (
		out  []StoredPDU
		bad  []EntryError
		i    int
		hdrP = "+CMGL:"
	)
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		payload, isHdr := cutPrefixFold(line, hdrP)
		if !isHdr {
			if isHexLine(line) {
				bad = append(bad, EntryError{Index: -1, Line: line, Err: ErrStrayPDU})
			}
			i++
			continue
		}
		i++
		h, err := parseCMGLHeader(payload)
		if err != nil {
			// Whatever follows up to the next header belongs to this entry
			// (a text-mode body, the PDU of an unreadable header).
			for i < len(lines) && !isHeaderLine(lines[i], hdrP) {
				i++
			}
			bad = append(bad, EntryError{Index: h.index, Line: line, Err: err})
			continue
		}
		if h.length == 0 {
			bad = append(bad, EntryError{Index: h.index, Line: line, Err: ErrEmptySlot})
			continue
		}
		hexPDU, next, err := collectPDU(lines, i, h.length, hdrP)
		i = next
		if err != nil {
			bad = append(bad, EntryError{Index: h.index, Line: line, Err: err})
			continue
		}
		pdu, err := framePDU(hexPDU, h.length)
		if err != nil {
			bad = append(bad, EntryError{Index: h.index, Line: line, Err: err})
			continue
		}
		out = append(out, StoredPDU{Index: h.index, Stat: h.stat, Length: h.length, PDU: pdu})
	}
	if len(bad) > 0 {
		return out, &ListError{Entries: bad}
	}
	return out, nil
}

// ParseCMGR parses the info lines of AT+CMGR=<index> (PDU mode, 3GPP TS
// 27.005 4.2): `+CMGR: <stat>,[<alpha>],<length>` and the PDU. Variants
// without <alpha>, without <stat>, with the stat as text or with the index
// in front are accepted. An empty slot (`+CMGR: 0,,0`, or just OK) gives
// ErrEmptySlot.
func ParseCMGR(info []string, index int) (StoredPDU, error) {
	const hdrP = "+CMGR:"
	lines := splitLines(info)
	hi := -1
	for i, l := range lines {
		if isHeaderLine(l, hdrP) {
			hi = i
			break
		}
	}
	if hi < 0 {
		for _, l := range lines {
			if isHexLine(l) {
				return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s: %w", index, quoteLine(l), ErrStrayPDU)
			}
		}
		return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: no +CMGR line: %w", index, ErrEmptySlot)
	}
	line := strings.TrimSpace(lines[hi])
	payload, _ := cutPrefixFold(line, hdrP)
	h, err := parseCMGRHeader(payload)
	if err != nil {
		return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s: %w", index, quoteLine(line), err)
	}
	if h.length == 0 {
		return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s: %w", index, quoteLine(line), ErrEmptySlot)
	}
	hexPDU, next, err := collectPDU(lines, hi+1, h.length, hdrP)
	if err != nil {
		return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s: %w", index, quoteLine(line), err)
	}
	pdu, err := framePDU(hexPDU, h.length)
	if err != nil {
		return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s: %w", index, quoteLine(line), err)
	}
	for _, l := range lines[next:] {
		if isHexLine(l) || isHeaderLine(l, hdrP) {
			return StoredPDU{}, fmt.Errorf("modem: +CMGR=%d: %s after the PDU: %w", index, quoteLine(l), ErrStrayPDU)
		}
	}
	return StoredPDU{Index: index, Stat: h.stat, Length: h.length, PDU: pdu}, nil
}

// ParsePushedPDU parses a +CMT or +CDS indication (3GPP TS 27.005 3.4.1, PDU
// mode): the header line (`+CMT: ,24`, `+CMT: "",24`, `+CMT: "alpha",24`,
// `+CDS: 26`) and the PDU line(s). Header and PDU may also come in one
// string separated by CR. Index and Stat are -1.
func ParsePushedPDU(lines []string) (StoredPDU, error) {
	ls := splitLines(lines)
	for i, l := range ls {
		line := strings.TrimSpace(l)
		var (
			hdrP    string
			payload string
			ok      bool
		)
		for _, p := range []string{"+CMT:", "+CDS:"} {
			if payload, ok = cutPrefixFold(line, p); ok {
				hdrP = p
				break
			}
		}
		if !ok {
			continue
		}
		length, err := parsePushedHeader(hdrP, payload)
		if err != nil {
			return StoredPDU{}, fmt.Errorf("modem: %s: %w", quoteLine(line), err)
		}
		hexPDU, _, err := collectPDU(ls, i+1, length, hdrP)
		if err != nil {
			return StoredPDU{}, fmt.Errorf("modem: %s: %w", quoteLine(line), err)
		}
		pdu, err := framePDU(hexPDU, length)
		if err != nil {
			return StoredPDU{}, fmt.Errorf("modem: %s: %w", quoteLine(line), err)
		}
		return StoredPDU{Index: -1, Stat: -1, Length: length, PDU: pdu}, nil
	}
	return StoredPDU{}, fmt.Errorf("modem: no +CMT or +CDS header in %s: %w", quoteLine(strings.Join(ls, " | ")), ErrNoAnswer)
}

// DecodePDUHex decodes a PDU line as printed in PDU mode (3GPP TS 27.005
// 3.1 <pdu>: the SMSC address field of TS 24.011, then the TPDU). It tolerates spaces,
// surrounding quotes and lowercase digits, and checks that the SMSC length
// octet fits the data: at most 11 octets (TS 24.011 8.2.5), a type of
// address with its extension bit set (TS 24.008 10.5.4.7), and at least one
// TPDU octet after it.
func DecodePDUHex(s string) ([]byte, error) {
	h := cleanHex(s)
	if h == "" {
		return nil, fmt.Errorf("modem: PDU %s: empty", quoteLine(s))
	}
	if len(h)%2 != 0 {
		return nil, fmt.Errorf("modem: PDU %s: odd number of hex digits (%d)", quoteLine(s), len(h))
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("modem: PDU %s: %w", quoteLine(s), err)
	}
	l := int(b[0])
	switch {
	case l > 11:
		return nil, fmt.Errorf("modem: PDU %s: SMSC length octet %d exceeds 11: %w", quoteLine(s), l, ErrBadSMSC)
	case 1+l >= len(b):
		return nil, fmt.Errorf("modem: PDU %s: SMSC length octet %d leaves no TPDU in %d octets: %w", quoteLine(s), l, len(b), ErrBadSMSC)
	case l > 0 && b[1]&0x80 == 0:
		return nil, fmt.Errorf("modem: PDU %s: SMSC type of address 0x%02X lacks its extension bit: %w", quoteLine(s), b[1], ErrBadSMSC)
	}
	return b, nil
}

// ParseStorageIndication parses `+CMTI: "SM",3`, `+CDSI: "SR",1` or
// `+CMTI: "ME", 12` (3GPP TS 27.005 3.4.1) into the storage and the index.
func ParseStorageIndication(line string) (storage string, index int, err error) {
	l := strings.TrimSpace(line)
	payload, ok := cutPrefixFold(l, "+CMTI:")
	if !ok {
		if payload, ok = cutPrefixFold(l, "+CDSI:"); !ok {
			return "", 0, fmt.Errorf("modem: %s: not a +CMTI or +CDSI indication", quoteLine(line))
		}
	}
	f := splitFields(payload)
	if len(f) != 2 || f[0].s == "" {
		return "", 0, fmt.Errorf("modem: %s: want <mem>,<index>", quoteLine(line))
	}
	index, err = parseUint(f[1].s)
	if err != nil {
		return "", 0, fmt.Errorf("modem: %s: index: %w", quoteLine(line), err)
	}
	return f[0].s, index, nil
}

// ParseCLIP parses a +CLIP indication (3GPP TS 27.007 7.6):
// `+CLIP: <number>,<type>[,<subaddr>,<satype>[,[<alpha>][,<CLI validity>]]]`.
// A withheld or unavailable number (CLI validity 1 or 2) gives "" and no
// error; numType is -1 when the modem leaves it out.
func ParseCLIP(line string) (number string, numType int, err error) {
	l := strings.TrimSpace(line)
	payload, ok := cutPrefixFold(l, "+CLIP:")
	if !ok {
		return "", 0, fmt.Errorf("modem: %s: not a +CLIP line", quoteLine(line))
	}
	f := splitFields(payload)
	if len(f) == 0 {
		return "", 0, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrNoAnswer)
	}
	numType = -1
	if len(f) > 1 && f[1].s != "" {
		if numType, err = parseUint(f[1].s); err != nil {
			return "", 0, fmt.Errorf("modem: %s: type of address: %w", quoteLine(line), err)
		}
	}
	if len(f) > 5 && (f[5].s == "1" || f[5].s == "2") {
		return "", numType, nil
	}
	return f[0].s, numType, nil
}

// Registration is a network registration state, from +CREG (3GPP TS 27.007
// 7.2), +CGREG, +CEREG or +C5GREG.
type Registration struct {
	Cmd  string // "+CREG", "+CGREG", "+CEREG" or "+C5GREG"
	N    int    // <n> of the query form; -1 in the unsolicited form
	Stat int    // 0 not searching, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming, 6-11 (27.007 7.2)
	LAC  string // location / tracking area code as printed (hex, quotes removed, uppercase); "" when absent
	CI   string // cell id as printed (hex, quotes removed, uppercase); "" when absent
	Act  int    // access technology (0 GSM, 2 UTRAN, 7 E-UTRAN, ...); -1 when absent
}

// Registered reports whether the modem is registered, at home or roaming,
// including the "SMS only" (6, 7) and "CSFB not preferred" (9, 10) states of
// 3GPP TS 27.007 7.2: in all of them SMS can be sent and received.
func (r Registration) Registered() bool {
	switch r.Stat {
	case 1, 5, 6, 7, 9, 10:
		return true
	}
	return false
}

// ParseCREG parses +CREG, +CGREG, +CEREG and +C5GREG lines, in both the
// query form (`+CREG: <n>,<stat>[,<lac>,<ci>[,<act>]]`) and the unsolicited
// form (`+CREG: <stat>[,<lac>,<ci>[,<act>]]`). The two forms are told apart by
// the second field: a location code (quoted, or four digits or more, or hex
// letters, like the field after it) or an empty field means the unsolicited
// form. Vendor variants are accepted: unquoted or space-padded codes,
// leading zeros, a routing area code between location and cell (Novatel,
// ModemManager's test set) or after the access technology (+CGREG).
func ParseCREG(line string) (Registration, error) {
	l := strings.TrimSpace(line)
	var (
		r       = Registration{N: -1, Act: -1}
		payload string
		ok      bool
	)
	for _, p := range []string{"+CREG", "+CGREG", "+CEREG", "+C5GREG"} {
		if payload, ok = cutPrefixFold(l, p+":"); ok {
			r.Cmd = p
			break
		}
	}
	if !ok {
		return Registration{}, fmt.Errorf("modem: %s: not a registration line", quoteLine(line))
	}
	if strings.Contains(payload, "(") {
		return Registration{}, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrRangeAnswer)
	}
	f := splitFields(payload)
	if len(f) == 0 {
		return Registration{}, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrNoAnswer)
	}
	unsolicited := len(f) == 1 || (len(f) >= 3 && (f[1].s == "" || looksLikeAreaCode(f[1], f[2])))
	rest := f
	if !unsolicited {
		n, err := parseUint(f[0].s)
		if err != nil {
			return Registration{}, fmt.Errorf("modem: %s: <n>: %w", quoteLine(line), err)
		}
		r.N = n
		rest = f[1:]
	}
	stat, err := parseUint(rest[0].s)
	if err != nil {
		return Registration{}, fmt.Errorf("modem: %s: <stat>: %w", quoteLine(line), err)
	}
	r.Stat = stat
	// rest: <stat>,<lac>,<ci>,<act>... with an optional RAC either in the
	// middle (a short third field) or last (quoted, after <act>).
	get := func(i int) string {
		if i < len(rest) {
			return normalizeCode(rest[i].s)
		}
		return ""
	}
	ciAt, actAt := 2, 3
	if rac := len(normalizeCode(rest[2%len(rest)].s)); len(rest) >= 5 && !rest[2].quoted && rac >= 1 && rac <= 2 && !rest[len(rest)-1].quoted {
		ciAt, actAt = 3, 4
	}
	r.LAC, r.CI = get(1), get(ciAt)
	if actAt < len(rest) {
		if act, err := parseUint(rest[actAt].s); err == nil {
			r.Act = act
		}
	}
	return r, nil
}

// looksLikeAreaCode reports whether f, followed by next, is a location area
// code rather than a <stat> value: quoted, or unquoted with four characters
// or more or with hex letters while next is unquoted too (an unquoted
// "0011" before a quoted "0F0D" is a <stat> with leading zeros).
func looksLikeAreaCode(f, next field) bool {
	if f.quoted {
		return true
	}
	s := normalizeCode(f.s)
	return !next.quoted && (len(s) >= 4 || strings.ContainsAny(s, "ABCDEF"))
}

// normalizeCode removes the blanks and stray quotes vendors print inside a
// LAC or CI ("  0 5", `"0B`) and upper-cases the hex.
func normalizeCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(strings.ReplaceAll(s, `"`, "")), ""))
}

// ParseCSQ parses the info lines of AT+CSQ (3GPP TS 27.007 8.5): rssi 0-31
// (99 unknown; 100-191 on TD-SCDMA modems) and ber 0-7 (99 unknown).
func ParseCSQ(info []string) (rssi, ber int, err error) {
	line, payload, err := findInfo(info, "+CSQ:")
	if err != nil {
		return 0, 0, err
	}
	if strings.Contains(payload, "(") {
		return 0, 0, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrRangeAnswer)
	}
	f := splitFields(payload)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("modem: %s: want <rssi>,<ber>", quoteLine(line))
	}
	if rssi, err = parseUint(f[0].s); err != nil {
		return 0, 0, fmt.Errorf("modem: %s: <rssi>: %w", quoteLine(line), err)
	}
	if ber, err = parseUint(f[1].s); err != nil {
		return 0, 0, fmt.Errorf("modem: %s: <ber>: %w", quoteLine(line), err)
	}
	if _, ok := RSSIToDBm(rssi); !ok && rssi != 99 {
		return 0, 0, fmt.Errorf("modem: %s: <rssi> %d out of range", quoteLine(line), rssi)
	}
	if ber > 7 && ber != 99 {
		return 0, 0, fmt.Errorf("modem: %s: <ber> %d out of range", quoteLine(line), ber)
	}
	return rssi, ber, nil
}

// RSSIToDBm converts a +CSQ rssi to dBm (3GPP TS 27.007 8.5): 0 is -113 dBm
// or less, 31 is -51 dBm or more, 2 dB per step; 100-191 (TD-SCDMA) is -116
// to -25 dBm, 1 dB per step. ok is false for 99 (unknown) and other values.
func RSSIToDBm(rssi int) (dbm int, ok bool) {
	switch {
	case rssi >= 0 && rssi <= 31:
		return -113 + 2*rssi, true
	case rssi >= 100 && rssi <= 191:
		return -116 + (rssi - 100), true
	}
	return 0, false
}

// Operator is the current operator selection (+COPS?, 3GPP TS 27.007 7.3).
type Operator struct {
	Mode   int    // 0 automatic, 1 manual, 2 deregister, 3 set format only, 4 manual/automatic
	Format int    // 0 long alphanumeric, 1 short alphanumeric, 2 numeric (MCC+MNC); -1 when absent
	Name   string // in Format; "" when no operator is selected
	Act    int    // access technology; -1 when absent
}

// ParseCOPS parses the info lines of AT+COPS? (3GPP TS 27.007 7.3):
// `+COPS: 0,0,"Orange F",7`, `+COPS: 0,2,"20801",7`, or `+COPS: 0` when no
// operator is selected (Name "", Format and Act -1).
func ParseCOPS(info []string) (op Operator, err error) {
	line, payload, err := findInfo(info, "+COPS:")
	if err != nil {
		return Operator{}, err
	}
	if strings.Contains(payload, "(") {
		return Operator{}, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrRangeAnswer)
	}
	f := splitFields(payload)
	op = Operator{Format: -1, Act: -1}
	if op.Mode, err = parseUint(f[0].s); err != nil {
		return Operator{}, fmt.Errorf("modem: %s: <mode>: %w", quoteLine(line), err)
	}
	if len(f) > 1 && f[1].s != "" {
		if op.Format, err = parseUint(f[1].s); err != nil {
			return Operator{}, fmt.Errorf("modem: %s: <format>: %w", quoteLine(line), err)
		}
	}
	if len(f) > 2 {
		op.Name = f[2].s
	}
	if len(f) > 3 && f[3].s != "" {
		if op.Act, err = parseUint(f[3].s); err != nil {
			return Operator{}, fmt.Errorf("modem: %s: <AcT>: %w", quoteLine(line), err)
		}
	}
	return op, nil
}

// ParseCMGS parses the info lines of AT+CMGS (3GPP TS 27.005 4.3):
// `+CMGS: <mr>[,<scts>]`, and returns the message reference TP-MR.
func ParseCMGS(info []string) (mr int, err error) {
	line, payload, err := findInfo(info, "+CMGS:")
	if err != nil {
		return 0, err
	}
	f := splitFields(payload)
	if mr, err = parseUint(f[0].s); err != nil {
		return 0, fmt.Errorf("modem: %s: <mr>: %w", quoteLine(line), err)
	}
	if mr > 255 {
		return 0, fmt.Errorf("modem: %s: <mr> %d out of range", quoteLine(line), mr)
	}
	return mr, nil
}

// ParseCPIN parses the info lines of AT+CPIN? (3GPP TS 27.007 8.3) and
// returns the code: READY, SIM PIN, SIM PUK, SIM PIN2, PH-NET PIN, ...
// (quotes removed, upper case).
func ParseCPIN(info []string) (state string, err error) {
	line, payload, err := findInfo(info, "+CPIN:")
	if err != nil {
		return "", err
	}
	state = strings.ToUpper(strings.Trim(strings.TrimSpace(payload), `"`))
	if state == "" {
		return "", fmt.Errorf("modem: %s: %w", quoteLine(line), ErrNoAnswer)
	}
	return state, nil
}

// StorageUse is one message storage of +CPMS (3GPP TS 27.005 3.2.2).
type StorageUse struct {
	Mem   string // "SM", "ME", "MT", "SR", ...; "" in the set-command answer, which does not name them
	Used  int
	Total int
}

// ParseCPMS parses the info lines of AT+CPMS? (`+CPMS: "SM",3,30,"SM",3,30,
// "SM",3,30`) and of AT+CPMS=<mem>... (`+CPMS: 3,30,3,30,3,30`), 3GPP TS
// 27.005 3.2.2. The memories are in the order mem1 (read, delete), mem2
// (write, send), mem3 (receive). The answer to AT+CPMS=? gives
// ErrRangeAnswer.
func ParseCPMS(info []string) ([]StorageUse, error) {
	line, payload, err := findInfo(info, "+CPMS:")
	if err != nil {
		return nil, err
	}
	if strings.Contains(payload, "(") {
		return nil, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrRangeAnswer)
	}
	f := splitFields(payload)
	if allQuoted(f) {
		// `+CPMS: "SM","SM","SM"`: a test-command answer without its
		// parentheses (iWOW).
		return nil, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrRangeAnswer)
	}
	named := f[0].quoted || !isDigits(f[0].s)
	step := 2
	if named {
		step = 3
	}
	if len(f)%step != 0 || len(f) > 3*step {
		return nil, fmt.Errorf("modem: %s: want <mem>,<used>,<total> or <used>,<total> groups", quoteLine(line))
	}
	var out []StorageUse
	for i := 0; i < len(f); i += step {
		var u StorageUse
		g := f[i : i+step]
		if named {
			u.Mem, g = g[0].s, g[1:]
		}
		if u.Used, err = parseUint(g[0].s); err != nil {
			return nil, fmt.Errorf("modem: %s: <used>: %w", quoteLine(line), err)
		}
		if u.Total, err = parseUint(g[1].s); err != nil {
			return nil, fmt.Errorf("modem: %s: <total>: %w", quoteLine(line), err)
		}
		out = append(out, u)
	}
	return out, nil
}

func allQuoted(f []field) bool {
	for _, x := range f {
		if !x.quoted {
			return false
		}
	}
	return true
}

// USSD is an unstructured supplementary service answer (+CUSD, 3GPP TS
// 27.007 7.15).
type USSD struct {
	Status int    // 0 no further action, 1 further action required, 2 terminated by network, 3 other client, 4 not supported, 5 network time out
	Text   string // decoded text; "" when the answer carries none
	DCS    int    // data coding scheme (3GPP TS 23.038 5); -1 when absent
	Raw    string // <str> as printed, quotes removed
}

// ParseCUSD parses `+CUSD: <m>[,<str>[,<dcs>]]` (3GPP TS 27.007 7.15).
// <str> is decoded from hex when the modem prints it so: as UCS-2 when the
// DCS says UCS-2 (3GPP TS 23.038 5, e.g. 72 = 0x48, or 17 = 0x11 with its
// two-character language prefix), and otherwise when it only makes sense so:
// UCS-2 hex (modems set to +CSCS="UCS2" print any text that way) or packed
// GSM 7-bit hex (Huawei firmwares print 7-bit USSD that way). Text that is
// not hex is returned as printed. When a hex form cannot be decoded, Text
// keeps the raw string and the error says why.
func ParseCUSD(line string) (USSD, error) {
	l := strings.TrimSpace(line)
	payload, ok := cutPrefixFold(l, "+CUSD:")
	if !ok {
		return USSD{}, fmt.Errorf("modem: %s: not a +CUSD line", quoteLine(line))
	}
	f := splitFields(payload)
	if len(f) == 0 {
		return USSD{}, fmt.Errorf("modem: %s: %w", quoteLine(line), ErrNoAnswer)
	}
	u := USSD{DCS: -1}
	var err error
	if u.Status, err = parseUint(f[0].s); err != nil {
		return USSD{}, fmt.Errorf("modem: %s: <m>: %w", quoteLine(line), err)
	}
	if len(f) > 2 && f[2].s != "" {
		if u.DCS, err = parseUint(f[2].s); err != nil || u.DCS > 255 {
			return USSD{}, fmt.Errorf("modem: %s: <dcs> %q invalid", quoteLine(line), f[2].s)
		}
	}
	if len(f) > 1 {
		u.Raw = f[1].s
	}
	u.Text = u.Raw
	text, err := decodeUSSD(u.Raw, u.DCS)
	if err != nil {
		return u, fmt.Errorf("modem: %s: %w", quoteLine(line), err)
	}
	u.Text = text
	return u, nil
}

// ussdAlphabet is the character set a CBS data coding scheme selects
// (3GPP TS 23.038 5).
type ussdAlphabet int

const (
	ussdGSM7     ussdAlphabet = iota // GSM 7-bit default alphabet (or no DCS)
	ussdUCS2                         // UCS-2
	ussdUCS2Lang                     // UCS-2 after a two-character language prefix (0x11)
	ussdOther                        // 8-bit data or reserved
)

func cbsAlphabet(dcs int) ussdAlphabet {
	switch {
	case dcs < 0:
		return ussdGSM7
	case dcs == 0x11:
		return ussdUCS2Lang
	case dcs>>4 <= 3: // 0000xxxx-0011xxxx: language groups, GSM 7-bit
		return ussdGSM7
	case dcs>>6 == 1 || dcs>>4 == 9: // 01xxxxxx general coding, 1001xxxx with UDH
		switch (dcs >> 2) & 3 {
		case 0:
			return ussdGSM7
		case 2:
			return ussdUCS2
		}
		return ussdOther
	case dcs>>4 == 0xF:
		if dcs&0x04 == 0 {
			return ussdGSM7
		}
	}
	return ussdOther
}

func decodeUSSD(raw string, dcs int) (string, error) {
	if raw == "" || !isHexDigits(raw) || len(raw)%2 != 0 {
		return raw, nil
	}
	b, _ := hex.DecodeString(raw) // isHexDigits and even length: cannot fail
	switch cbsAlphabet(dcs) {
	case ussdUCS2:
		s, ok := decodeUCS2(b)
		if !ok {
			return raw, fmt.Errorf("modem: USSD: DCS %d says UCS-2 but %d octets do not decode", dcs, len(b))
		}
		return s, nil
	case ussdUCS2Lang:
		if len(b) < 2 {
			return raw, fmt.Errorf("modem: USSD: DCS %d: no language prefix", dcs)
		}
		s, ok := decodeUCS2(b[2:])
		if !ok {
			return raw, fmt.Errorf("modem: USSD: DCS %d says UCS-2 but %d octets do not decode", dcs, len(b)-2)
		}
		return s, nil
	case ussdGSM7:
		// Short hex-looking answers ("1234", "CAFE") are more likely text.
		if len(raw) < 8 {
			return raw, nil
		}
		if s, ok := decodeUCS2(b); ok && plausibleUCS2(s) {
			return s, nil
		}
		if s, ok := decodePacked7(b); ok {
			return s, nil
		}
	}
	return raw, nil
}

// decodeUCS2 decodes big-endian UTF-16. USSD text ends at the first NUL:
// some modems (Telit HE910) print their buffer's garbage after it.
func decodeUCS2(b []byte) (string, bool) {
	if len(b) == 0 || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i])<<8 | uint16(b[i+1])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	rs := utf16.Decode(u)
	for _, r := range rs {
		if r == unicode.ReplacementChar {
			return "", false
		}
	}
	return string(rs), true
}

// plausibleUCS2 reports whether s reads as text of one writing system:
// every character printable and from the Latin, Greek, Cyrillic, Hebrew,
// Arabic, Thai or CJK blocks (or an emoji). Packed 7-bit data read as UCS-2
// gives characters scattered over unrelated blocks.
func plausibleUCS2(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
		case !unicode.IsPrint(r):
			return false
		case r < 0x0250, r >= 0x0370 && r < 0x0700, r >= 0x0E00 && r < 0x0E80,
			r >= 0x2000 && r < 0x2070, r >= 0x20A0 && r < 0x20D0,
			r >= 0x3000 && r < 0x3100, r >= 0x4E00 && r < 0xA000,
			r >= 0xAC00 && r < 0xD7A4, r >= 0xFF00 && r < 0xFFF0, r >= 0x1F000:
		default:
			return false
		}
	}
	return true
}

// decodePacked7 decodes packed GSM 7-bit USSD (3GPP TS 23.038 6.1.2.3) and
// keeps the result only when it reads as text: mostly printable ASCII.
func decodePacked7(b []byte) (string, bool) {
	txt, err := gsm7.Decode(gsm7.Unpack7BitUSSD(b, 0))
	if err != nil || len(txt) == 0 {
		return "", false
	}
	s := strings.TrimRight(string(txt), "\r\n")
	var ascii, at, total int
	for _, r := range s {
		total++
		switch {
		case r == '@':
			at++
			ascii++
		case r >= 0x20 && r < 0x7F, r == '\n', r == '\r':
			ascii++
		}
	}
	if total == 0 || ascii*10 < total*8 || at*2 > total {
		return "", false
	}
	return s, true
}

// ParseIdentity returns the value of an identification answer: +CGMI,
// +CGMM, +CGMR (manufacturer, model, revision), +CGSN (IMEI), +CIMI (IMSI),
// ICCID (3GPP TS 27.007 5.1-5.6; the ICCID commands are vendor ones). It
// accepts the plain form (`356789012345678`), the prefixed one
// (`+CGSN: 3567...`), quotes, a vendor label on the plain form
// (`Revision: EG25GGBR07A08M2G`), and labelled lines of ATI answers
// (`Model: ...` with prefix "Model"). For an ICCID prefix (+CCID, +ICCID, ^ICCID, +QCCID, ^SCID) any
// of the ICCID prefixes is accepted, a nibble-swapped ICCID (Huawei ^ICCID
// prints the raw EF-ICCID, "98..." for "89...") is put back in order and
// the F filler dropped. It returns "" when no line carries a value.
func ParseIdentity(info []string, prefix string) string {
	prefixes := []string{prefix}
	iccid := isICCIDPrefix(prefix)
	if iccid {
		prefixes = iccidPrefixes
	}
	plain := ""
	for _, l := range splitLines(info) {
		line := strings.TrimSpace(l)
		if line == "" {
			continue
		}
		for _, p := range prefixes {
			if p == "" {
				continue
			}
			if v, ok := cutPrefixFold(line, p+":"); ok {
				return identityValue(v, iccid)
			}
		}
		if plain == "" && isPlainValue(line) {
			plain = identityValue(stripLabel(line), iccid)
		}
	}
	return plain
}

var iccidPrefixes = []string{"+CCID", "+ICCID", "^ICCID", "+QCCID", "^SCID", "+CICCID"}

func isICCIDPrefix(p string) bool {
	for _, x := range iccidPrefixes {
		if strings.EqualFold(p, x) {
			return true
		}
	}
	return false
}

// isPlainValue reports whether line can be the bare value of an
// identification answer: not an echo of the command, not a result code, not
// an unsolicited or prefixed line.
func isPlainValue(line string) bool {
	switch {
	case IsNoise(line), line == "OK", strings.HasPrefix(line, "ERROR"),
		strings.HasPrefix(line, "+"), strings.HasPrefix(line, "^"):
		return false
	case hasPrefixFold(line, "AT"):
		// The echo of AT+..., AT^..., AT&..., ATI...
		return len(line) > 2 && !strings.ContainsAny(line[2:3], "+^&Ii")
	}
	return true
}

// stripLabel drops the label some firmwares put before a bare answer
// (Quectel and SIMCom answer AT+CGMR with "Revision: ...").
func stripLabel(line string) string {
	for _, l := range []string{"Revision:", "Manufacturer:", "Model:", "IMEI:", "IMSI:", "ICCID:"} {
		if v, ok := cutPrefixFold(line, l); ok {
			return v
		}
	}
	return line
}

func identityValue(v string, iccid bool) string {
	v = strings.TrimSpace(strings.Trim(strings.TrimSpace(v), `"`))
	if !iccid {
		return v
	}
	u := strings.ToUpper(v)
	if !isHexDigits(u) {
		return v
	}
	if strings.HasPrefix(u, "98") {
		b := []byte(u)
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
		u = string(b)
	}
	return strings.TrimRight(u, "F")
}

// CMSError is a message service failure result code, +CMS ERROR (3GPP TS
// 27.005 3.2.5). Codes 0-127 are RP causes (TS 24.011 E.2), 128-255 TP
// failure causes (TS 23.040 9.2.3.22), 300-500 are 27.005's own.
type CMSError struct {
	Code int    // -1 when the modem gave a text that maps to no code
	Text string // the modem's text, or the standard text of Code
}

func (e *CMSError) Error() string {
	return errorString("+CMS ERROR", e.Code, e.Text)
}

// CMEError is a mobile termination error result code, +CME ERROR (3GPP TS
// 27.007 9.2).
type CMEError struct {
	Code int    // -1 when the modem gave a text that maps to no code
	Text string // the modem's text, or the standard text of Code
}

func (e *CMEError) Error() string {
	return errorString("+CME ERROR", e.Code, e.Text)
}

func errorString(kind string, code int, text string) string {
	switch {
	case code < 0:
		return fmt.Sprintf("%s: %s", kind, text)
	case text == "":
		return fmt.Sprintf("%s: %d", kind, code)
	}
	return fmt.Sprintf("%s: %d (%s)", kind, code, text)
}

// ClassifyATError turns the at.CMSError / at.CMEError returned by at.AT (the
// text after "+CMS ERROR:" / "+CME ERROR:", numeric with +CMEE=1, verbose
// with +CMEE=2) into a *CMSError / *CMEError with both the code and the
// text, so that errors.As works with either. A wrapped at error keeps its
// context. Other errors are returned unchanged.
func ClassifyATError(err error) error {
	var (
		cms   at.CMSError
		cme   at.CMEError
		typed error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cms):
		c, t := lookupCode(string(cms), cmsTexts)
		typed = &CMSError{Code: c, Text: t}
		if err == error(cms) {
			return typed
		}
	case errors.As(err, &cme):
		c, t := lookupCode(string(cme), cmeTexts)
		typed = &CMEError{Code: c, Text: t}
		if err == error(cme) {
			return typed
		}
	default:
		return err
	}
	return &classifiedError{orig: err, typed: typed}
}

// classifiedError keeps a wrapped at error's message and chain while adding
// its typed form.
type classifiedError struct {
	orig, typed error
}

func (e *classifiedError) Error() string   { return e.orig.Error() }
func (e *classifiedError) Unwrap() []error { return []error{e.typed, e.orig} }

// lookupCode maps a numeric or textual error value to a code and a text.
func lookupCode(v string, table map[int]string) (int, string) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n, table[n]
	}
	// Two codes can share a text (CMS 22 and 0xD3, "memory capacity
	// exceeded"): the highest wins, so the answer does not depend on map
	// order.
	key, best := normalizeErrText(v), -1
	for code, text := range table {
		if code > best && normalizeErrText(text) == key {
			best = code
		}
	}
	return best, v
}

// normalizeErrText lower-cases an error text and drops what vendors vary:
// "(U)SIM" vs "SIM", punctuation, repeated spaces.
func normalizeErrText(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "(u)", "")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// cmsTexts holds the +CMS ERROR codes of 3GPP TS 27.005 3.2.5, with the RP
// causes of TS 24.011 E.2 and the TP-FCS values of TS 23.040 9.2.3.22.
var cmsTexts = map[int]string{
	1: "Unassigned (unallocated) number", 8: "Operator determined barring", 10: "Call barred",
	21: "Short message transfer rejected", 22: "Memory capacity exceeded", 27: "Destination out of service",
	28: "Unidentified subscriber", 29: "Facility rejected", 30: "Unknown subscriber",
	38: "Network out of order", 41: "Temporary failure", 42: "Congestion",
	47: "Resources unavailable, unspecified", 50: "Requested facility not subscribed",
	69: "Requested facility not implemented", 81: "Invalid short message transfer reference value",
	95: "Invalid message, unspecified", 96: "Invalid mandatory information",
	97: "Message type non-existent or not implemented", 98: "Message not compatible with short message protocol state",
	99: "Information element non-existent or not implemented", 111: "Protocol error, unspecified",
	127:  "Interworking, unspecified",
	0x80: "Telematic interworking not supported", 0x81: "Short message Type 0 not supported",
	0x82: "Cannot replace short message", 0x8F: "Unspecified TP-PID error",
	0x90: "Data coding scheme (alphabet) not supported", 0x91: "Message class not supported",
	0x9F: "Unspecified TP-DCS error", 0xA0: "Command cannot be actioned", 0xA1: "Command unsupported",
	0xAF: "Unspecified TP-Command error", 0xB0: "TPDU not supported", 0xC0: "SC busy",
	0xC1: "No SC subscription", 0xC2: "SC system failure", 0xC3: "Invalid SME address",
	0xC4: "Destination SME barred", 0xC5: "SM Rejected-Duplicate SM", 0xC6: "TP-VPF not supported",
	0xC7: "TP-VP not supported", 0xD0: "(U)SIM SMS storage full", 0xD1: "No SMS storage capability in (U)SIM",
	0xD2: "Error in MS", 0xD3: "Memory Capacity Exceeded", 0xD4: "(U)SIM Application Toolkit Busy",
	0xD5: "(U)SIM data download error", 0xFF: "Unspecified error cause",
	300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
	303: "operation not supported", 304: "invalid PDU mode parameter", 305: "invalid text mode parameter",
	310: "(U)SIM not inserted", 311: "(U)SIM PIN required", 312: "PH-(U)SIM PIN required",
	313: "(U)SIM failure", 314: "(U)SIM busy", 315: "(U)SIM wrong", 316: "(U)SIM PUK required",
	317: "(U)SIM PIN2 required", 318: "(U)SIM PUK2 required", 320: "memory failure",
	321: "invalid memory index", 322: "memory full", 330: "SMSC address unknown",
	331: "no network service", 332: "network timeout", 340: "no +CNMA acknowledgement expected",
	500: "unknown error",
}

// cmeTexts holds the +CME ERROR codes of 3GPP TS 27.007 9.2.
var cmeTexts = map[int]string{
	0: "phone failure", 1: "no connection to phone", 2: "phone-adaptor link reserved",
	3: "operation not allowed", 4: "operation not supported", 5: "PH-SIM PIN required",
	6: "PH-FSIM PIN required", 7: "PH-FSIM PUK required", 10: "SIM not inserted",
	11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
	15: "SIM wrong", 16: "incorrect password", 17: "SIM PIN2 required", 18: "SIM PUK2 required",
	20: "memory full", 21: "invalid index", 22: "not found", 23: "memory failure",
	24: "text string too long", 25: "invalid characters in text string", 26: "dial string too long",
	27: "invalid characters in dial string", 30: "no network service", 31: "network timeout",
	32: "network not allowed - emergency calls only", 40: "network personalization PIN required",
	41: "network personalization PUK required", 42: "network subset personalization PIN required",
	43: "network subset personalization PUK required", 44: "service provider personalization PIN required",
	45: "service provider personalization PUK required", 46: "corporate personalization PIN required",
	47: "corporate personalization PUK required", 48: "hidden key required", 49: "EAP method not supported",
	50: "Incorrect parameters", 51: "command implemented but currently disabled", 52: "command aborted by user",
	53: "not attached to network due to MT functionality restrictions",
	54: "modem not allowed - MT restricted to emergency calls only",
	55: "operation not allowed because of MT functionality restrictions",
	56: "fixed dial number only allowed", 57: "temporarily out of service due to other MT usage",
	58: "language/alphabet not supported", 59: "unexpected data value", 60: "system failure",
	61: "data missing", 62: "call barred", 63: "message waiting indication subscription failure",
	100: "unknown", 103: "Illegal MS", 106: "Illegal ME", 107: "GPRS services not allowed",
	111: "PLMN not allowed", 112: "Location area not allowed", 113: "Roaming not allowed in this location area",
	132: "service option not supported", 133: "requested service option not subscribed",
	134: "service option temporarily out of order", 148: "unspecified GPRS error",
	149: "PDP authentication failure", 150: "invalid mobile class",
}

// IsNoise reports whether line is unsolicited output that a command exchange
// must skip: Huawei/ZTE status lines (^RSSI, ^BOOT, ^MODE, ^SRVST, ^HCSQ,
// ^DSFLOWRPT, ^SIMST, ^SYSSTART, ^CEND, ^ORIG, ^CONF, ^CONN, ^STIN and every
// other ^ line), boot banners (RDY, SMS DONE, PB DONE, Call Ready, SMS Ready,
// +PACSP, +QIND, +QUSIM, +CFUN, +CPIN), registration and time-zone updates
// (+CREG, +CGREG, +CEREG, +C5GREG, +CTZV, +CTZE, +CIEV, +WIND), the
// indications of messages, calls and USSD (+CMTI, +CDSI, +CMT, +CDS, +CBM,
// RING, +CRING, +CLIP, +CLCC, NO CARRIER, +CUSD, ...), and empty lines.
// Several of these are events for the indication handlers; IsNoise only
// says that they are not part of a command's answer. A parser that wants
// one of these prefixes (ParseCREG, ParseCPIN, ...) checks its own prefix
// first.
func IsNoise(line string) bool {
	l := strings.TrimSpace(line)
	if l == "" || l[0] == '^' {
		return true
	}
	for _, s := range noiseLines {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	for _, p := range noisePrefixes {
		if hasPrefixFold(l, p) {
			return true
		}
	}
	return false
}

var noiseLines = []string{
	"RDY", "SMS DONE", "PB DONE", "Call Ready", "SMS Ready", "RING", "NO CARRIER",
	"+PACSP0", "+PACSP1", "NORMAL POWER DOWN",
}

var noisePrefixes = []string{
	"+QIND:", "+QUSIM:", "+CFUN:", "+CPIN:", "+PACSP:",
	"+CREG:", "+CGREG:", "+CEREG:", "+C5GREG:",
	"+CTZV:", "+CTZE:", "+CTZU:", "+CIEV:", "+WIND:", "+CGEV:", "*PSUTTZ", "DST:", "+PSUTTZ",
	"+CMTI:", "+CDSI:", "+CMT:", "+CDS:", "+CBM:", "+CBMI:",
	"+CRING:", "+CLIP:", "+CLCC:", "+CCWA:", "+CSSI:", "+CSSU:", "+CUSD:",
	"MISSED_CALL:", "VOICE CALL:", "HANGUP:", "+STIN:", "+STKPCI:", "+QSTK",
	"UNDER-VOLTAGE", "OVER-VOLTAGE", "*ATREADY:",
}

// pduHeader is what the +CMGL / +CMGR headers tell about one message.
type pduHeader struct {
	index, stat, length int
}

// parseCMGLHeader parses what follows "+CMGL:" in PDU mode:
// <index>,<stat>,[<alpha>],<length>, or <index>,<stat>,<length> (Pantech).
// index is -1 in the result when even the index cannot be read.
func parseCMGLHeader(p string) (pduHeader, error) {
	h := pduHeader{index: -1, stat: -1}
	if strings.HasPrefix(strings.TrimSpace(p), "(") {
		return h, ErrRangeAnswer
	}
	f := splitFields(p)
	if len(f) == 0 {
		return h, ErrNoAnswer
	}
	if idx, err := parseUint(f[0].s); err == nil {
		h.index = idx
	}
	if isTextModeHeader(f, 4) {
		return h, ErrTextMode
	}
	if len(f) < 3 {
		return h, fmt.Errorf("want <index>,<stat>,[<alpha>],<length>, got %d fields", len(f))
	}
	if h.index < 0 {
		return h, fmt.Errorf("<index> %q invalid", f[0].s)
	}
	stat, err := parseStat(f[1])
	if err != nil {
		return h, err
	}
	h.stat = stat
	if h.length, err = parseLength(f[len(f)-1].s); err != nil {
		return h, err
	}
	return h, nil
}

// parseCMGRHeader parses what follows "+CMGR:" in PDU mode:
// <stat>,[<alpha>],<length>; also <stat>,<length>, <length> alone, and
// <index>,<stat>,[<alpha>],<length>.
func parseCMGRHeader(p string) (pduHeader, error) {
	h := pduHeader{index: -1, stat: -1}
	f := splitFields(p)
	if len(f) == 0 {
		return h, ErrNoAnswer
	}
	if strings.HasPrefix(strings.TrimSpace(p), "(") {
		return h, ErrRangeAnswer
	}
	if isTextModeHeader(f, 4) {
		return h, ErrTextMode
	}
	var err error
	if h.length, err = parseLength(f[len(f)-1].s); err != nil {
		return h, err
	}
	statAt := -1
	switch len(f) {
	case 2, 3:
		statAt = 0
	case 4:
		statAt = 1
	}
	if statAt >= 0 {
		if h.stat, err = parseStat(f[statAt]); err != nil {
			return h, err
		}
	}
	return h, nil
}

// parsePushedHeader parses what follows "+CMT:" ([<alpha>],<length>) or
// "+CDS:" (<length>) in PDU mode.
func parsePushedHeader(hdrP, p string) (int, error) {
	f := splitFields(p)
	if len(f) == 0 {
		return 0, ErrNoAnswer
	}
	fields := 2
	if hdrP == "+CDS:" {
		fields = 1
	}
	if isTextModeHeader(f, fields) {
		return 0, ErrTextMode
	}
	n, err := parseLength(f[len(f)-1].s)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errors.New("<length> is 0")
	}
	return n, nil
}

// isTextModeHeader reports whether the fields of an SMS header are a
// text-mode one (3GPP TS 27.005 3.4.1-3.4.3): more fields than the PDU-mode
// form has, or a last field that is a string or empty where PDU mode puts
// <length>.
func isTextModeHeader(f []field, pduFields int) bool {
	if len(f) == 0 {
		return false
	}
	last := f[len(f)-1]
	return len(f) > pduFields || last.quoted || (len(f) > 1 && last.s == "")
}

// parseStat reads <stat> (3GPP TS 27.005 3.1): a number in PDU mode, a
// string on some firmwares; "" is unknown (-1).
func parseStat(f field) (int, error) {
	switch strings.ToUpper(f.s) {
	case "":
		return -1, nil
	case "REC UNREAD":
		return 0, nil
	case "REC READ":
		return 1, nil
	case "STO UNSENT":
		return 2, nil
	case "STO SENT":
		return 3, nil
	}
	n, err := parseUint(f.s)
	if err != nil || n > 3 {
		return -1, fmt.Errorf("<stat> %q invalid", f.s)
	}
	return n, nil
}

// parseLength reads <length>, the TPDU length in octets; an SMS TPDU is
// never longer than 255 octets.
func parseLength(s string) (int, error) {
	n, err := parseUint(s)
	if err != nil {
		return 0, fmt.Errorf("<length>: %w", err)
	}
	if n > 255 {
		return 0, fmt.Errorf("<length> %d out of range", n)
	}
	return n, nil
}

// collectPDU gathers the hex of the PDU that starts at lines[i] or after
// noise: the first hex line, then, while the hex is shorter than the
// header announces (SMSC length octet + 1 + declared TPDU octets), the next
// hex lines, skipping the noise between them. It stops at the next header.
// next is the index of the first line not consumed.
func collectPDU(lines []string, i, declared int, hdrP string) (hexPDU string, next int, err error) {
	n := len(lines)
	nextHex := func(j int) int {
		for j < n && !isHeaderLine(lines[j], hdrP) && !isHexLine(lines[j]) {
			j++
		}
		if j >= n || isHeaderLine(lines[j], hdrP) {
			return -1
		}
		return j
	}
	j := nextHex(i)
	if j < 0 {
		for next = i; next < n && !isHeaderLine(lines[next], hdrP); next++ {
		}
		return "", next, ErrNoPDU
	}
	var sb strings.Builder
	sb.WriteString(cleanHex(lines[j]))
	next = j + 1
	for {
		h := sb.String()
		need := 2
		if len(h) >= 2 {
			if l, err := strconv.ParseUint(h[:2], 16, 8); err == nil {
				need = 2 * (1 + int(l) + declared)
			}
		}
		if len(h) >= need {
			return h, next, nil
		}
		k := nextHex(next)
		if k < 0 {
			return h, next, nil
		}
		sb.WriteString(cleanHex(lines[k]))
		next = k + 1
	}
}

// framePDU decodes the collected hex and checks it against the declared
// TPDU length: shorter is a *LengthError; 0xFF padding beyond it is dropped;
// other surplus octets are kept (the TPDU decoder finds its own end, and
// nothing received is thrown away).
func framePDU(hexPDU string, declared int) ([]byte, error) {
	b, err := DecodePDUHex(hexPDU)
	if err != nil {
		return nil, err
	}
	start := 1 + int(b[0])
	if got := len(b) - start; got < declared {
		return nil, &LengthError{Declared: declared, Got: got, PDU: b}
	}
	end := len(b)
	for end > start+declared && b[end-1] == 0xFF {
		end--
	}
	b = b[:end]
	allFF := true
	for _, x := range b[start:] {
		if x != 0xFF {
			allFF = false
			break
		}
	}
	if allFF {
		return nil, fmt.Errorf("TPDU is 0xFF filler: %w", ErrEmptySlot)
	}
	return b, nil
}

// findInfo returns the first info line with prefix and what follows it.
// A missing line, or one with nothing after the prefix, is ErrNoAnswer.
func findInfo(info []string, prefix string) (line, payload string, err error) {
	for _, l := range splitLines(info) {
		line = strings.TrimSpace(l)
		if payload, ok := cutPrefixFold(line, prefix); ok {
			payload = strings.TrimSpace(payload)
			if payload == "" {
				return line, "", fmt.Errorf("modem: %s: %w", quoteLine(line), ErrNoAnswer)
			}
			return line, payload, nil
		}
	}
	return "", "", fmt.Errorf("modem: no %s line in %d info lines: %w", prefix, len(info), ErrNoAnswer)
}

// field is one comma-separated field of an info line.
type field struct {
	s      string // trimmed, quotes removed
	quoted bool
}

// splitFields splits an info line's payload on commas, honouring double
// quotes. When the quotes are unbalanced or misplaced (`"TELE2,0`,
// `"0B,"0100701"`), it falls back to a plain split and strips the quotes of
// each field, which is what such lines mean.
func splitFields(s string) []field {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if f, ok := splitQuoted(s); ok {
		return f
	}
	parts := strings.Split(s, ",")
	out := make([]field, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		out[i] = field{s: strings.TrimSpace(strings.Trim(p, `"`)), quoted: strings.Contains(p, `"`)}
	}
	return out
}

func splitQuoted(s string) ([]field, bool) {
	var out []field
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, false
			}
			out = append(out, field{s: s[i+1 : i+1+end], quoted: true})
			i += end + 2
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i == len(s) {
				return out, true
			}
			if s[i] != ',' {
				return nil, false
			}
			i++
			continue
		}
		end := strings.IndexByte(s[i:], ',')
		if end < 0 {
			v := strings.TrimSpace(s[i:])
			if strings.Contains(v, `"`) {
				return nil, false
			}
			return append(out, field{s: v}), true
		}
		v := strings.TrimSpace(s[i : i+end])
		if strings.Contains(v, `"`) {
			return nil, false
		}
		out = append(out, field{s: v})
		i += end + 1
	}
}

// splitLines flattens info lines on CR and LF: indication handlers and
// captures may hand over "+CMT: ,23\r0791...".
func splitLines(in []string) []string {
	out := make([]string, 0, len(in))
	for _, l := range in {
		if !strings.ContainsAny(l, "\r\n") {
			out = append(out, l)
			continue
		}
		out = append(out, strings.FieldsFunc(l, func(r rune) bool { return r == '\r' || r == '\n' })...)
	}
	return out
}

func isHeaderLine(l, prefix string) bool {
	_, ok := cutPrefixFold(strings.TrimSpace(l), prefix)
	return ok
}

// isHexLine reports whether l is a PDU line: hex digits only, once spaces
// and quotes are removed.
func isHexLine(l string) bool {
	h := cleanHex(l)
	return h != "" && isHexDigits(h)
}

func cleanHex(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '"', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

func isHexDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseUint reads a non-negative decimal field (leading zeros allowed).
func parseUint(s string) (int, error) {
	s = strings.TrimSpace(s)
	if !isDigits(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q out of range", s)
	}
	return int(n), nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case, trimming the
// spaces after the prefix.
func cutPrefixFold(s, prefix string) (string, bool) {
	if !hasPrefixFold(s, prefix) {
		return "", false
	}
	return strings.TrimSpace(s[len(prefix):]), true
}

// quoteLine quotes a line for an error message, shortened when long.
func quoteLine(s string) string {
	const limit = 80
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
