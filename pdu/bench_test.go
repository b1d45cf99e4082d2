package pdu

import (
	"strings"
	"testing"
)

func BenchmarkEncodeSubmit(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"gsm7-1part", "Votre rendez-vous est confirmé pour demain à 10h. Répondez STOP pour ne plus recevoir."},
		{"ucs2-4parts", strings.Repeat("Привет 😀 ", 26)}, // 260 UTF-16 units
	} {
		c := CountText(bc.text, CountOptions{})
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				parts, err := EncodeSubmit("+33612345678", bc.text, 42, SubmitOptions{StatusReport: true})
				if err != nil || len(parts) != c.Parts {
					b.Fatal(len(parts), err)
				}
			}
		})
	}
}

// BenchmarkDecode decodes real vectors: a GSM 7-bit SMS-DELIVER with SMSC,
// a UCS-2 concatenated part and a status report.
func BenchmarkDecode(b *testing.B) {
	byID := map[string]vector{}
	for _, v := range loadVectors(b).Vectors {
		byID[v.ID] = v
	}
	for _, id := range []string{"mm-multipart-1", "sl-ucs2-concat-1", "sl-sr-delivered-nl"} {
		v, ok := byID[id]
		if !ok {
			b.Fatalf("no vector %s", id)
		}
		b.Run(id, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeHex(v.PDU, v.WithSMSC); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCountText(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"gsm7-short", "Votre code est 123456"},
		{"gsm7-1000", strings.Repeat("Rendez-vous demain 10h [salle B] ", 30)},
		{"ucs2-emoji-500", strings.Repeat("Bravo 🎉 ", 62)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CountText(bc.text, CountOptions{})
			}
		})
	}
}
