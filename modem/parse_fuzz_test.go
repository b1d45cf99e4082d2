package modem_test

// Fuzz targets for the parsers, seeded with every capture, case and line of
// testdata/at_transcripts.json. Besides "never panics" they check the
// invariants callers rely on.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/warthog618/modem/at"

	"gsmbox/modem"
)

// fuzzSeeds returns the transcripts' captures (whole) and their lines.
func fuzzSeeds(f *testing.F) (captures, lines []string) {
	f.Helper()
	b, err := os.ReadFile("testdata/at_transcripts.json")
	if err != nil {
		f.Fatal(err)
	}
	var file struct {
		Transcripts []struct {
			Raw          *string           `json:"raw"`
			RawUnescaped string            `json:"raw_unescaped"`
			RawLiterals  []string          `json:"raw_literals"`
			OtherLines   []string          `json:"other_lines"`
			Cases        []json.RawMessage `json:"cases"`
		} `json:"transcripts"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		f.Fatal(err)
	}
	for _, e := range file.Transcripts {
		if e.Raw != nil {
			captures = append(captures, *e.Raw)
		}
		if e.RawUnescaped != "" {
			captures = append(captures, e.RawUnescaped)
		}
		for _, l := range e.RawLiterals {
			captures = append(captures, cUnescape(l))
		}
		captures = append(captures, strings.Join(e.OtherLines, "\r\n"))
		for _, c := range e.Cases {
			var s string
			if json.Unmarshal(c, &s) == nil {
				captures = append(captures, s)
				continue
			}
			var o struct{ Raw, Reply string }
			if json.Unmarshal(c, &o) == nil {
				captures = append(captures, o.Raw+o.Reply)
			}
		}
	}
	for _, c := range captures {
		for _, l := range splitRaw(c) {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
	}
	return captures, lines
}

// checkStored checks what every StoredPDU returned without error promises.
func checkStored(t *testing.T, p modem.StoredPDU, pushed bool) {
	t.Helper()
	switch {
	case len(p.PDU) < 2:
		t.Fatalf("PDU %X too short", p.PDU)
	case p.PDU[0] > 11:
		t.Fatalf("PDU %X: SMSC length %d", p.PDU, p.PDU[0])
	case len(p.PDU)-1-int(p.PDU[0]) < p.Length:
		t.Fatalf("PDU %X shorter than its length %d", p.PDU, p.Length)
	case p.Length < 1 || p.Length > 255:
		t.Fatalf("length %d", p.Length)
	case p.Stat < -1 || p.Stat > 3:
		t.Fatalf("stat %d", p.Stat)
	case pushed && (p.Index != -1 || p.Stat != -1):
		t.Fatalf("pushed PDU with index %d stat %d", p.Index, p.Stat)
	}
}

func FuzzParsePDUList(f *testing.F) {
	captures, _ := fuzzSeeds(f)
	for _, c := range captures {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, err := modem.ParsePDUList(splitRaw(s))
		for _, p := range list {
			checkStored(t, p, false)
			if p.Index < 0 {
				t.Fatalf("index %d", p.Index)
			}
		}
		if err == nil {
			return
		}
		var le *modem.ListError
		if !errors.As(err, &le) || len(le.Entries) == 0 {
			t.Fatalf("error %v is not a non-empty *ListError", err)
		}
		for _, e := range le.Entries {
			if e.Err == nil || e.Line == "" || e.Index < -1 {
				t.Fatalf("bad entry error %+v", e)
			}
		}
	})
}

func FuzzParseCMGR(f *testing.F) {
	captures, _ := fuzzSeeds(f)
	for _, c := range captures {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := modem.ParseCMGR(splitRaw(s), 7)
		if err != nil {
			return
		}
		checkStored(t, p, false)
		if p.Index != 7 {
			t.Fatalf("index %d", p.Index)
		}
	})
}

func FuzzParsePushedPDU(f *testing.F) {
	captures, _ := fuzzSeeds(f)
	for _, c := range captures {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := modem.ParsePushedPDU([]string{s})
		if err != nil {
			return
		}
		checkStored(t, p, true)
	})
}

func FuzzDecodePDUHex(f *testing.F) {
	_, lines := fuzzSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := modem.DecodePDUHex(s)
		if err != nil {
			if !strings.Contains(err.Error(), "PDU") {
				t.Fatalf("error %q names no PDU", err)
			}
			return
		}
		if len(b) < 2 || b[0] > 11 || 1+int(b[0]) >= len(b) || (b[0] > 0 && b[1]&0x80 == 0) {
			t.Fatalf("accepted an invalid SMSC field: %X", b)
		}
		clean := strings.NewReplacer(" ", "", "\t", "", `"`, "", "\r", "", "\n", "").Replace(s)
		if fmt.Sprintf("%X", b) != strings.ToUpper(clean) {
			t.Fatalf("%q decoded to %X", s, b)
		}
	})
}

func FuzzParseCREG(f *testing.F) {
	_, lines := fuzzSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := modem.ParseCREG(s)
		if err != nil {
			return
		}
		switch {
		case r.Cmd != "+CREG" && r.Cmd != "+CGREG" && r.Cmd != "+CEREG" && r.Cmd != "+C5GREG":
			t.Fatalf("cmd %q", r.Cmd)
		case r.Stat < 0 || r.N < -1 || r.Act < -1:
			t.Fatalf("%+v", r)
		case strings.ContainsAny(r.LAC+r.CI, " \t\""):
			t.Fatalf("unclean codes %+v", r)
		}
		if again, err := modem.ParseCREG(" " + s + " "); err != nil || again != r {
			t.Fatalf("padding changes the result: %+v %v", again, err)
		}
	})
}

func FuzzParseCLIP(f *testing.F) {
	_, lines := fuzzSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, typ, err := modem.ParseCLIP(s)
		if err == nil && typ < -1 {
			t.Fatalf("type %d", typ)
		}
	})
}

func FuzzIsNoise(f *testing.F) {
	_, lines := fuzzSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if modem.IsNoise(s) != modem.IsNoise(" \r"+s+"\r\n") {
			t.Fatalf("IsNoise(%q) depends on surrounding blanks", s)
		}
	})
}

// FuzzParseLine feeds one line to every other parser: storage indications,
// USSD, signal, operator, +CMGS, +CPIN, +CPMS, identification, and the AT
// layer's error values.
func FuzzParseLine(f *testing.F) {
	_, lines := fuzzSeeds(f)
	for _, l := range lines {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, idx, err := modem.ParseStorageIndication(s); err == nil && idx < 0 {
			t.Fatalf("index %d", idx)
		}
		if u, err := modem.ParseCUSD(s); err == nil && (u.Status < 0 || u.DCS < -1 || u.DCS > 255) {
			t.Fatalf("%+v", u)
		}
		info := splitRaw(s)
		if rssi, ber, err := modem.ParseCSQ(info); err == nil {
			if _, ok := modem.RSSIToDBm(rssi); (!ok && rssi != 99) || ber < 0 || (ber > 7 && ber != 99) {
				t.Fatalf("rssi %d ber %d", rssi, ber)
			}
		}
		if op, err := modem.ParseCOPS(info); err == nil && (op.Mode < 0 || op.Format < -1 || op.Act < -1) {
			t.Fatalf("%+v", op)
		}
		if mr, err := modem.ParseCMGS(info); err == nil && (mr < 0 || mr > 255) {
			t.Fatalf("mr %d", mr)
		}
		if st, err := modem.ParseCPIN(info); err == nil && st == "" {
			t.Fatal("empty +CPIN state without error")
		}
		if uses, err := modem.ParseCPMS(info); err == nil {
			for _, u := range uses {
				if u.Used < 0 || u.Total < 0 {
					t.Fatalf("%+v", uses)
				}
			}
		}
		for _, p := range []string{"+CGSN", "+CGMM", "^ICCID", ""} {
			modem.ParseIdentity(info, p)
		}
		var cms *modem.CMSError
		if err := modem.ClassifyATError(at.CMSError(s)); !errors.As(err, &cms) || err.Error() == "" {
			t.Fatalf("CMS %q: %v", s, err)
		}
		var cme *modem.CMEError
		if err := modem.ClassifyATError(at.CMEError(s)); !errors.As(err, &cme) || err.Error() == "" {
			t.Fatalf("CME %q: %v", s, err)
		}
	})
}
