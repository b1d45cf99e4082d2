package pdu

import (
	"bytes"
	"strings"
	"testing"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"
)

// fixedCounter is a tpdu.Counter that always returns the same value.
type fixedCounter int

func (f fixedCounter) Count() int { return int(f) }

// TestSplitMatchesLibrary encodes boundary texts with warthog618/sms's own
// Encoder (given our reference as its ConcatRef, and MR 0) and checks that
// it produces byte-identical TPDUs: the library's chunkers also keep escapes
// and surrogate pairs whole, so our splitter agrees with it.
func TestSplitMatchesLibrary(t *testing.T) {
	for _, text := range []string{
		"short",
		strings.Repeat("a", 160),
		strings.Repeat("a", 161),
		strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152),
		strings.Repeat("a", 151) + "€€" + strings.Repeat("a", 152),
		strings.Repeat("€", 200),
		strings.Repeat("ж", 66) + "😀" + strings.Repeat("😀", 40),
		strings.Repeat("😀", 100),
		strings.Repeat("a", 500),
	} {
		e := sms.NewEncoder(sms.AsSubmit, sms.WithTemplateOption(tpdu.WithDA(tpdu.Address{TOA: 0x91, Addr: "33612345678"})))
		e.ConcatRef = fixedCounter(7)
		e.MsgCount = fixedCounter(0)
		lib, err := e.Encode([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		ours, err := EncodeSubmit("+33612345678", text, 7, SubmitOptions{MaxParts: 255})
		if err != nil {
			t.Fatal(err)
		}
		if len(lib) != len(ours) {
			t.Errorf("%.20q...: library %d parts, ours %d", text, len(lib), len(ours))
			continue
		}
		for i := range lib {
			b, err := lib[i].MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, ours[i].TPDU) {
				t.Errorf("%.20q... part %d:\nlibrary %X\nours    %X", text, i+1, b, ours[i].TPDU)
			}
		}
	}
}
