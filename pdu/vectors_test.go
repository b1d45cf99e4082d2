package pdu

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vectorFile holds testdata/pdu_vectors.json, a copy of
// shared/testdata/pdu_vectors.json (real PDUs from public test suites and
// captures, with their expected decoded fields).
type vectorFile struct {
	Vectors []vector `json:"vectors"`
	Groups  []struct {
		Group       string   `json:"group"`
		MemberIDs   []string `json:"member_ids"`
		FullText    *string  `json:"full_text_source"`
		FullDecoded *string  `json:"full_text_decoded"`
	} `json:"concatenation_groups"`
	MustReject []struct {
		ID       string `json:"id"`
		PDU      string `json:"pdu"`
		WithSMSC bool   `json:"pdu_includes_smsc"`
		Why      string `json:"why"`
	} `json:"must_reject"`
}

type vector struct {
	ID       string   `json:"id"`
	PDU      string   `json:"pdu"`
	WithSMSC bool     `json:"pdu_includes_smsc"`
	Quality  string   `json:"quality"`
	Expected expected `json:"expected"`
}

type expected struct {
	Type           string  `json:"type"`
	SMSC           *string `json:"smsc"`
	Originator     *string `json:"originator"`
	OriginatorType string  `json:"originator_type"`
	Destination    *string `json:"destination"`
	DestType       string  `json:"destination_type"`
	Recipient      *string `json:"recipient"`
	RecipientType  string  `json:"recipient_type"`
	SCTS           string  `json:"scts"`
	Discharge      string  `json:"discharge_time"`
	Encoding       *string `json:"encoding"`
	PID            string  `json:"pid"`
	Class          *int    `json:"class"`
	Text           *string `json:"text"`
	DataHex        *string `json:"data_hex"`
	MR             *int    `json:"mr"`
	Status         *int    `json:"status"`
	StatusCategory string  `json:"status_category"`
	Concat         *struct {
		Ref     int `json:"ref"`
		Total   int `json:"total"`
		Part    int `json:"part"`
		RefBits int `json:"ref_bits"`
	} `json:"concat"`
	Ports *struct {
		Dest int `json:"dest"`
		Src  int `json:"src"`
		Bits int `json:"bits"`
	} `json:"ports"`
	VP *struct {
		Raw         string `json:"raw"`
		Minutes     int    `json:"minutes"`
		EnhancedRaw string `json:"enhanced_raw"`
		Absolute    *struct {
			ISO string `json:"iso"`
		} `json:"absolute"`
	} `json:"vp"`
	MWI *struct {
		Store  bool   `json:"store"`
		Active bool   `json:"active"`
		Type   string `json:"type"`
	} `json:"dcs_mwi"`
	Special []struct {
		Store bool   `json:"store"`
		Type  string `json:"type"`
		Count int    `json:"count"`
	} `json:"special_sms_indication"`
	SingleShift *int `json:"single_shift"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/pdu_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// check compares m with e and returns every difference.
func (e expected) check(m *Message) []string {
	var diffs []string
	diff := func(field string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", field, fmt.Sprint(got), fmt.Sprint(want)))
		}
	}
	diff("type", m.Type, e.Type)
	if e.SMSC != nil {
		diff("smsc", m.SMSC, *e.SMSC)
	}
	addr, toa := e.Originator, e.OriginatorType
	switch Type(e.Type) {
	case Submit:
		addr, toa = e.Destination, e.DestType
	case StatusReport:
		addr, toa = e.Recipient, e.RecipientType
	}
	if addr != nil {
		diff("address", m.Address, *addr)
	}
	if toa != "" {
		diff("address type", fmt.Sprintf("%02X", m.AddressTON), toa)
	}
	timeDiff := func(field string, got time.Time, want string) {
		if want == "" {
			return
		}
		w, err := time.Parse(time.RFC3339, want)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: bad expectation %q", field, want))
			return
		}
		_, gotOff := got.Zone()
		_, wantOff := w.Zone()
		if !got.Equal(w) || gotOff != wantOff {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", field, got.Format(time.RFC3339), want))
		}
	}
	timeDiff("scts", m.SCTS, e.SCTS)
	timeDiff("discharge", m.Discharge, e.Discharge)
	if e.Encoding != nil {
		diff("encoding", m.Encoding, *e.Encoding)
	}
	if e.PID != "" {
		diff("pid", fmt.Sprintf("%02X", m.PID), e.PID)
	}
	wantClass := -1
	if e.Class != nil {
		wantClass = *e.Class
	}
	diff("class", m.Class, wantClass)
	if e.Text != nil {
		diff("text", m.Text, *e.Text)
	}
	if e.DataHex != nil {
		diff("data", strings.ToUpper(hex.EncodeToString(m.Data)), *e.DataHex)
	}
	if e.MR != nil {
		diff("mr", m.MR, *e.MR)
	}
	if e.Status != nil {
		diff("status", m.Status, *e.Status)
		diff("status category", StatusCategory(m.Status), e.StatusCategory)
	}
	switch {
	case e.Concat == nil && m.Concat != nil:
		diffs = append(diffs, fmt.Sprintf("concat: got %+v, want none", *m.Concat))
	case e.Concat != nil && m.Concat == nil:
		diffs = append(diffs, "concat: missing")
	case e.Concat != nil:
		diff("concat", *m.Concat, Concat{Ref: e.Concat.Ref, RefBits: e.Concat.RefBits, Total: e.Concat.Total, Seq: e.Concat.Part})
	}
	switch {
	case e.Ports == nil && m.Ports != nil:
		diffs = append(diffs, fmt.Sprintf("ports: got %+v, want none", *m.Ports))
	case e.Ports != nil && m.Ports == nil:
		diffs = append(diffs, "ports: missing")
	case e.Ports != nil:
		diff("ports", *m.Ports, Ports{Dest: e.Ports.Dest, Src: e.Ports.Src, Bits: e.Ports.Bits})
	}
	switch {
	case e.VP == nil && m.Validity != nil:
		diffs = append(diffs, fmt.Sprintf("validity: got %+v, want none", *m.Validity))
	case e.VP != nil && m.Validity == nil:
		diffs = append(diffs, "validity: missing")
	case e.VP != nil && e.VP.EnhancedRaw != "":
		diff("validity format", m.Validity.Format, "enhanced")
		diff("validity raw", strings.ToUpper(hex.EncodeToString(m.Validity.Raw)), e.VP.EnhancedRaw)
	case e.VP != nil && e.VP.Absolute != nil:
		diff("validity format", m.Validity.Format, "absolute")
		timeDiff("validity", m.Validity.Absolute, e.VP.Absolute.ISO)
	case e.VP != nil:
		diff("validity format", m.Validity.Format, "relative")
		diff("validity raw", strings.ToUpper(hex.EncodeToString(m.Validity.Raw)), e.VP.Raw)
		diff("validity", m.Validity.Relative, time.Duration(e.VP.Minutes)*time.Minute)
	}
	switch {
	case e.MWI == nil && m.MWI != nil:
		diffs = append(diffs, fmt.Sprintf("mwi: got %+v, want none", *m.MWI))
	case e.MWI != nil && m.MWI == nil:
		diffs = append(diffs, "mwi: missing")
	case e.MWI != nil:
		diff("mwi", *m.MWI, Indication{Type: e.MWI.Type, Active: e.MWI.Active, Store: e.MWI.Store})
	}
	var wantInd []Indication
	for _, s := range e.Special {
		wantInd = append(wantInd, Indication{Type: s.Type, Active: s.Count > 0, Store: s.Store, Count: s.Count})
	}
	diff("indications", m.Indications, wantInd)
	wantShift := 0
	if e.SingleShift != nil {
		wantShift = *e.SingleShift
	}
	diff("single shift", m.SingleShift, wantShift)
	return diffs
}

// TestVectors decodes every real-world vector. Quality "ok" vectors must
// match every expected field; "edge-case" and "ambiguous" ones must match
// or fail with ErrMalformed. The counts are logged for the report.
func TestVectors(t *testing.T) {
	f := loadVectors(t)
	counts := map[string]int{}
	for _, v := range f.Vectors {
		t.Run(v.ID, func(t *testing.T) {
			m, err := DecodeHex(v.PDU, v.WithSMSC)
			strict := v.Quality == "ok"
			if err != nil {
				if strict || !errors.Is(err, ErrMalformed) {
					t.Fatalf("decode %s (%s): %v", v.PDU, v.Quality, err)
				}
				counts["non-ok, rejected with a clear error"]++
				t.Logf("%s: %v", v.Quality, err)
				return
			}
			if diffs := v.Expected.check(m); len(diffs) > 0 {
				t.Errorf("%s (%s):\n  %s", v.PDU, v.Quality, strings.Join(diffs, "\n  "))
				return
			}
			if strict {
				counts["ok, all fields match"]++
			} else {
				counts["non-ok, all fields match"]++
			}
		})
	}
	t.Logf("%d vectors: %v", len(f.Vectors), counts)
}

// TestMustReject checks the PDUs a correct decoder refuses.
func TestMustReject(t *testing.T) {
	for _, v := range loadVectors(t).MustReject {
		m, err := DecodeHex(v.PDU, v.WithSMSC)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s (%s): got %+v, %v; want ErrMalformed", v.ID, v.Why, m, err)
			continue
		}
		t.Logf("%s: %v", v.ID, err)
	}
}

// TestConcatenationGroups reassembles every group of the vectors through a
// Reassembler on MemParts, in order and in reverse order.
func TestConcatenationGroups(t *testing.T) {
	f := loadVectors(t)
	byID := map[string]vector{}
	for _, v := range f.Vectors {
		byID[v.ID] = v
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, g := range f.Groups {
		for _, reverse := range []bool{false, true} {
			t.Run(g.Group+"/reverse="+strconv.FormatBool(reverse), func(t *testing.T) {
				r := NewReassembler(NewMemParts())
				ids := append([]string(nil), g.MemberIDs...)
				if reverse {
					for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
						ids[i], ids[j] = ids[j], ids[i]
					}
				}
				var whole *Message
				var wantData string
				for i, id := range ids {
					v := byID[id]
					tp := tpduOf(t, v)
					m, err := Decode(tp, false)
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					got, err := r.Add(m, tp, now.Add(time.Duration(i)*time.Second))
					if err != nil {
						t.Fatalf("%s: %v", id, err)
					}
					if i < len(ids)-1 && got != nil {
						t.Fatalf("%s: message complete after %d of %d parts", id, i+1, len(ids))
					}
					whole = got
				}
				for _, id := range g.MemberIDs {
					if d := byID[id].Expected.DataHex; d != nil {
						wantData += *d
					}
				}
				if whole == nil {
					t.Fatal("message not complete after all parts")
				}
				if whole.Incomplete {
					t.Error("Incomplete set on a complete message")
				}
				switch {
				case g.FullText != nil:
					if whole.Text != *g.FullText {
						t.Errorf("text:\n got %q\nwant %q", whole.Text, *g.FullText)
					}
				default:
					if got := strings.ToUpper(hex.EncodeToString(whole.Data)); got != wantData {
						t.Errorf("data:\n got %s\nwant %s", got, wantData)
					}
				}
			})
		}
	}
}

// tpduOf returns a vector's TPDU without its SMSC field.
func tpduOf(t testing.TB, v vector) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.PDU)
	if err != nil {
		t.Fatal(err)
	}
	if v.WithSMSC {
		b = b[1+int(b[0]):]
	}
	return b
}
