package pdu

// Encoding is the alphabet of an SMS's user data (3GPP TS 23.038 §4, TP-DCS).
type Encoding string

// The three user data alphabets of TS 23.038 §4.
const (
	GSM7  Encoding = "gsm7" // GSM 03.38 default alphabet, 7-bit packed
	UCS2  Encoding = "ucs2" // UTF-16BE (surrogate pairs allowed, as phones do)
	Data8 Encoding = "8bit" // binary user data
)

// Per-part capacities (TS 23.040 §9.2.3.16, §9.2.3.24.1): 140 octets of user
// data, less the 6-octet concatenation UDH (UDHL + IEI + IEDL + 3 octets)
// when a message needs several parts.
const (
	gsm7Single = 160
	gsm7Multi  = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// Count is the one counting function's result, used by API responses, the UI
// live counter and billing (SPEC P2).
type Count struct {
	Encoding Encoding
	// Chars is septets for GSM7 (extension characters € [ ] { } ~ \ ^ | count
	// 2) and UTF-16 code units for UCS2 (an emoji counts 2).
	Chars int
	// Parts is the number of SMS the text needs, computed by the real
	// splitter: an escape sequence or surrogate pair is never cut, so it may
	// exceed the naive ceil(Chars/PerPart).
	Parts int
	// PerPart is 160 or 153 (GSM7), 70 or 67 (UCS2).
	PerPart int
	// Remaining is the number of characters (septets / UTF-16 units) still
	// free in the last part.
	Remaining int
}

// CountOptions tunes CountText.
type CountOptions struct {
	// Transliterate replaces characters outside GSM 03.38 by close GSM
	// equivalents first (see Transliterate), as EncodeSubmit does with
	// SubmitOptions.Transliterate.
	Transliterate bool
}

// CountText counts text the way EncodeSubmit splits it (SPEC P2).
func CountText(text string, opts CountOptions) Count {
	return Count{}
}

// Transliterate replaces accented and typographic characters that are not in
// the GSM 03.38 default alphabet or its extension table by close equivalents
// that are (â->a, ê->e, œ->oe, ’->'), so a French text stays 7-bit (SPEC P1).
// Characters already in GSM 03.38 (é è à ù ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ
// æ Ø ø ...) are kept, as is anything without a close equivalent.
func Transliterate(text string) string {
	return text
}
