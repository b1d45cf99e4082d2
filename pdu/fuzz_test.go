package pdu

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary octets to Decode: it must return a message or
// an ErrMalformed / ErrUnsupported error, never panic, and a decoded part
// must go through the Reassembler. The seed corpus is every PDU of
// testdata/pdu_vectors.json, with and without its SMSC.
func FuzzDecode(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Vectors {
		raw, err := hex.DecodeString(v.PDU)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, v.WithSMSC)
		if v.WithSMSC {
			f.Add(tpduOf(f, v), false)
		}
	}
	for _, v := range vf.MustReject {
		raw, err := hex.DecodeString(v.PDU)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, v.WithSMSC)
	}
	f.Fuzz(func(t *testing.T, raw []byte, withSMSC bool) {
		m, err := Decode(raw, withSMSC)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			return
		}
		if m.Type != Deliver && m.Type != Submit && m.Type != StatusReport {
			t.Fatalf("type %q", m.Type)
		}
		if m.Trailing < 0 || m.Trailing > len(raw) {
			t.Fatalf("Trailing %d of %d octets", m.Trailing, len(raw))
		}
		if c := m.Concat; c != nil && (c.Seq < 1 || c.Seq > c.Total || (c.RefBits != 8 && c.RefBits != 16)) {
			t.Fatalf("concat %+v", *c)
		}
		if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Address) {
			t.Fatalf("invalid UTF-8 in %q / %q", m.Text, m.Address)
		}
		if withSMSC {
			return
		}
		r := NewReassembler(NewMemParts())
		if _, err := r.Add(m, raw, t0); err != nil {
			t.Fatalf("Add: %v", err)
		}
		if _, err := r.Expire(t0.Add(time.Hour), time.Minute); err != nil {
			t.Fatalf("Expire: %v", err)
		}
	})
}

// FuzzEncodeCount checks that EncodeSubmit and CountText agree on the number
// of parts and the encoding, that every part decodes (with our decoder and
// with warthog618/sms), and that the parts' texts join to the input.
func FuzzEncodeCount(f *testing.F) {
	for _, s := range []string{
		"", "hello", "é è à ç ù", "€ [ ] { } ~ ^ | \\", "مرحبا", "😀",
		strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152),
		strings.Repeat("ж", 66) + "😀" + strings.Repeat("😀", 40),
		"crêpe œuf l’été", "a\x1bb", "a\xffb",
	} {
		f.Add(s, byte(1), false, false)
	}
	f.Fuzz(func(t *testing.T, text string, ref byte, flash, translit bool) {
		parts, err := EncodeSubmit("+33612345678", text, ref, SubmitOptions{MaxParts: 255, Flash: flash, Transliterate: translit})
		if !utf8.ValidString(text) {
			if err == nil {
				t.Fatal("invalid UTF-8 encoded")
			}
			return
		}
		c := CountText(text, CountOptions{Transliterate: translit})
		if c.Parts > 255 {
			if !errors.Is(err, ErrTooLong) {
				t.Fatalf("%d parts counted, EncodeSubmit error %v", c.Parts, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != c.Parts {
			t.Fatalf("CountText %+v, EncodeSubmit %d parts", c, len(parts))
		}
		if c.Remaining < 0 || c.Remaining >= c.PerPart && c.Chars > 0 {
			t.Fatalf("count %+v", c)
		}
		want, _ := chooseText(text, translit)
		var got strings.Builder
		for _, p := range parts {
			m, err := Decode(p.TPDU, false)
			if err != nil {
				t.Fatalf("part %d: %v", p.Seq, err)
			}
			if m.Encoding != c.Encoding {
				t.Fatalf("part %d: encoding %s, counted %s", p.Seq, m.Encoding, c.Encoding)
			}
			checkPartSize(t, p, m)
			got.WriteString(m.Text)
		}
		if got.String() != want {
			t.Fatalf("decoded %q, want %q", got.String(), want)
		}
		if want != "" {
			if lib := libraryDecode(t, parts); lib != want {
				t.Fatalf("sms.Decode %q, want %q", lib, want)
			}
		}
	})
}
