package ui

import (
	"strings"
	"testing"

	"gsmbox/pdu"
)

func TestParseLenient(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"a=1&b=2", map[string]string{"a": "1", "b": "2"}},
		{"text=100%&to=+33612345678", map[string]string{"text": "100%", "to": " 33612345678"}},
		{"text=load>90%25+\"high\"", map[string]string{"text": `load>90% "high"`}},
		{"text=a;b&x=%zz%4", map[string]string{"text": "a;b", "x": "%zz%4"}},
		{"message=%A4uro&&numero=1", map[string]string{"message": "\xa4uro", "numero": "1"}},
		{"empty=&flag", map[string]string{"empty": "", "flag": ""}},
	}
	for _, tc := range tests {
		v := map[string][]string{}
		parseLenient(v, tc.in)
		for k, want := range tc.want {
			if got := v[k]; len(got) != 1 || got[0] != want {
				t.Errorf("%q: %s = %q, want %q", tc.in, k, got, want)
			}
		}
	}
}

func TestDecodeText(t *testing.T) {
	tests := []struct {
		raw, charset, want string
	}{
		{"Bonjour", "", "Bonjour"},
		{"\xa4 \xe9t\xe9", "", "€ été"},   // ISO-8859-15 (seed 002: € is %A4)
		{"\x80", "", "€"},                 // the seed's %80 (Windows-1252)
		{"l\x92\xe9t\xe9", "", "l’été"},   // Windows quote
		{"☺ été", "", "☺ été"},            // valid UTF-8 stays UTF-8
		{"\xc3\xa9", "iso-8859-15", "Ã©"}, // a declared charset is obeyed
		{"\xbd\xbc\xa6", "", "œŒŠ"},       // the ISO-8859-15 specials
		{"\xe9", "utf-8", "é"},            // invalid UTF-8 despite the label: Latin
	}
	for _, tc := range tests {
		if got := decodeText(tc.raw, tc.charset); got != tc.want {
			t.Errorf("decodeText(%q, %q) = %q, want %q", tc.raw, tc.charset, got, tc.want)
		}
	}
}

func TestEncodeLatin9RoundTrip(t *testing.T) {
	s := "Accepté € œ ß ☺"
	got := encodeLatin9(s)
	if got != "Accept\xe9 \xa4 \xbd \xdf ?" {
		t.Fatalf("encodeLatin9 = %q", got)
	}
	if back := latin9(got); back != "Accepté € œ ß ?" {
		t.Fatalf("round trip %q", back)
	}
}

func TestDecodeUTF16BE(t *testing.T) {
	got, err := decodeUTF16BE("\x00H\x00i\xd8\x3d\xde\x00")
	if err != nil || got != "Hi😀" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := decodeUTF16BE("\x00H\x00"); err == nil {
		t.Fatal("odd length accepted")
	}
}

func TestTruncateParts(t *testing.T) {
	long := strings.Repeat("a", 600)
	for n := 1; n <= 3; n++ {
		got := truncateParts(long, n)
		c := pdu.CountText(got, pdu.CountOptions{})
		if c.Parts != n {
			t.Errorf("truncate to %d parts: %d parts", n, c.Parts)
		}
		if pdu.CountText(long[:len(got)+1], pdu.CountOptions{}).Parts <= n {
			t.Errorf("truncate to %d parts: not the longest prefix (%d chars)", n, len(got))
		}
	}
	if got := truncateParts("short", 1); got != "short" {
		t.Errorf("short text changed: %q", got)
	}
	// An emoji (a surrogate pair in UCS-2) is never cut.
	emo := strings.Repeat("😀", 100)
	got := truncateParts(emo, 1)
	if !strings.HasPrefix(emo, got) || pdu.CountText(got, pdu.CountOptions{}).Parts != 1 {
		t.Errorf("emoji truncation %q", got)
	}
}

func TestSMStoBNumbers(t *testing.T) {
	tests := []struct {
		in      string
		numbers []string
		group   string
	}{
		{"0684843556", []string{"0684843556"}, ""},
		{"0684843556-0660919010", []string{"0684843556", "0660919010"}, ""},
		{"06-84-84-35-56", []string{"06-84-84-35-56"}, ""},
		{"Clients VIP", nil, "Clients VIP"},
		{" 33684843556", []string{"33684843556"}, ""},
	}
	for _, tc := range tests {
		ns, g := smstobNumbers(tc.in)
		if strings.Join(ns, ",") != strings.Join(tc.numbers, ",") || g != tc.group {
			t.Errorf("smstobNumbers(%q) = %q, %q", tc.in, ns, g)
		}
	}
}
