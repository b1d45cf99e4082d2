package pdu

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warthog618/sms/encoding/tpdu"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("", 3600))

// deliverPart builds an SMS-DELIVER TPDU from originator with the given
// concatenation IE (nil for none), DCS and unpacked user data (septets for
// GSM 7-bit), with the library's marshaller.
func deliverPart(t *testing.T, from string, ie *tpdu.InformationElement, dcs byte, ud []byte) []byte {
	t.Helper()
	p, err := tpdu.NewDeliver()
	if err != nil {
		t.Fatal(err)
	}
	p.OA = tpdu.Address{TOA: 0x91, Addr: strings.TrimPrefix(from, "+")}
	p.SetDCS(dcs)
	p.SCTS = tpdu.Timestamp{Time: t0}
	if ie != nil {
		p.SetUDH(tpdu.UserDataHeader{*ie})
	}
	p.UD = ud
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ie8(ref, total, seq byte) *tpdu.InformationElement {
	return &tpdu.InformationElement{ID: 0x00, Data: []byte{ref, total, seq}}
}

func ie16(ref uint16, total, seq byte) *tpdu.InformationElement {
	return &tpdu.InformationElement{ID: 0x08, Data: []byte{byte(ref >> 8), byte(ref), total, seq}}
}

func septets(t *testing.T, s string) []byte {
	t.Helper()
	if !isGSM(s) {
		t.Fatalf("%q is not GSM", s)
	}
	return appendSeptets(nil, s)
}

// add decodes tp and feeds it to r.
func add(t *testing.T, r *Reassembler, tp []byte, at time.Time) *Message {
	t.Helper()
	m, err := Decode(tp, false)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := r.Add(m, tp, at)
	if err != nil {
		t.Fatal(err)
	}
	return whole
}

func TestReassembleOrderAndDuplicates(t *testing.T) {
	from := "+33611111111"
	p1 := deliverPart(t, from, ie8(5, 3, 1), 0, septets(t, "one "))
	p2 := deliverPart(t, from, ie8(5, 3, 2), 0, septets(t, "two "))
	p3 := deliverPart(t, from, ie8(5, 3, 3), 0, septets(t, "three"))
	for _, order := range [][][]byte{{p1, p2, p3}, {p3, p1, p2}, {p2, p2, p3, p3, p1}} {
		ps := NewMemParts()
		r := NewReassembler(ps)
		var whole *Message
		for i, p := range order {
			got := add(t, r, p, t0.Add(time.Duration(i)*time.Minute))
			if i < len(order)-1 && got != nil {
				t.Fatalf("complete after %d of %d adds", i+1, len(order))
			}
			whole = got
		}
		if whole == nil || whole.Text != "one two three" || whole.Incomplete || whole.Address != from {
			t.Fatalf("got %+v", whole)
		}
		if *whole.Concat != (Concat{Ref: 5, RefBits: 8, Total: 3, Seq: 0}) {
			t.Errorf("concat %+v", *whole.Concat)
		}
		if keys, _ := ps.StaleKeys(t0.Add(time.Hour)); len(keys) != 0 {
			t.Errorf("parts left behind: %v", keys)
		}
	}
}

func TestReassembleKeepsMessagesApart(t *testing.T) {
	r := NewReassembler(NewMemParts())
	// Same phone, two references; same reference, two phones; 8- and
	// 16-bit references of the same value.
	a1 := deliverPart(t, "+33611111111", ie8(1, 2, 1), 0, septets(t, "A1"))
	a2 := deliverPart(t, "+33611111111", ie8(1, 2, 2), 0, septets(t, "A2"))
	b1 := deliverPart(t, "+33611111111", ie8(2, 2, 1), 0, septets(t, "B1"))
	b2 := deliverPart(t, "+33611111111", ie8(2, 2, 2), 0, septets(t, "B2"))
	c1 := deliverPart(t, "+33622222222", ie8(1, 2, 1), 0, septets(t, "C1"))
	c2 := deliverPart(t, "+33622222222", ie8(1, 2, 2), 0, septets(t, "C2"))
	d1 := deliverPart(t, "+33611111111", ie16(1, 2, 1), 0, septets(t, "D1"))
	d2 := deliverPart(t, "+33611111111", ie16(1, 2, 2), 0, septets(t, "D2"))
	var got []string
	for _, p := range [][]byte{a1, b1, c1, d1, d2, c2, b2, a2} {
		if m := add(t, r, p, t0); m != nil {
			got = append(got, m.Text)
		}
	}
	if want := []string{"D1D2", "C1C2", "B1B2", "A1A2"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReassemble16BitRef(t *testing.T) {
	r := NewReassembler(NewMemParts())
	add(t, r, deliverPart(t, "+33611111111", ie16(0xBEEF, 2, 2), 0x08, appendUCS2(nil, "monde 🌍")), t0)
	m := add(t, r, deliverPart(t, "+33611111111", ie16(0xBEEF, 2, 1), 0x08, appendUCS2(nil, "Bonjour le ")), t0)
	if m == nil || m.Text != "Bonjour le monde 🌍" || *m.Concat != (Concat{Ref: 0xBEEF, RefBits: 16, Total: 2}) {
		t.Fatalf("got %+v", m)
	}
}

// TestReassembleRejoinsCutCharacters feeds parts from a sender whose
// splitter cut an escape sequence and a surrogate pair across parts.
func TestReassembleRejoinsCutCharacters(t *testing.T) {
	r := NewReassembler(NewMemParts())
	gsm := septets(t, "prix: 5€ ok")
	cut := slices.Index(gsm, esc) + 1 // part 1 ends with the lone escape
	add(t, r, deliverPart(t, "+33611111111", ie8(9, 2, 1), 0, gsm[:cut]), t0)
	m := add(t, r, deliverPart(t, "+33611111111", ie8(9, 2, 2), 0, gsm[cut:]), t0)
	if m == nil || m.Text != "prix: 5€ ok" {
		t.Fatalf("GSM: got %+v", m)
	}

	ucs := appendUCS2(nil, "ok 😀 !")
	add(t, r, deliverPart(t, "+33611111111", ie8(10, 2, 2), 0x08, ucs[8:]), t0)
	m = add(t, r, deliverPart(t, "+33611111111", ie8(10, 2, 1), 0x08, ucs[:8]), t0) // "ok " + high surrogate
	if m == nil || m.Text != "ok 😀 !" {
		t.Fatalf("UCS-2: got %+v", m)
	}
}

func TestReassemblePassThrough(t *testing.T) {
	r := NewReassembler(NewMemParts())
	single := deliverPart(t, "+33611111111", nil, 0, septets(t, "hello"))
	oneOfOne := deliverPart(t, "+33611111111", ie8(3, 1, 1), 0, septets(t, "solo"))
	for _, tp := range [][]byte{single, oneOfOne} {
		m, err := Decode(tp, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Add(m, tp, t0)
		if err != nil || got != m {
			t.Errorf("Add = %v, %v; want the message itself", got, err)
		}
	}
	if _, err := r.Add(nil, nil, t0); err == nil {
		t.Error("Add(nil) succeeded")
	}
}

func TestExpire(t *testing.T) {
	ps := NewMemParts()
	r := NewReassembler(ps)
	from := "+33611111111"
	// Message 5: parts 2 and 4 of 5 arrive; message 6: part 1 of 2 arrives
	// later; message 7 (8-bit): part 2 of 3.
	add(t, r, deliverPart(t, from, ie8(5, 5, 4), 0, septets(t, "four ")), t0)
	add(t, r, deliverPart(t, from, ie8(5, 5, 2), 0, septets(t, "two ")), t0.Add(time.Minute))
	add(t, r, deliverPart(t, from, ie8(6, 2, 1), 0, septets(t, "late")), t0.Add(2*time.Hour))
	add(t, r, deliverPart(t, from, ie8(7, 3, 2), 0x04, []byte{0xCA, 0xFE}), t0)

	got, err := r.Expire(t0.Add(time.Hour), time.Hour)
	if err != nil || len(got) != 0 {
		t.Fatalf("nothing is older than an hour yet: %v, %v", got, err)
	}
	got, err = r.Expire(t0.Add(time.Hour+time.Second), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	byRef := map[int]*Message{}
	for _, m := range got {
		if !m.Incomplete {
			t.Errorf("ref %d: Incomplete not set", m.Concat.Ref)
		}
		byRef[m.Concat.Ref] = m
	}
	if m := byRef[5]; m == nil || m.Text != "[...]two [...]four [...]" || m.Address != from {
		t.Errorf("ref 5: %+v", m)
	}
	if m := byRef[7]; m == nil || m.Encoding != Data8 || string(m.Data) != "\xCA\xFE" {
		t.Errorf("ref 7: %+v", m)
	}
	keys, _ := ps.StaleKeys(t0.Add(24 * time.Hour))
	if len(keys) != 1 || !strings.Contains(keys[0], "|6|") {
		t.Errorf("left pending: %v, want ref 6 only", keys)
	}
	// The rest of message 5 arriving after expiry starts afresh.
	if m := add(t, r, deliverPart(t, from, ie8(5, 5, 1), 0, septets(t, "one ")), t0.Add(3*time.Hour)); m != nil {
		t.Errorf("completed from expired parts: %+v", m)
	}
}

// failingStore fails every call, to check errors are passed on wrapped.
type failingStore struct{}

var errStore = errors.New("disk on fire")

func (failingStore) PutPart(PendingPart) ([]PendingPart, error) { return nil, errStore }
func (failingStore) DeleteParts(string) error                   { return errStore }
func (failingStore) StaleKeys(time.Time) ([]string, error)      { return nil, errStore }
func (failingStore) Parts(string) ([]PendingPart, error)        { return nil, errStore }

func TestReassembleStoreErrors(t *testing.T) {
	r := NewReassembler(failingStore{})
	tp := deliverPart(t, "+33611111111", ie8(1, 2, 1), 0, septets(t, "x"))
	m, _ := Decode(tp, false)
	if _, err := r.Add(m, tp, t0); !errors.Is(err, errStore) {
		t.Errorf("Add: %v", err)
	}
	if _, err := r.Expire(t0, time.Hour); !errors.Is(err, errStore) {
		t.Errorf("Expire: %v", err)
	}
}

// TestExpireUndecodablePart checks that a stored part that no longer
// decodes is treated as missing, and a message with no decodable part is
// reported, not returned.
func TestExpireUndecodablePart(t *testing.T) {
	ps := NewMemParts()
	r := NewReassembler(ps)
	good := deliverPart(t, "+33611111111", ie8(1, 2, 1), 0, septets(t, "kept"))
	add(t, r, good, t0)
	m, _ := Decode(good, false)
	key := ConcatKey(m)
	if _, err := ps.PutPart(PendingPart{Key: key, Seq: 2, Total: 2, Received: t0, TPDU: []byte{0x04}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.PutPart(PendingPart{Key: "broken", Seq: 1, Total: 2, Received: t0, TPDU: []byte{0x00, 0x01}}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Expire(t0.Add(2*time.Hour), time.Hour)
	if err == nil || !errors.Is(err, ErrMalformed) {
		t.Errorf("error %v, want the broken key reported", err)
	}
	if len(got) != 1 || got[0].Text != "kept[...]" || !got[0].Incomplete {
		t.Fatalf("got %+v", got)
	}
	if keys, _ := ps.StaleKeys(t0.Add(24 * time.Hour)); len(keys) != 0 {
		t.Errorf("left pending: %v", keys)
	}
}

// TestConcurrentUse runs the package's functions from several goroutines
// on one Reassembler and MemParts; run with -race it checks that nothing
// shares mutable state (the library's lazily built charset maps included).
func TestConcurrentUse(t *testing.T) {
	r := NewReassembler(NewMemParts())
	const turkish = "0791093592100000640C910905566361400000012091327233804B03240101A0A2D373507A0E0A83DAE5F93C7C2E83E8E8301D347EBBE9E1B47B0EAAD3CD38D0181D96CF5DC8B2BC0C0ACBCB203ABA0C1AA3C3F2B96E93DE9C37733F1F"
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			errs <- func() error {
				text := strings.Repeat("Çà€😀", 30+g)
				parts, err := EncodeSubmit("+33611111111", text, byte(g), SubmitOptions{})
				if err != nil {
					return err
				}
				if c := CountText(text, CountOptions{Transliterate: true}); c.Parts != len(parts) {
					return errors.New("count and encode disagree")
				}
				if _, err := DecodeHex(turkish, true); err != nil {
					return err
				}
				var whole *Message
				for _, p := range parts {
					m, err := Decode(p.TPDU, false)
					if err != nil {
						return err
					}
					if whole, err = r.Add(m, p.TPDU, t0); err != nil {
						return err
					}
				}
				if whole == nil || whole.Text != text {
					return errors.New("reassembled text differs")
				}
				return nil
			}()
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
