package pdu

import (
	"strings"
	"unicode/utf8"

	"github.com/warthog618/sms/encoding/gsm7/charset"
)

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
// when a message needs several parts. In 7-bit that UDH takes 7 septets
// (48 bits plus 1 fill bit), leaving 153.
const (
	gsm7Single = 160
	gsm7Multi  = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// esc is the GSM 7-bit escape to the extension table (TS 23.038 §6.2.1.1).
const esc = 0x1B

// gsmAlphabet maps each rune of the GSM 03.38 default alphabet and of its
// extension table to its septets. It is built once at package initialisation
// and only read afterwards. Building it here also makes the library fill its
// own lazily built maps (charset.DefaultEncoder and friends write package
// variables on first use) before any goroutine of ours can race on them.
var gsmAlphabet = newGSMAlphabet()

type gsmTable struct {
	latin [256]uint16       // runes < 256: septet+1, or (esc<<8 | septet)+1; 0 = not GSM
	other map[rune][]byte   // runes >= 256 (Greek capitals, €)
	dec   map[int]decTables // national language tables by NLI, for decoding
}

type decTables struct {
	lock, shift charset.Decoder
}

func newGSMAlphabet() *gsmTable {
	t := &gsmTable{other: map[rune][]byte{}, dec: map[int]decTables{}}
	put := func(r rune, septets ...byte) {
		if r < 256 {
			v := uint16(septets[0])
			if len(septets) == 2 {
				v = uint16(septets[0])<<8 | uint16(septets[1])
			}
			t.latin[r] = v + 1
			return
		}
		t.other[r] = septets
	}
	// Extension first, so that a rune present in both tables (the library
	// maps '\n' in both) ends with its single-septet code.
	for r, s := range charset.DefaultExtEncoder() {
		put(r, esc, s)
	}
	for r, s := range charset.DefaultEncoder() {
		if s == esc {
			// U+001B would be sent as a bare escape and swallow the next
			// character; it is not a GSM character.
			continue
		}
		put(r, s)
	}
	t.dec[0] = decTables{lock: charset.DefaultDecoder(), shift: charset.DefaultExtDecoder()}
	for nli := charset.Start; nli < charset.End; nli++ {
		t.dec[nli] = decTables{lock: charset.NewDecoder(nli), shift: charset.NewExtDecoder(nli)}
	}
	return t
}

// septets returns r's GSM 7-bit code (one septet, or esc and one septet for
// the extension table), or nil when r is not in GSM 03.38.
func (t *gsmTable) septets(r rune, buf *[2]byte) []byte {
	if r >= 0 && r < 256 {
		v := t.latin[r]
		if v == 0 {
			return nil
		}
		v--
		if v>>8 == esc {
			buf[0], buf[1] = esc, byte(v)
			return buf[:2]
		}
		buf[0] = byte(v)
		return buf[:1]
	}
	return t.other[r]
}

// cost returns how many septets r takes, 0 when it is not in GSM 03.38.
func (t *gsmTable) cost(r rune) int {
	if r >= 0 && r < 256 {
		v := t.latin[r]
		switch {
		case v == 0:
			return 0
		case (v-1)>>8 == esc:
			return 2
		default:
			return 1
		}
	}
	return len(t.other[r])
}

// isGSM reports whether every rune of text is in the GSM 03.38 default
// alphabet or its extension table.
func isGSM(text string) bool {
	for _, r := range text {
		if gsmAlphabet.cost(r) == 0 {
			return false
		}
	}
	return true
}

// runeCost is what r takes in enc: septets for GSM7, UTF-16 code units for
// UCS2.
func runeCost(r rune, enc Encoding) int {
	if enc == GSM7 {
		return gsmAlphabet.cost(r)
	}
	if r > 0xFFFF && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// fill returns the byte offset in text where a part starting at start and
// holding capacity characters must end, and how many it holds. A character
// is never cut: an escape sequence or a surrogate pair that does not fit
// goes whole to the next part (SPEC P6). CountText and EncodeSubmit both
// split with it, so they always agree.
func fill(text string, start int, enc Encoding, capacity int) (end, used int) {
	for i, r := range text[start:] {
		c := runeCost(r, enc)
		if used+c > capacity {
			return start + i, used
		}
		used += c
	}
	return len(text), used
}

// limits returns the single-part and per-part capacities of enc.
func limits(enc Encoding) (single, multi int) {
	if enc == GSM7 {
		return gsm7Single, gsm7Multi
	}
	return ucs2Single, ucs2Multi
}

// Count is the one counting function's result, used by API responses, the UI
// live counter and billing (SPEC P2).
type Count struct {
	Encoding Encoding
	// Chars is septets for GSM7 (extension characters € [ ] { } ~ \ ^ | and
	// form feed count 2) and UTF-16 code units for UCS2 (an emoji counts 2).
	Chars int
	// Parts is the number of SMS the text needs, computed by the real
	// splitter: an escape sequence or surrogate pair is never cut, so it may
	// exceed the naive ceil(Chars/PerPart). An empty text is one (empty) SMS.
	Parts int
	// PerPart is 160 or 153 (GSM7), 70 or 67 (UCS2).
	PerPart int
	// Remaining is the number of characters (septets / UTF-16 units) still
	// free in the last part.
	Remaining int
}

// CountOptions tunes CountText.
type CountOptions struct {
	// Transliterate applies the same choice as
	// SubmitOptions.Transliterate (see chooseText).
	Transliterate bool
}

// CountText counts text exactly as EncodeSubmit splits it (SPEC P2): GSM 7-bit
// when every character is in GSM 03.38 (default alphabet and extension
// table), UCS-2 otherwise. Invalid UTF-8 bytes count as U+FFFD, which forces
// UCS-2 (EncodeSubmit refuses such text).
func CountText(text string, opts CountOptions) Count {
	text, enc := chooseText(text, opts.Transliterate)
	single, multi := limits(enc)
	total := 0
	for _, r := range text {
		total += runeCost(r, enc)
	}
	if total <= single {
		return Count{Encoding: enc, Chars: total, Parts: 1, PerPart: single, Remaining: single - total}
	}
	parts, used := 0, 0
	for start := 0; start < len(text); parts++ {
		start, used = fill(text, start, enc, multi)
	}
	return Count{Encoding: enc, Chars: total, Parts: parts, PerPart: multi, Remaining: multi - used}
}

// chooseText returns the text to send and its encoding. With transliterate,
// the transliterated text is used only when it is then all GSM 03.38: if a
// character (an emoji, Arabic) forces UCS-2 anyway, the original text is
// sent, accents and all, since transliterating would save nothing.
func chooseText(text string, transliterate bool) (string, Encoding) {
	if isGSM(text) {
		return text, GSM7
	}
	if transliterate {
		if t := Transliterate(text); isGSM(t) {
			return t, GSM7
		}
	}
	return text, UCS2
}

// transliterations maps characters outside GSM 03.38 to GSM look-alikes.
// Lower-case ç becomes c: GSM has only Ç (0x09), and "garÇon" reads worse
// than "garcon".
var transliterations = map[rune]string{
	'á': "a", 'â': "a", 'ã': "a", 'ą': "a", 'ā': "a", 'ă': "a",
	'Á': "A", 'À': "A", 'Â': "A", 'Ã': "A", 'Ą': "A", 'Ā': "A", 'Ă': "A",
	'ç': "c", 'ć': "c", 'č': "c", 'Ć': "C", 'Č': "C",
	'ď': "d", 'Ď': "D", 'đ': "d", 'Đ': "D",
	'ê': "e", 'ë': "e", 'ę': "e", 'ě': "e", 'ē': "e", 'ė': "e",
	'È': "E", 'Ê': "E", 'Ë': "E", 'Ę': "E", 'Ě': "E", 'Ē': "E", 'Ė': "E",
	'ğ': "g", 'Ğ': "G",
	'í': "i", 'î': "i", 'ï': "i", 'ı': "i", 'ī': "i", 'į': "i",
	'Í': "I", 'Ì': "I", 'Î': "I", 'Ï': "I", 'İ': "I", 'Ī': "I", 'Į': "I",
	'ł': "l", 'Ł': "L", 'ľ': "l", 'Ľ': "L", 'ĺ': "l", 'Ĺ': "L",
	'ń': "n", 'ň': "n", 'Ń': "N", 'Ň': "N",
	'ó': "o", 'ô': "o", 'õ': "o", 'ő': "o", 'ō': "o",
	'Ó': "O", 'Ò': "O", 'Ô': "O", 'Õ': "O", 'Ő': "O", 'Ō': "O",
	'œ': "oe", 'Œ': "OE",
	'ŕ': "r", 'ř': "r", 'Ŕ': "R", 'Ř': "R",
	'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'Ś': "S", 'Š': "S", 'Ş': "S", 'Ș': "S",
	'ť': "t", 'ţ': "t", 'ț': "t", 'Ť': "T", 'Ţ': "T", 'Ț': "T",
	'ú': "u", 'û': "u", 'ů': "u", 'ű': "u", 'ū': "u", 'ų': "u",
	'Ú': "U", 'Ù': "U", 'Û': "U", 'Ů': "U", 'Ű': "U", 'Ū': "U", 'Ų': "U",
	'ý': "y", 'ÿ': "y", 'Ý': "Y", 'Ÿ': "Y",
	'ź': "z", 'ż': "z", 'ž': "z", 'Ź': "Z", 'Ż': "Z", 'Ž': "Z",
	'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th",
	// Typography that word processors and phones insert.
	'\u2018': "'", '\u2019': "'", '\u201A': "'", '\u2032': "'", '`': "'", '´': "'",
	'\u201C': "\"", '\u201D': "\"", '\u201E': "\"", '«': "\"", '»': "\"", '\u2033': "\"",
	'\u2010': "-", '\u2011': "-", '\u2012': "-", '\u2013': "-", '\u2014': "-", '\u2212': "-",
	'\u2026': "...", '\u2022': "-", '·': ".",
	'\u00A0': " ", '\u2007': " ", '\u2009': " ", '\u202F': " ", '\u200B': "",
	'\t': " ", '°': "o", '©': "(c)", '®': "(R)", '™': "TM",
}

// Transliterate replaces accented and typographic characters that are not in
// the GSM 03.38 default alphabet or its extension table by close equivalents
// that are (â->a, ê->e, ô->o, œ->oe, ’->', « »->", –->-, …->...), so that a
// French text stays 7-bit (SPEC P1). Characters already in GSM 03.38 (é è à ù
// ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ æ Ø ø ...) are kept, and so is anything
// without a close equivalent (emoji, Arabic, Greek lower case).
func Transliterate(text string) string {
	first := -1
	for i, r := range text {
		if gsmAlphabet.cost(r) == 0 {
			if _, ok := transliterations[r]; ok {
				first = i
				break
			}
		}
	}
	if first < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	b.WriteString(text[:first])
	for i := first; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		s, ok := transliterations[r]
		if !ok || gsmAlphabet.cost(r) != 0 {
			// Copy the original bytes, so invalid UTF-8 passes unchanged.
			s = text[i : i+size]
		}
		b.WriteString(s)
		i += size
	}
	return b.String()
}
