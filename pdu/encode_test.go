package pdu

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"
)

func TestCountText(t *testing.T) {
	tests := []struct {
		name string
		text string
		tr   bool
		want Count
	}{
		{"empty", "", false, Count{GSM7, 0, 1, 160, 160}},
		{"hello", "Hello", false, Count{GSM7, 5, 1, 160, 155}},
		{"160 gsm", strings.Repeat("a", 160), false, Count{GSM7, 160, 1, 160, 0}},
		{"161 gsm", strings.Repeat("a", 161), false, Count{GSM7, 161, 2, 153, 145}},
		{"306 gsm", strings.Repeat("a", 306), false, Count{GSM7, 306, 2, 153, 0}},
		{"307 gsm", strings.Repeat("a", 307), false, Count{GSM7, 307, 3, 153, 152}},
		{"1224 gsm", strings.Repeat("a", 1224), false, Count{GSM7, 1224, 8, 153, 0}},
		{"extension chars count 2", "€[]{}~^|\\", false, Count{GSM7, 18, 1, 160, 142}},
		{"80 euros", strings.Repeat("€", 80), false, Count{GSM7, 160, 1, 160, 0}},
		{"81 euros", strings.Repeat("€", 81), false, Count{GSM7, 162, 2, 153, 143}},
		// 152 'a' then '€': the escape pair cannot straddle 153/154, so the
		// euro opens part 2 and part 1 carries 152 septets; 306 septets then
		// need 3 parts where the naive ceil(306/153) says 2.
		{"escape on the 153 boundary", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), false, Count{GSM7, 306, 3, 153, 152}},
		{"french accents in GSM", "é è à ù ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ æ Ø ø", false, Count{GSM7, 45, 1, 160, 115}},
		{"ç forces UCS-2", "garçon", false, Count{UCS2, 6, 1, 70, 64}},
		{"ç transliterated", "garçon", true, Count{GSM7, 6, 1, 160, 154}},
		{"â ê ô œ transliterated", "pâte crêpe hôtel œuf", true, Count{GSM7, 21, 1, 160, 139}},
		{"emoji stays UCS-2 even with transliteration", "crêpe 😀", true, Count{UCS2, 8, 1, 70, 62}},
		{"70 ucs2", strings.Repeat("ж", 70), false, Count{UCS2, 70, 1, 70, 0}},
		{"71 ucs2", strings.Repeat("ж", 71), false, Count{UCS2, 71, 2, 67, 63}},
		{"emoji counts 2", "😀", false, Count{UCS2, 2, 1, 70, 68}},
		{"35 emoji", strings.Repeat("😀", 35), false, Count{UCS2, 70, 1, 70, 0}},
		// 33 emoji = 66 units; the 34th would straddle 67/68.
		{"emoji on the 67 boundary", strings.Repeat("😀", 36), false, Count{UCS2, 72, 2, 67, 61}},
		{"arabic", "مرحبا بالعالم", false, Count{UCS2, 13, 1, 70, 57}},
		{"U+001B is not GSM", "a\x1bb", false, Count{UCS2, 3, 1, 70, 67}},
		{"invalid UTF-8 counts as U+FFFD", "a\xffb", false, Count{UCS2, 3, 1, 70, 67}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CountText(tt.text, CountOptions{Transliterate: tt.tr})
			if got != tt.want {
				t.Errorf("CountText(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestTransliterate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hôtel Crêpe Pâte Île Œuvre œuf", "Hotel Crepe Pate Ile OEuvre oeuf"},
		{"garçon Ça", "garcon Ça"},
		{"é è à ù ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ æ Ø ø", "é è à ù ì ò Ç É Ä Ö Ñ Ü ä ö ñ ü ß Å å Æ æ Ø ø"},
		{"l’été «chaud» – 20°…", "l'été \"chaud\" - 20o..."},
		{"emoji 😀 and مرحبا stay", "emoji 😀 and مرحبا stay"},
		{"invalid \xff kept, ê changed", "invalid \xff kept, e changed"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Transliterate(tt.in); got != tt.want {
			t.Errorf("Transliterate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// libraryDecode decodes parts independently of our decoder, with
// warthog618/sms's Unmarshal and Decode, and checks the concatenation info.
func libraryDecode(t *testing.T, parts []Part) string {
	t.Helper()
	segs := make([]*tpdu.TPDU, len(parts))
	for i, p := range parts {
		pdu, err := sms.Unmarshal(p.TPDU, sms.AsMO)
		if err != nil {
			t.Fatalf("sms.Unmarshal part %d: %v", i+1, err)
		}
		if pdu.SmsType() != tpdu.SmsSubmit {
			t.Fatalf("part %d: type %v", i+1, pdu.SmsType())
		}
		segs[i] = pdu
	}
	if len(parts) > 1 && !sms.IsCompleteMessage(segs) {
		t.Fatalf("sms.IsCompleteMessage = false")
	}
	b, err := sms.Decode(segs)
	if err != nil {
		t.Fatalf("sms.Decode: %v", err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("Le rendez-vous est confirmé pour demain 10h. ", 13) // 585 septets
	tests := []struct {
		name  string
		text  string
		enc   Encoding
		parts int
	}{
		{"gsm", "Hello, world! @£$¥ 0123456789", GSM7, 1},
		{"french in GSM", "Réunion à 14h, où ça? Àé", UCS2, 1},
		{"french accents", "é è à ç ù", UCS2, 1},
		{"extension", "€ [ ] { } ~ ^ | \\", GSM7, 1},
		{"arabic", "مرحبا بالعالم، موعدك غدا", UCS2, 1},
		{"emoji", "Bravo 🎉👍🏽 !", UCS2, 1},
		{"4 parts", long + strings.Repeat("x", 612-585), GSM7, 4},
		{"160", strings.Repeat("b", 160), GSM7, 1},
		{"161", strings.Repeat("b", 161), GSM7, 2},
		{"70", strings.Repeat("ж", 70), UCS2, 1},
		{"71", strings.Repeat("ж", 71), UCS2, 2},
		{"escape straddles 153", strings.Repeat("a", 152) + "€" + strings.Repeat("[", 80), GSM7, 3},
		{"emoji straddles 67", strings.Repeat("ж", 66) + "😀" + strings.Repeat("😀", 40), UCS2, 3},
		{"empty", "", GSM7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := EncodeSubmit("+33612345678", tt.text, 0xA7, SubmitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != tt.parts {
				t.Fatalf("%d parts, want %d", len(parts), tt.parts)
			}
			if c := CountText(tt.text, CountOptions{}); c.Parts != len(parts) || c.Encoding != tt.enc {
				t.Errorf("CountText = %+v, EncodeSubmit made %d parts, want encoding %s", c, len(parts), tt.enc)
			}
			var text strings.Builder
			for i, p := range parts {
				if p.Seq != i+1 || p.Total != len(parts) {
					t.Errorf("part %d: Seq/Total %d/%d", i+1, p.Seq, p.Total)
				}
				m, err := Decode(p.TPDU, false)
				if err != nil {
					t.Fatalf("decode part %d: %v", i+1, err)
				}
				if m.Type != Submit || m.Address != "+33612345678" || m.AddressTON != 0x91 || m.Encoding != tt.enc || m.Class != -1 || m.Trailing != 0 {
					t.Errorf("part %d: %+v", i+1, m)
				}
				switch {
				case len(parts) == 1 && m.Concat != nil:
					t.Errorf("single part has concat %+v", *m.Concat)
				case len(parts) > 1 && (m.Concat == nil || *m.Concat != Concat{Ref: 0xA7, RefBits: 8, Total: len(parts), Seq: i + 1}):
					t.Errorf("part %d: concat %+v", i+1, m.Concat)
				}
				checkPartSize(t, p, m)
				text.WriteString(m.Text)
			}
			if text.String() != tt.text {
				t.Errorf("our decoder: got %q, want %q", text.String(), tt.text)
			}
			if len(parts) > 0 && tt.text != "" {
				if got := libraryDecode(t, parts); got != tt.text {
					t.Errorf("sms.Decode: got %q, want %q", got, tt.text)
				}
			}
		})
	}
}

// checkPartSize verifies that a part's user data fits TS 23.040's 140
// octets, and that the text septets / units never exceed 153 / 67 in a
// concatenated part.
func checkPartSize(t *testing.T, p Part, m *Message) {
	t.Helper()
	units := len(utf16.Encode([]rune(m.Text)))
	if m.Encoding == GSM7 {
		units = 0
		for _, r := range m.Text {
			units += gsmAlphabet.cost(r)
		}
	}
	single, multi := limits(m.Encoding)
	limit := single
	if p.Total > 1 {
		limit = multi
	}
	if units > limit {
		t.Errorf("part %d holds %d characters, limit %d", p.Seq, units, limit)
	}
}

// TestSplitNeverCuts checks, for every position of an escape or emoji near
// the part boundary, that no part ends with a dangling escape or high
// surrogate and that the parts rebuild the text.
func TestSplitNeverCuts(t *testing.T) {
	for _, c := range []struct {
		fill, wide string
		enc        Encoding
	}{{"a", "€", GSM7}, {"a", "\\", GSM7}, {"ж", "😀", UCS2}} {
		for n := 140; n < 160; n++ {
			text := strings.Repeat(c.fill, n) + strings.Repeat(c.wide, 100)
			parts, err := EncodeSubmit("0612345678", text, 1, SubmitOptions{MaxParts: 255})
			if err != nil {
				t.Fatal(err)
			}
			if cnt := CountText(text, CountOptions{}); cnt.Parts != len(parts) || cnt.Encoding != c.enc {
				t.Fatalf("n=%d: count %+v vs %d parts", n, cnt, len(parts))
			}
			var got strings.Builder
			for _, p := range parts {
				_, pl, err := decode(p.TPDU, false)
				if err != nil {
					t.Fatal(err)
				}
				if danglingEscape(pl.septets) {
					t.Fatalf("n=%d part %d ends with a lone escape", n, p.Seq)
				}
				if o := pl.octets; len(o) >= 2 && o[len(o)-2]&0xFC == 0xD8 {
					t.Fatalf("n=%d part %d ends with a high surrogate", n, p.Seq)
				}
				m, _ := Decode(p.TPDU, false)
				got.WriteString(m.Text)
			}
			if got.String() != text {
				t.Fatalf("n=%d: text not rebuilt", n)
			}
		}
	}
}

func TestEncodeSubmitOptions(t *testing.T) {
	tests := []struct {
		name     string
		dest     string
		opts     SubmitOptions
		wantTPDU string
		validity time.Duration
	}{
		// FO 0x01 (SUBMIT), MR 0, DA 11 digits TOA 91, PID 0, DCS 0, UDL 2, "hi".
		{"plain", "+33612345678", SubmitOptions{}, "01000B913316325476F8000002E834", 0},
		{"national", "0612345678", SubmitOptions{}, "01000A8160214365870000" + "02E834", 0},
		// FO 0x31: SRR + VPF relative; DCS 0x10 class 0; VP 0xA9 = 3 days.
		{"flash, report, 3 days", "+33612345678", SubmitOptions{StatusReport: true, Flash: true, Validity: 72 * time.Hour}, "31000B913316325476F80010A902E834", 72 * time.Hour},
		{"validity clamped up to 1h", "+33612345678", SubmitOptions{Validity: time.Minute}, "11000B913316325476F800000B02E834", time.Hour},
		{"validity clamped down to 3 days", "+33612345678", SubmitOptions{Validity: 30 * 24 * time.Hour}, "11000B913316325476F80000A902E834", 72 * time.Hour},
		{"13h", "+33612345678", SubmitOptions{Validity: 13 * time.Hour}, "11000B913316325476F800009102E834", 13 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := EncodeSubmit(tt.dest, "hi", 9, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.ToUpper(hex.EncodeToString(parts[0].TPDU)); got != tt.wantTPDU {
				t.Errorf("TPDU %s, want %s", got, tt.wantTPDU)
			}
			m, err := Decode(parts[0].TPDU, false)
			if err != nil {
				t.Fatal(err)
			}
			wantClass := -1
			if tt.opts.Flash {
				wantClass = 0
			}
			if m.Class != wantClass || m.StatusReportRequest != tt.opts.StatusReport || m.Address != tt.dest {
				t.Errorf("decoded %+v", m)
			}
			switch {
			case tt.validity == 0 && m.Validity != nil:
				t.Errorf("validity %+v, want none", *m.Validity)
			case tt.validity != 0 && (m.Validity == nil || m.Validity.Relative != tt.validity):
				t.Errorf("validity %+v, want %v", m.Validity, tt.validity)
			}
		})
	}
}

func TestEncodeSubmitErrors(t *testing.T) {
	tests := []struct {
		name string
		dest string
		text string
		opts SubmitOptions
		is   error
	}{
		{"9 parts by default", "+33612345678", strings.Repeat("a", 8*153+1), SubmitOptions{}, ErrTooLong},
		{"MaxParts 2", "+33612345678", strings.Repeat("ж", 3*67), SubmitOptions{MaxParts: 2}, ErrTooLong},
		{"MaxParts 1", "+33612345678", strings.Repeat("a", 161), SubmitOptions{MaxParts: 1}, ErrTooLong},
		{"escape pushes to a 9th part", "+33612345678", strings.Repeat("a", 152) + strings.Repeat("€", (7*153)/2), SubmitOptions{}, ErrTooLong},
		{"empty destination", "", "hi", SubmitOptions{}, nil},
		{"letters", "+33abc", "hi", SubmitOptions{}, nil},
		{"21 digits", "+123456789012345678901", "hi", SubmitOptions{}, nil},
		{"invalid UTF-8", "+33612345678", "a\xffb", SubmitOptions{}, nil},
		{"negative validity", "+33612345678", "hi", SubmitOptions{Validity: -time.Hour}, nil},
		{"MaxParts 256", "+33612345678", "hi", SubmitOptions{MaxParts: 256}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := EncodeSubmit(tt.dest, tt.text, 1, tt.opts)
			if err == nil {
				t.Fatalf("got %d parts, want an error", len(parts))
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
		})
	}
	// Exactly the limit still encodes.
	if parts, err := EncodeSubmit("+33612345678", strings.Repeat("a", 8*153), 1, SubmitOptions{}); err != nil || len(parts) != 8 {
		t.Errorf("1224 septets: %d parts, %v", len(parts), err)
	}
}

func TestEncodeSubmitTransliterate(t *testing.T) {
	parts, err := EncodeSubmit("+33612345678", "Crêpe à l’hôtel", 1, SubmitOptions{Transliterate: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(parts[0].TPDU, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Encoding != GSM7 || m.Text != "Crepe à l'hotel" {
		t.Errorf("got %s %q", m.Encoding, m.Text)
	}
}
