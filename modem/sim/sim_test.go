package sim

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"
)

// start creates a modem, opens its port like the driver and turns echo off.
func start(t *testing.T, cfg Config) (*Modem, *term) {
	t.Helper()
	m := newTestModem(t, cfg)
	tm := openTerm(t, m.Path())
	tm.expect("RDY\r\n")
	tm.cmd("ATE0")
	return m, tm
}

// submitPDUs encodes text to a number as SMS-SUBMIT PDUs (with an empty
// SMSC prefix) with the PDU library, independently of the sim's decoder.
func submitPDUs(t *testing.T, to, text string, srr bool) []string {
	t.Helper()
	tps, err := sms.Encode([]byte(text), sms.To(to))
	if err != nil {
		t.Fatalf("sms.Encode: %v", err)
	}
	var out []string
	for _, tp := range tps {
		if srr {
			tp.FirstOctet |= tpdu.FoSRR
		}
		b, err := tp.MarshalBinary()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		out = append(out, "00"+strings.ToUpper(hex.EncodeToString(b)))
	}
	return out
}

// tpduLen is the +CMGS <length> of a PDU-mode hex PDU.
func tpduLen(t *testing.T, pdu string) int {
	t.Helper()
	b, err := hex.DecodeString(pdu)
	if err != nil || len(b) == 0 {
		t.Fatalf("bad pdu %q", pdu)
	}
	return len(b) - 1 - int(b[0])
}

// send runs one +CMGS exchange and returns the answer after the PDU.
func (tm *term) sendPDU(pdu string, length int) string {
	tm.t.Helper()
	tm.send(fmt.Sprintf("AT+CMGS=%d\r", length))
	tm.expect("\r\n> ")
	tm.send(pdu + "\x1a")
	return tm.expectFinal()
}

var mrRE = regexp.MustCompile(`\+CMGS: (\d+)`)

func mrOf(t *testing.T, answer string) int {
	t.Helper()
	sm := mrRE.FindStringSubmatch(answer)
	if sm == nil {
		t.Fatalf("no +CMGS in %q", answer)
	}
	n, _ := strconv.Atoi(sm[1])
	return n
}

func TestEchoAndResultCodes(t *testing.T) {
	m := newTestModem(t, Config{})
	tm := openTerm(t, m.Path())
	tm.expect("RDY\r\n")
	tests := []struct {
		send, want string
	}{
		{"AT\r", "AT\r\r\nOK\r\n"},
		{"at\r\n", "at\r\r\nOK\r\n"},
		{"aT+cgmi\r", "aT+cgmi\r\r\nhuawei\r\n\r\nOK\r\n"},
		{"AT+NOSUCH\r", "AT+NOSUCH\r\r\nERROR\r\n"},
		{"ATE1V1\r", "ATE1V1\r\r\nOK\r\n"},
		{"AT+CMGF=0;+CSCS=\"GSM\";+CMGF?\r", "AT+CMGF=0;+CSCS=\"GSM\";+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"},
		{"garbage\r", "garbage\r"},
		{"ATQ0V0\r", "ATQ0V0\r0\r"},
		{"AT+CGMM\r", "AT+CGMM\rE3372\r\n0\r"},
		{"AT+FOO\r", "AT+FOO\r4\r"},
		{"ATV1E0\r", "ATV1E0\r\r\nOK\r\n"},
		{"AT\r", "\r\nOK\r\n"},
		{"ATZ\r", "\r\nOK\r\n"},
		{"AT\r", "AT\r\r\nOK\r\n"},
		{"ATX\x08\r", "ATX\x08\r\r\nOK\r\n"},
		{"AT\x08X\r", "AT\x08X\r"},
	}
	for _, tc := range tests {
		tm.send(tc.send)
		if got := tm.expect(tc.want); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.send, got, tc.want)
		}
	}
}

func TestIdentityAndStatus(t *testing.T) {
	m, tm := start(t, Config{Identity: Identity{OwnNumber: "+33600000001"}})
	_ = m
	tests := []struct {
		cmd, want string
	}{
		{"AT+CGMI", "\r\nhuawei\r\n\r\nOK\r\n"},
		{"AT+CGMM", "\r\nE3372\r\n"},
		{"AT+CGMR", "\r\n22.315.01.00.00\r\n"},
		{"AT+CGSN", "\r\n356938035643809\r\n"},
		{"AT+CIMI", "\r\n208011234567890\r\n"},
		{"AT+CCID", "\r\n+CCID: 89330112345678901231\r\n"},
		{"AT^ICCID?", "\r\n^ICCID: 89330112345678901231\r\n"},
		{"AT+GCAP", "\r\n+GCAP: +CGSM\r\n"},
		{"AT+CSQ", "\r\n+CSQ: 20,99\r\n"},
		{"AT+CREG?", "\r\n+CREG: 0,1\r\n"},
		{"AT+COPS?", "\r\n+COPS: 0,0,\"Orange F\",7\r\n"},
		{"AT+COPS=3,2;+COPS?", "\r\n+COPS: 0,2,\"20801\",7\r\n"},
		{"AT+CPIN?", "\r\n+CPIN: READY\r\n"},
		{"AT+CSCA?", "\r\n+CSCA: \"+33689004000\",145\r\n"},
		{"AT+CNUM", "\r\n+CNUM: \"\",\"+33600000001\",145\r\n"},
		{"AT+CSMS=1", "\r\n+CSMS: 1,1,1\r\n"},
		{"AT+CSMS?", "\r\n+CSMS: 1,1,1,1\r\n"},
		{"AT+CMGF=1", "\r\n+CMS ERROR: 303\r\n"},
		{"AT+CPMS?", "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n"},
		{"AT+CPMS=\"SM\",\"SM\",\"SM\"", "\r\n+CPMS: 0,30,0,30,0,30\r\n"},
		{"AT+CPMS=\"ME\"", "\r\n+CMS ERROR: 302\r\n"},
		{"AT+CNMI=2,1,0,2,0;+CNMI?", "\r\n+CNMI: 2,1,0,2,0\r\n"},
		{"AT+CNMI=9", "\r\n+CMS ERROR: 303\r\n"},
		{"AT+CLIP=1;+CLIP?", "\r\n+CLIP: 1,1\r\n"},
		{"AT+CFUN?", "\r\n+CFUN: 1\r\n"},
		{"AT+CNMA", "\r\n+CMS ERROR: 340\r\n"},
	}
	for _, tc := range tests {
		if got := tm.cmd(tc.cmd); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q in it", tc.cmd, got, tc.want)
		}
	}
}

func TestCMEEAndPIN(t *testing.T) {
	_, tm := start(t, Config{PIN: "1234", PUK: "87654321"})
	tests := []struct {
		cmd, want string
	}{
		{"AT+CPIN?", "+CPIN: SIM PIN"},
		{"AT+CIMI", "\r\nERROR\r\n"},
		{"AT+CMEE=1;+CIMI", "+CME ERROR: 11"},
		{"AT+CMEE=2;+CIMI", "+CME ERROR: SIM PIN required"},
		{"AT+CMGL=4", "+CMS ERROR: SIM PIN required"},
		{"AT+CMEE=1;+CREG?", "+CREG: 0,0"},
		{"AT+CPIN=0000", "+CME ERROR: 16"},
		{"AT+CPIN=\"1234\"", "\r\nOK\r\n"},
		{"AT+CPIN?", "+CPIN: READY"},
		{"AT+CREG?", "+CREG: 0,1"},
		{"AT+CPIN=1234", "+CME ERROR: 3"},
		{"AT+CMEE=0;+CPIN=1234", "\r\nERROR\r\n"},
	}
	for _, tc := range tests {
		if got := tm.cmd(tc.cmd); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q in it", tc.cmd, got, tc.want)
		}
	}
}

func TestPUK(t *testing.T) {
	_, tm := start(t, Config{PIN: "1234", PUK: "87654321"})
	tm.cmd("AT+CMEE=1")
	for range 3 {
		tm.cmd("AT+CPIN=1111")
	}
	if got := tm.cmd("AT+CPIN?"); !strings.Contains(got, "SIM PUK") {
		t.Fatalf("after 3 bad PINs: %q", got)
	}
	if got := tm.cmd(`AT+CPIN="87654321","4321"`); !strings.Contains(got, "OK") {
		t.Fatalf("PUK: %q", got)
	}
	if got := tm.cmd("AT+CPIN?"); !strings.Contains(got, "READY") {
		t.Fatalf("after PUK: %q", got)
	}
}

func TestSubmitPromptAndMR(t *testing.T) {
	m := newTestModem(t, Config{})
	tm := openTerm(t, m.Path())
	tm.expect("RDY\r\n")
	pdu := submitPDUs(t, "+33612345678", "Bonjour", false)[0]
	n := tpduLen(t, pdu)
	// With echo on, as after power-on: echo, prompt without CR LF, echoed
	// PDU and Ctrl-Z, then the answer.
	tm.send(fmt.Sprintf("AT+CMGS=%d\r", n))
	if got, want := tm.expect("> "), fmt.Sprintf("AT+CMGS=%d\r\r\n> ", n); got != want {
		t.Fatalf("prompt: got %q, want %q", got, want)
	}
	tm.send(pdu + "\x1a")
	if got, want := tm.expectFinal(), pdu+"\x1a\r\n+CMGS: 0\r\n\r\nOK\r\n"; got != want {
		t.Fatalf("answer: got %q, want %q", got, want)
	}
	tm.cmd("ATE0")

	// ESC cancels: OK and nothing sent.
	tm.send(fmt.Sprintf("AT+CMGS=%d\r", n))
	tm.expect("\r\n> ")
	tm.send(pdu[:10] + "\x1b")
	if got := tm.expectFinal(); got != "\r\nOK\r\n" {
		t.Fatalf("ESC: got %q", got)
	}
	if m.Sent() != 1 {
		t.Fatalf("Sent after ESC = %d, want 1", m.Sent())
	}
	// MR counts up and wraps after 255.
	for want := 1; want <= 257; want++ {
		if got := mrOf(t, tm.sendPDU(pdu, n)); got != want%256 {
			t.Fatalf("MR = %d, want %d", got, want%256)
		}
	}
	subs := m.Submitted()
	if len(subs) != 258 || subs[0].Destination != "+33612345678" || subs[0].Text != "Bonjour" || subs[0].SMSC != "+33689004000" {
		t.Fatalf("submitted: %d records, first %+v", len(subs), subs[0])
	}
}

func TestSubmitValidation(t *testing.T) {
	m, tm := start(t, Config{})
	good := submitPDUs(t, "+33612345678", "hello", false)[0]
	n := tpduLen(t, good)
	deliver, err := buildDeliver("+33612345678", "hello", 1, []byte{0}, DeliverOptions{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		pdu    string
		length int
		want   string
	}{
		{"good", good, n, "+CMGS: 0"},
		{"lower case hex", strings.ToLower(good), n, "+CMGS: 1"},
		{"length too short", good, n - 1, "+CMS ERROR: 304"},
		{"length too long", good, n + 1, "+CMS ERROR: 304"},
		{"odd hex", good[:len(good)-1], n, "+CMS ERROR: 304"},
		{"not hex", "00" + strings.Repeat("ZZ", n), n, "+CMS ERROR: 304"},
		{"smsc longer than pdu", "FF" + good[2:], n, "+CMS ERROR: 304"},
		{"deliver not submit", deliver[0].hex, deliver[0].tpduLen, "+CMS ERROR: 304"},
		{"truncated user data", good[:len(good)-4], n - 2, "+CMS ERROR: 304"},
		{"empty", "", n, "+CMS ERROR: 304"},
	}
	for _, tc := range tests {
		if got := tm.sendPDU(tc.pdu, tc.length); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, c := range []string{"AT+CMGS=0", "AT+CMGS=abc", "AT+CMGS=999", "AT+CMGS"} {
		if got := tm.cmd(c); strings.Contains(got, ">") || !strings.Contains(got, "ERROR") {
			t.Errorf("%s: got %q, want an error and no prompt", c, got)
		}
	}
	if st := m.Stats(); st.Submitted != 2 || st.Rejected != 8 {
		t.Fatalf("stats: %+v", st)
	}
	// No SMSC anywhere: 330.
	tm.cmd(`AT+CSCA=""`)
	if got := tm.sendPDU(good, n); !strings.Contains(got, "+CMS ERROR: 330") {
		t.Fatalf("no smsc: %q", got)
	}
	// Not registered: 331.
	tm.cmd(`AT+CSCA="+33689004000"`)
	m.SetRegistration(0)
	if got := tm.sendPDU(good, n); !strings.Contains(got, "+CMS ERROR: 331") {
		t.Fatalf("not registered: %q", got)
	}
}

// vectorFile is testdata/pdu_vectors.json.
type vectorFile struct {
	Vectors []struct {
		ID, PDU, Quality, Encoding string
		Destination, Text          *string
		Concat                     *struct{ Ref, Total, Part, RefBits int }
	}
	Groups []struct {
		Group     string
		MemberIDs []string `json:"member_ids"`
		FullText  string   `json:"full_text"`
	}
	Deliver    []struct{ ID, PDU, Type string }
	MustReject []struct {
		ID, PDU         string
		PDUIncludesSMSC bool `json:"pdu_includes_smsc"`
	} `json:"must_reject"`
}

func loadVectors(tb testing.TB) vectorFile {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pdu_vectors.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestSubmitRealVectors sends real-world SMS-SUBMITs and checks the sim's
// independent decoding against the expected fields.
func TestSubmitRealVectors(t *testing.T) {
	m, tm := start(t, Config{})
	vf := loadVectors(t)
	for _, v := range vf.Vectors {
		got := tm.sendPDU(v.PDU, tpduLen(t, v.PDU))
		if v.Quality != "ok" {
			continue // edge cases: either answer is fine, crashing is not
		}
		if v.Destination != nil && *v.Destination == "" {
			// A submit to nobody is refused by the sim, as the network would.
			if !strings.Contains(got, "+CMS ERROR: 304") {
				t.Errorf("%s: empty destination accepted: %q", v.ID, got)
			}
			continue
		}
		if !strings.Contains(got, "+CMGS:") {
			t.Errorf("%s: refused: %q", v.ID, got)
			continue
		}
		subs := m.Submitted()
		s := subs[len(subs)-1]
		if v.Destination != nil && s.Destination != *v.Destination {
			t.Errorf("%s: destination %q, want %q", v.ID, s.Destination, *v.Destination)
		}
		if v.Text != nil && s.Text != *v.Text && s.DecodeError == "" {
			t.Errorf("%s: text %q, want %q", v.ID, s.Text, *v.Text)
		}
		if s.Encoding != v.Encoding {
			t.Errorf("%s: encoding %q, want %q", v.ID, s.Encoding, v.Encoding)
		}
		if v.Concat != nil && (s.ConcatRef != v.Concat.Ref || s.ConcatSeq != v.Concat.Part || s.ConcatTotal != v.Concat.Total) {
			t.Errorf("%s: concat %d %d/%d, want %+v", v.ID, s.ConcatRef, s.ConcatSeq, s.ConcatTotal, *v.Concat)
		}
	}
}

func TestMessagesReassembly(t *testing.T) {
	vf := loadVectors(t)
	byID := map[string]string{}
	for _, v := range vf.Vectors {
		byID[v.ID] = v.PDU
	}
	for _, g := range vf.Groups {
		t.Run(g.Group, func(t *testing.T) {
			m, tm := start(t, Config{})
			// Last part first, then the others, then part 1 again.
			ids := append([]string{g.MemberIDs[len(g.MemberIDs)-1]}, g.MemberIDs[:len(g.MemberIDs)-1]...)
			ids = append(ids, g.MemberIDs[0])
			for _, id := range ids {
				tm.sendPDU(byID[id], tpduLen(t, byID[id]))
			}
			msgs := m.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages: %+v", len(msgs), msgs)
			}
			msg := msgs[0]
			if !msg.Complete || msg.Text != g.FullText || msg.Duplicates != 1 || msg.Total != len(g.MemberIDs) {
				t.Fatalf("message: complete=%t dup=%d total=%d text=%q, want %q", msg.Complete, msg.Duplicates, msg.Total, msg.Text, g.FullText)
			}
		})
	}
	// The same reference reused by a different message gives two messages.
	m, tm := start(t, Config{})
	mk := func(text string, seq int) string {
		tp, err := tpdu.NewSubmit(tpdu.WithDA(tpdu.NewAddress(tpdu.FromNumber("+33611111111"))))
		if err != nil {
			t.Fatal(err)
		}
		tp.SetUDH(tpdu.UserDataHeader{{ID: 0, Data: []byte{7, 2, byte(seq)}}})
		tp.UD = []byte(text)
		b, err := tp.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return "00" + hex.EncodeToString(b)
	}
	for _, p := range []string{mk("first A", 1), mk("other B", 1)} {
		tm.sendPDU(p, tpduLen(t, p))
	}
	if msgs := m.Messages(); len(msgs) != 2 || msgs[0].Complete || msgs[1].Complete {
		t.Fatalf("reused reference: %+v", msgs)
	}
}

func TestStorageCommands(t *testing.T) {
	m, tm := start(t, Config{})
	tm.cmd("AT+CNMI=2,1,0,0,0")
	pdus, err := m.Deliver("+33698765432", "Message un", DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tm.expect("\r\n+CMTI: \"SM\",1\r\n")
	if _, err := m.Deliver("+33698765432", "Message deux", DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	tm.expect("\r\n+CMTI: \"SM\",2\r\n")
	want := fmt.Sprintf("\r\n+CMGL: 1,0,,%d\r\n%s\r\n", tpduLen(t, pdus[0]), pdus[0])
	if got := tm.cmd("AT+CMGL=0"); !strings.HasPrefix(got, want) || !strings.Contains(got, "+CMGL: 2,0,,") {
		t.Fatalf("CMGL=0: %q, want prefix %q", got, want)
	}
	if got := tm.cmd("AT+CMGL"); got != "\r\nOK\r\n" {
		t.Fatalf("CMGL after listing: %q (unread became read)", got)
	}
	if got := tm.cmd("AT+CMGR=1"); !strings.HasPrefix(got, fmt.Sprintf("\r\n+CMGR: 1,,%d\r\n%s\r\n", tpduLen(t, pdus[0]), pdus[0])) {
		t.Fatalf("CMGR=1: %q", got)
	}
	if got := tm.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",2,30`) {
		t.Fatalf("CPMS: %q", got)
	}
	tests := []struct{ cmd, want string }{
		{"AT+CMGD=1", "\r\nOK\r\n"},
		{"AT+CMGR=1", "\r\nOK\r\n"},
		{"AT+CMGR=31", "+CMS ERROR: 321"},
		{"AT+CMGR=0", "+CMS ERROR: 321"},
		{"AT+CMGD=99", "+CMS ERROR: 321"},
		{"AT+CMGD=?", "+CMGD: (2),(0-4)"},
		{"AT+CMGL=\"ALL\"", "+CMS ERROR: 304"},
		{"AT+CMGL=4", "+CMGL: 2,1,,"},
		{"AT+CMGD=1,4", "\r\nOK\r\n"},
		{"AT+CMGL=4", "\r\nOK\r\n"},
	}
	for _, tc := range tests {
		if got := tm.cmd(tc.cmd); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if len(m.Storage()) != 0 {
		t.Fatalf("storage not empty: %+v", m.Storage())
	}
}

func TestZeroBasedIndexAndME(t *testing.T) {
	m, tm := start(t, Config{ZeroBasedIndex: true, SIMCapacity: 1, MECapacity: 5})
	tm.cmd(`AT+CPMS="MT","MT","MT";+CNMI=2,1,0,0,0`)
	for i := range 3 {
		if _, err := m.Deliver("+33698765432", fmt.Sprintf("m%d", i), DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
		tm.expect(fmt.Sprintf("+CMTI: \"MT\",%d\r\n", i))
	}
	if got := tm.cmd(`AT+CPMS="ME"`); !strings.Contains(got, "+CPMS: 2,5,") {
		t.Fatalf("CPMS ME: %q", got)
	}
	if got := tm.cmd("AT+CMGR=0"); !strings.Contains(got, "+CMGR: 0,,") {
		t.Fatalf("CMGR=0 on ME: %q", got)
	}
}

func TestCNMIRouting(t *testing.T) {
	tests := []struct {
		cnmi string
		want string // prefix of the indication, "" when stored silently
	}{
		{"2,2,0,0,0", "+CMT: ,"},
		{"2,1,0,0,0", "+CMTI: \"SM\",1"},
		{"1,3,0,0,0", "+CMTI: \"SM\",1"},
		{"2,0,0,0,0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.cnmi, func(t *testing.T) {
			m, tm := start(t, Config{})
			tm.cmd("AT+CNMI=" + tc.cnmi)
			pdus, err := m.Deliver("+33698765432", "route me", DeliverOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				// Silently stored: it shows in the listing.
				if got := tm.cmd("AT+CMGL=4"); !strings.Contains(got, pdus[0]) {
					t.Fatalf("CMGL: %q", got)
				}
				return
			}
			tm.expect(tc.want)
			if tc.want == "+CMT: ," {
				l := tm.expect("\r\n")
				want := fmt.Sprintf("%d\r\n", tpduLen(t, pdus[0]))
				if l != want {
					t.Fatalf("+CMT length: %q, want %q", l, want)
				}
				if pdu := tm.expect("\r\n"); pdu != pdus[0]+"\r\n" {
					t.Fatalf("+CMT pdu: %q", pdu)
				}
			}
		})
	}
}

func TestStatusReports(t *testing.T) {
	tests := []struct {
		cnmi string
		want string
	}{
		{"2,1,0,1,0", "+CDS: "},
		{"2,1,0,2,0", "+CDSI: \"SM\",1"},
	}
	for _, tc := range tests {
		t.Run(tc.cnmi, func(t *testing.T) {
			m, tm := start(t, Config{StatusReports: true})
			tm.cmd("AT+CNMI=" + tc.cnmi)
			pdu := submitPDUs(t, "+33612345678", "report me", true)[0]
			mr := mrOf(t, tm.sendPDU(pdu, tpduLen(t, pdu)))
			tm.expect(tc.want)
			var srHex string
			if tc.want == "+CDS: " {
				tm.expect("\r\n")
				srHex = strings.TrimSpace(tm.expect("\r\n"))
			} else {
				got := tm.cmd("AT+CMGR=1")
				lines := strings.Split(strings.TrimSpace(got), "\r\n")
				srHex = lines[1]
			}
			_, tp, err := splitPDU(srHex)
			if err != nil {
				t.Fatal(err)
			}
			sr, err := sms.Unmarshal(tp, sms.AsMT)
			if err != nil {
				t.Fatalf("status report %s: %v", srHex, err)
			}
			if sr.SmsType() != tpdu.SmsStatusReport || int(sr.MR) != mr || sr.RA.Number() != "+33612345678" || sr.ST != 0 {
				t.Fatalf("status report: type %v mr %d ra %s st %d", sr.SmsType(), sr.MR, sr.RA.Number(), sr.ST)
			}
			if m.Stats().StatusReports != 1 {
				t.Fatalf("stats: %+v", m.Stats())
			}
		})
	}
	// No report when the submit did not ask for one.
	m, tm := start(t, Config{StatusReports: true})
	tm.cmd("AT+CNMI=2,1,0,1,0")
	pdu := submitPDUs(t, "+33612345678", "no report", false)[0]
	tm.sendPDU(pdu, tpduLen(t, pdu))
	tm.cmd("AT")
	if m.Stats().StatusReports != 0 {
		t.Fatalf("unexpected report: %+v", m.Stats())
	}
}

func TestCNMIModeZeroBuffers(t *testing.T) {
	m, tm := start(t, Config{})
	tm.cmd("AT+CNMI=0,1,0,0,0")
	if _, err := m.Deliver("+33698765432", "buffered", DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	// Stored at once, indication held in the TA.
	if got := tm.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",1,30`) {
		t.Fatalf("CPMS: %q", got)
	}
	if strings.Contains(tm.pending(), "+CMTI") {
		t.Fatal("indication printed in mode 0")
	}
	tm.cmd("AT+CNMI=2,1,0,0,0")
	tm.expect("+CMTI: \"SM\",1\r\n")
}

func TestCNMARedelivery(t *testing.T) {
	m, tm := start(t, Config{AckTimeout: 200 * time.Millisecond, RedeliveryDelay: time.Millisecond})
	tm.cmd("AT+CSMS=1;+CNMI=2,2,0,0,0")
	pdus, err := m.Deliver("+33698765432", "ack me", DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Not acknowledged: the same PDU comes again.
	for range 2 {
		tm.expect("+CMT: ,")
		tm.expect("\r\n")
		if got := tm.expect("\r\n"); got != pdus[0]+"\r\n" {
			t.Fatalf("+CMT pdu %q, want %q", got, pdus[0])
		}
	}
	if got := tm.cmd("AT+CNMA"); !strings.Contains(got, "OK") {
		// The timer may have fired between the +CMT and the +CNMA: then
		// the next +CMT is the one to acknowledge.
		tm.expect("+CMT: ,")
		tm.expect("\r\n")
		tm.expect("\r\n")
		if got := tm.cmd("AT+CNMA"); !strings.Contains(got, "OK") {
			t.Fatalf("CNMA: %q", got)
		}
	}
	if got := tm.cmd("AT+CNMA"); !strings.Contains(got, "+CMS ERROR: 340") {
		t.Fatalf("second CNMA: %q", got)
	}
	if st := m.Stats(); st.Redelivered < 1 || st.Acks != 1 || st.Pending != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestCNMANackAndNextMessage(t *testing.T) {
	m, tm := start(t, Config{AckTimeout: time.Minute, RedeliveryDelay: time.Millisecond})
	tm.cmd("AT+CSMS=1;+CNMI=2,2,0,0,0")
	first, _ := m.Deliver("+33698765432", "one", DeliverOptions{})
	second, _ := m.Deliver("+33698765432", "two", DeliverOptions{})
	tm.expect("+CMT: ,")
	tm.expect("\r\n")
	if got := tm.expect("\r\n"); got != first[0]+"\r\n" {
		t.Fatalf("first: %q", got)
	}
	// The network waits for the ack before the next message.
	if strings.Contains(tm.pending(), second[0]) {
		t.Fatal("second +CMT before the first was acknowledged")
	}
	// Refused: the waiting message comes first, the refused one again later.
	tm.cmd("AT+CNMA=2")
	tm.expect(second[0] + "\r\n")
	tm.cmd("AT+CNMA=1")
	tm.expect(first[0] + "\r\n")
	tm.cmd("AT+CNMA=0")
	if st := m.Stats(); st.Acks != 2 || st.Pending != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestFullStorageHoldsMessages(t *testing.T) {
	m, tm := start(t, Config{SIMCapacity: 2})
	tm.cmd("AT+CNMI=2,1,0,0,0")
	for i := range 3 {
		if _, err := m.Deliver("+33698765432", fmt.Sprintf("msg %d", i), DeliverOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tm.expect("+CMTI: \"SM\",1")
	tm.expect("+CMTI: \"SM\",2")
	if st := m.Stats(); st.Pending != 1 || st.StoredSIM != 2 {
		t.Fatalf("stats when full: %+v", st)
	}
	pdu := submitPDUs(t, "+33612345678", "draft", false)[0]
	tm.send(fmt.Sprintf("AT+CMGW=%d\r", tpduLen(t, pdu)))
	tm.expect("> ")
	tm.send(pdu + "\x1a")
	if got := tm.expectFinal(); !strings.Contains(got, "+CMS ERROR: 322") {
		t.Fatalf("CMGW when full: %q", got)
	}
	tm.cmd("AT+CMGD=1")
	tm.expect("+CMTI: \"SM\",1")
	if st := m.Stats(); st.Pending != 0 {
		t.Fatalf("stats after delete: %+v", st)
	}
	if got := tm.cmd("AT+CMGR=1"); !strings.Contains(got, "+CMGR: 0,,") {
		t.Fatalf("held message: %q", got)
	}
}

func TestCMGW(t *testing.T) {
	_, tm := start(t, Config{})
	pdu := submitPDUs(t, "+33612345678", "draft", false)[0]
	tm.send(fmt.Sprintf("AT+CMGW=%d,3\r", tpduLen(t, pdu)))
	tm.expect("> ")
	tm.send(pdu + "\x1a")
	if got := tm.expectFinal(); !strings.Contains(got, "+CMGW: 1") {
		t.Fatalf("CMGW: %q", got)
	}
	if got := tm.cmd("AT+CMGL=3"); !strings.Contains(got, "+CMGL: 1,3,,") {
		t.Fatalf("CMGL=3: %q", got)
	}
	tm.cmd("AT+CMGD=1,2")
	if got := tm.cmd("AT+CMGL=4"); got != "\r\nOK\r\n" {
		t.Fatalf("after delflag 2: %q", got)
	}
}

func TestRingAndClip(t *testing.T) {
	m, tm := start(t, Config{RingInterval: 5 * time.Millisecond, RingCount: 2})
	tm.cmd("AT+CLIP=1")
	if err := m.Ring("+33612345678"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tm.expect("\r\nRING\r\n")
		tm.expect("\r\n+CLIP: \"+33612345678\",145,,,,0\r\n")
	}
	tm.expect("\r\nNO CARRIER\r\n")
}

func TestRingHangUp(t *testing.T) {
	m, tm := start(t, Config{RingInterval: time.Hour})
	tm.cmd("AT+CLIP=1")
	if err := m.Ring("0612345678"); err != nil {
		t.Fatal(err)
	}
	tm.expect("+CLIP: \"0612345678\",129,,,,0\r\n")
	if err := m.Ring("+33611111111"); err != ErrBusy {
		t.Fatalf("second call: %v", err)
	}
	if got := tm.cmd("AT+CLCC"); !strings.Contains(got, `+CLCC: 1,1,4,0,0,"0612345678",129`) {
		t.Fatalf("CLCC: %q", got)
	}
	tm.cmd("ATH")
	if got := tm.cmd("AT+CLCC"); got != "\r\nOK\r\n" {
		t.Fatalf("CLCC after ATH: %q", got)
	}
	if err := m.Ring("+33611111111"); err != nil {
		t.Fatalf("ring after hang-up: %v", err)
	}
	tm.expect("RING")
	tm.cmd("AT+CHUP")
	if st := m.Stats(); st.Rings != 2 {
		t.Fatalf("rings: %+v", st)
	}
}

func TestUSSD(t *testing.T) {
	m, tm := start(t, Config{})
	if got := tm.cmd(`AT+CUSD=1,"*123#",15`); got != "\r\nOK\r\n" {
		t.Fatalf("CUSD: %q", got)
	}
	tm.expect("\r\n+CUSD: 0,\"Votre solde est de 5,00 EUR\",15\r\n")
	tm.cmd(`AT+CUSD=1,"*999#",15`)
	tm.expect("\r\n+CUSD: 4\r\n")
	m.SetUSSD("#100#", "Forfait")
	tm.cmd(`AT+CSCS="UCS2";+CUSD=1,"#100#",15`)
	tm.expect("\r\n+CUSD: 0,\"0046006F00720066006100690074\",72\r\n")
}

func TestUnplugReplugThroughLink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "serial", "by-id", "usb-Sim_Modem_0-if00")
	m, tm := start(t, Config{Link: link})
	tm.cmd("AT+CNMI=2,1,0,0,0")
	if _, err := m.Deliver("+33698765432", "kept on the SIM", DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	tm.expect("+CMTI")
	first, err := os.Readlink(link)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Unplug(); err != nil {
		t.Fatal(err)
	}
	// The driver's read fails; the link is gone.
	<-tm.done
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link after unplug: %v", err)
	}
	if m.Unplug() != ErrUnplugged || m.Inject("x") != ErrUnplugged {
		t.Fatal("second unplug or inject should fail")
	}
	// Delivered while unplugged: held by the network.
	if _, err := m.Deliver("+33698765432", "sent while away", DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Replug(); err != nil {
		t.Fatal(err)
	}
	if m.Replug() != ErrPlugged {
		t.Fatal("second replug should fail")
	}
	second, err := os.Readlink(link)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Logf("the new pty reuses %s", second)
	}
	tm2 := openTerm(t, link)
	tm2.expect("RDY\r\n")
	// Power cycle: echo is on again and +CNMI is back to 0.
	if got := tm2.cmd("AT+CNMI?"); got != "AT+CNMI?\r\r\n+CNMI: 0,0,0,0,0\r\n\r\nOK\r\n" {
		t.Fatalf("after replug: %q", got)
	}
	tm2.cmd("ATE0")
	got := tm2.cmd("AT+CMGL=4")
	if !strings.Contains(got, "+CMGL: 1,") || !strings.Contains(got, "+CMGL: 2,") {
		t.Fatalf("SIM storage after replug: %q", got)
	}
	if m.Stats().Unplugs != 1 {
		t.Fatalf("stats: %+v", m.Stats())
	}
}

func TestRebootWithCFUN(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	_, tm := start(t, Config{Link: link})
	if got := tm.cmd("AT+CFUN=1,1"); got != "\r\nOK\r\n" {
		t.Fatalf("CFUN: %q", got)
	}
	<-tm.done
	// The link comes back, pointing at the new port.
	deadline := time.Now().Add(waitLimit)
	for {
		if _, err := os.Stat(link); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("link did not come back")
		}
		time.Sleep(time.Millisecond)
	}
	tm2 := openTerm(t, link)
	tm2.expect("RDY\r\n")
	tm2.cmd("AT")
}

func TestHangResume(t *testing.T) {
	m, tm := start(t, Config{})
	m.Hang()
	tm.send("AT+CGMI\r")
	deadline := time.Now().Add(waitLimit)
	for m.Stats().Dropped < len("AT+CGMI\r") {
		if time.Now().After(deadline) {
			t.Fatal("hung modem did not read its input")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := m.Deliver("+33698765432", "while hung", DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	m.Resume()
	got := tm.cmd("AT+CGMM")
	if strings.Contains(got, "huawei") || !strings.Contains(got, "E3372") {
		t.Fatalf("after resume: %q", got)
	}
	if !m.Stats().Plugged || m.Stats().Hung {
		t.Fatalf("stats: %+v", m.Stats())
	}
}

func TestNoise(t *testing.T) {
	noise := Noise{InAnswers: 1, SplitPDU: 1, Lines: []string{"^BOOT:37478870,0,0,0,77"}}
	m, tm := start(t, Config{Noise: noise})
	tm.cmd("AT+CNMI=2,1,0,0,0")
	pdus, _ := m.Deliver("+33698765432", "noisy", DeliverOptions{})
	tm.expect("+CMTI")
	got := tm.cmd("AT+CMGL=4")
	half := len(pdus[0]) / 2
	want := fmt.Sprintf("\r\n^BOOT:37478870,0,0,0,77\r\n%s\r\n^BOOT:37478870,0,0,0,77\r\n%s\r\n", pdus[0][:half], pdus[0][half:])
	if !strings.Contains(got, want) {
		t.Fatalf("CMGL with noise: %q, want %q in it", got, want)
	}
	// Identification lines are never split.
	if got := tm.cmd("AT+CGSN"); !strings.Contains(got, "356938035643809") {
		t.Fatalf("CGSN: %q", got)
	}
	m.SetNoise(Noise{})
	m.EmitNoise(3)
	for range 3 {
		tm.expect("\r\n")
	}
	if _, err := m.Control("noise 2"); err != nil {
		t.Fatal(err)
	}
	tm.cmd("AT")
}

func TestPeriodicNoise(t *testing.T) {
	_, tm := start(t, Config{Noise: Noise{Interval: time.Millisecond, Lines: []string{"^RSSI:14"}}})
	tm.expect("\r\n^RSSI:14\r\n")
	tm.expect("\r\n^RSSI:14\r\n")
	if got := tm.cmd("AT+CSQ"); !strings.Contains(got, "+CSQ: 20,99") {
		t.Fatalf("CSQ: %q", got)
	}
}

func TestLatency(t *testing.T) {
	m, tm := start(t, Config{Latency: 2 * time.Millisecond, CommandLatency: map[string]time.Duration{"cmgs": 5 * time.Millisecond}})
	pdu := submitPDUs(t, "+33612345678", "slow", false)[0]
	if got := tm.sendPDU(pdu, tpduLen(t, pdu)); !strings.Contains(got, "+CMGS: 0") {
		t.Fatalf("slow send: %q", got)
	}
	m.SetLatency(0)
	m.SetCommandLatency("+CMGS", 0)
	if got := tm.sendPDU(pdu, tpduLen(t, pdu)); !strings.Contains(got, "+CMGS: 1") {
		t.Fatalf("fast send: %q", got)
	}
	// Unplugged during a latency wait: the answer never comes, no crash.
	m.SetLatency(time.Hour)
	tm.send("AT\r")
	deadline := time.Now().Add(waitLimit)
	for m.Stats().Commands < 4 {
		if time.Now().After(deadline) {
			t.Fatal("command not read")
		}
		time.Sleep(time.Millisecond)
	}
	if err := m.Unplug(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorInjection(t *testing.T) {
	m, tm := start(t, Config{})
	pdu := submitPDUs(t, "+33612345678", "retry", false)[0]
	n := tpduLen(t, pdu)
	m.FailNext("+CMGS", 2, "+CMS ERROR: 500")
	for range 2 {
		if got := tm.sendPDU(pdu, n); !strings.Contains(got, "+CMS ERROR: 500") {
			t.Fatalf("injected: %q", got)
		}
	}
	if got := tm.sendPDU(pdu, n); !strings.Contains(got, "+CMGS: 0") {
		t.Fatalf("after injected errors: %q", got)
	}
	m.FailRate("+CSQ", 1, "+CME ERROR: 100")
	if got := tm.cmd("AT+CSQ"); !strings.Contains(got, "+CME ERROR: 100") {
		t.Fatalf("rate 1: %q", got)
	}
	m.ClearFaults()
	if got := tm.cmd("AT+CSQ"); !strings.Contains(got, "+CSQ:") {
		t.Fatalf("after clear: %q", got)
	}
	if st := m.Stats(); st.Rejected != 2 || st.InjectedErrors != 3 || st.Submitted != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

type transcriptFile struct {
	Transcripts []struct {
		ID           string
		Raw          string
		RawUnescaped string `json:"raw_unescaped"`
	}
}

func TestScriptAndInjectReplayTranscripts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "transcripts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tf transcriptFile
	if err := json.Unmarshal(b, &tf); err != nil {
		t.Fatal(err)
	}
	m, tm := start(t, Config{})
	for _, tr := range tf.Transcripts {
		raw := tr.Raw
		if raw == "" {
			raw = tr.RawUnescaped
		}
		if raw == "" {
			t.Fatalf("%s: no raw text", tr.ID)
		}
		answer := raw
		if !strings.HasSuffix(raw, "OK\r\n") {
			answer += "\r\nOK\r\n"
		}
		m.Script("AT+CMGL=4", answer)
		tm.send("AT+CMGL=4\r")
		if got := tm.expect(answer); got != answer {
			t.Errorf("%s: script: got %q", tr.ID, got)
		}
		if err := m.Inject(raw + "\r\nEND\r\n"); err != nil {
			t.Fatal(err)
		}
		if got := tm.expect("\r\nEND\r\n"); got != raw+"\r\nEND\r\n" {
			t.Errorf("%s: inject: got %q", tr.ID, got)
		}
	}
	// Scripts are one-shot.
	if got := tm.cmd("AT+CMGL=4"); got != "\r\nOK\r\n" {
		t.Fatalf("after scripts: %q", got)
	}
}

func TestDeliverOptionsAndPDU(t *testing.T) {
	m, tm := start(t, Config{})
	tm.cmd("AT+CNMI=2,2,0,0,0")
	long := strings.Repeat("Ceci est un long message. ", 20)
	scts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("", 3600))
	pdus, err := m.Deliver("+33698765432", long, DeliverOptions{Ref16: true, ConcatRef: 4242, SCTS: scts, DropPart: 2, Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 3 {
		t.Fatalf("%d parts after dropping one of 4", len(pdus))
	}
	seen := map[int]bool{}
	for _, p := range pdus {
		tm.expect(p + "\r\n")
		_, tp, err := splitPDU(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := sms.Unmarshal(tp)
		if err != nil {
			t.Fatal(err)
		}
		total, seq, ref, ok := d.UDH.ConcatInfo16()
		if !ok || total != 4 || ref != 4242 || !d.SCTS.Equal(scts) || d.OA.Number() != "+33698765432" {
			t.Fatalf("part: ok=%t total=%d ref=%d scts=%v oa=%s", ok, total, ref, d.SCTS, d.OA.Number())
		}
		seen[seq] = true
	}
	if seen[2] || len(seen) != 3 {
		t.Fatalf("parts seen: %v", seen)
	}
	// Encoding by content, class 0, alphanumeric sender.
	tests := []struct {
		from, text string
		opts       DeliverOptions
		dcs        byte
	}{
		{"+33698765432", "Prix: 10€ [promo]", DeliverOptions{}, 0x00},
		{"Orange", "Salam مرحبا 😀", DeliverOptions{}, 0x08},
		{"0698765432", "flash", DeliverOptions{Class0: true}, 0x10},
		{"+33698765432", "force", DeliverOptions{UCS2: true}, 0x08},
	}
	for _, tc := range tests {
		pdus, err := m.Deliver(tc.from, tc.text, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		tm.expect(pdus[0] + "\r\n")
		_, tp, _ := splitPDU(pdus[0])
		d, err := sms.Unmarshal(tp)
		if err != nil {
			t.Fatal(err)
		}
		text, err := sms.Decode([]*tpdu.TPDU{d})
		if err != nil || string(text) != tc.text || byte(d.DCS) != tc.dcs || d.OA.Number() != tc.from {
			t.Errorf("%q: text %q dcs %#x from %q err %v", tc.text, text, byte(d.DCS), d.OA.Number(), err)
		}
	}
	// Raw PDUs, including ones a decoder must reject, reach the line as is.
	vf := loadVectors(t)
	for _, v := range vf.Deliver[:10] {
		if err := m.DeliverPDU(v.PDU); err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if v.Type == "SMS-STATUS-REPORT" {
			continue // routed per <ds>, which is 0 here: stored
		}
		tm.expect(fmt.Sprintf("+CMT: ,%d\r\n%s\r\n", tpduLen(t, v.PDU), v.PDU))
	}
	for _, v := range vf.MustReject {
		if !v.PDUIncludesSMSC {
			continue
		}
		if err := m.DeliverPDU(v.PDU); err != nil {
			continue // not even a PDU-mode frame
		}
		tm.expect(v.PDU + "\r\n")
	}
	if err := m.DeliverPDU("zz"); err == nil {
		t.Fatal("DeliverPDU accepted non-hex")
	}
	if _, err := m.Deliver("", "x", DeliverOptions{}); err == nil {
		t.Fatal("Deliver accepted an empty sender")
	}
}

func TestGarbageNeverBreaksTheModem(t *testing.T) {
	m, tm := start(t, Config{})
	junk := []string{
		"\x00\x01\x02\xff\xfe\r\n",
		"AT" + strings.Repeat("X", 5000) + "\r",
		"AT+CMGS=5\r\x1b",
		"AT+CMGS=10\r" + strings.Repeat("0", 3000) + "\x1a",
		"AT+CPMS=\"SM\",\"SM\",\"SM\",\"SM\"\r",
		"AT+CNMI=,,,,,,,\r",
		"AT+CMGD=\r",
		"AT+CMGR=-1\r",
		"AT+CUSD=1,\"\r",
		"AT&\r",
		"AT+\r",
		"AT=?\r",
		"ATS0=1;S7?\r",
		"\x1b\r\n\r\n",
		"AT+CNMA=1,5\r0000\x1a",
		"AT+COPS=1,2,\"99999\"\r",
		"ATD+33612345678;\r",
		"ATA\r",
	}
	for _, j := range junk {
		tm.send(j)
	}
	tm.send("AT+CGMM\r")
	tm.expect("\r\nE3372\r\n\r\nOK\r\n")
	if !m.Stats().Plugged {
		t.Fatal("modem died")
	}
}

func TestControl(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttySIM0")
	m, tm := start(t, Config{Link: link})
	tm.cmd("AT+CNMI=2,1,0,1,0;+CLIP=1")
	tests := []struct {
		line    string
		wantOut string
		wantErr bool
	}{
		{"help", "deliver <from>", false},
		{"deliver +33612345678 Bonjour à tous", "queued 1 part(s)", false},
		{"ring +33612345678", "ringing", false},
		{"latency 0s", "latency 0s", false},
		{"latency cmgs 1ms", "latency +CMGS 1ms", false},
		{"error cmgs 500 2", `next 2 +CMGS answer "+CMS ERROR: 500"`, false},
		{"error csq 30", `next 1 +CSQ answer "+CME ERROR: 30"`, false},
		{"error cops ERROR 50%", `+COPS answers "ERROR" 50% of the time`, false},
		{"error clear", "errors cleared", false},
		{"signal 12", "signal 12", false},
		{"creg 5", "creg 5", false},
		{"ussd *144# Reste 2 Go", "ussd *144#", false},
		{"reports on 1ms 0", "status reports on", false},
		{"reports off", "status reports off", false},
		{`inject \r\n^MODE:5,4\r\n`, "injected 13 byte(s)", false},
		{"noise 2", "noise 2", false},
		{"noise every 1h", "noise every 1h0m0s", false},
		{"noise off", "noise off", false},
		{"status", "plugged=true", false},
		{"submitted", "", false},
		{"messages", "", false},
		{"hang", "hung", false},
		{"resume", "resumed", false},
		{"unplug", "unplugged", false},
		{"replug", "plugged at " + link, false},
		{"", "", true},
		{"frobnicate", "", true},
		{"deliver +336", "", true},
		{"latency soon", "", true},
		{"error cmgs", "", true},
		{"signal 200", "", true},
		{"deliver-pdu nothex", "", true},
	}
	for _, tc := range tests {
		out, err := m.Control(tc.line)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v", tc.line, err)
		}
		if !strings.Contains(out, tc.wantOut) {
			t.Errorf("%q: output %q, want %q in it", tc.line, out, tc.wantOut)
		}
	}
	tm2 := openTerm(t, link)
	tm2.expect("RDY\r\n")
	if got := tm2.cmd("AT+CSQ"); !strings.Contains(got, "+CSQ: 12,99") {
		t.Fatalf("CSQ after signal verb: %q", got)
	}
	if out, _ := m.Control("status"); !strings.Contains(out, "unplugs=1") || !strings.Contains(out, "creg=1") {
		t.Fatalf("status: %q", out)
	}
	tm2.cmd("ATE0")
	pdu := submitPDUs(t, "+33612345678", "control", false)[0]
	tm2.sendPDU(pdu, tpduLen(t, pdu))
	if out, _ := m.Control("submitted"); !strings.Contains(out, `to=+33612345678 enc=gsm7 text="control"`) {
		t.Fatalf("submitted: %q", out)
	}
	if out, _ := m.Control("messages"); !strings.Contains(out, "complete") {
		t.Fatalf("messages: %q", out)
	}
	if out, _ := m.Control("storage"); !strings.HasPrefix(out, "SM 1 stat=0 ") {
		t.Fatalf("storage: %q", out)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	link := filepath.Join(t.TempDir(), "m")
	m, err := New(Config{Link: link})
	if err != nil {
		t.Fatal(err)
	}
	tm := openTerm(t, m.Path())
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	<-tm.done
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link after close: %v", err)
	}
	if m.Replug() != ErrClosed || m.Unplug() != ErrClosed {
		t.Fatal("closed modem came back")
	}
	if _, err := m.Deliver("+33612345678", "x", DeliverOptions{}); err != ErrClosed {
		t.Fatalf("Deliver after close: %v", err)
	}
}

func TestRegistrationDelay(t *testing.T) {
	m, tm := start(t, Config{RegistrationDelay: time.Hour})
	if got := tm.cmd("AT+CREG?;+COPS?"); !strings.Contains(got, "+CREG: 0,2") || !strings.Contains(got, "+COPS: 0\r\n") {
		t.Fatalf("while searching: %q", got)
	}
	pdu := submitPDUs(t, "+33612345678", "too early", false)[0]
	if got := tm.sendPDU(pdu, tpduLen(t, pdu)); !strings.Contains(got, "+CMS ERROR: 331") {
		t.Fatalf("send while searching: %q", got)
	}
	tm.cmd("AT+CREG=1")
	m.SetRegistration(1)
	tm.expect("\r\n+CREG: 1\r\n")
	tm.cmd("AT+CREG=2")
	m.SetRegistration(5)
	tm.expect("\r\n+CREG: 5,\"00C3\",\"0000D2F1\"\r\n")
}

func TestURCBufferIsBounded(t *testing.T) {
	m, tm := start(t, Config{Noise: Noise{Lines: []string{"^X"}}})
	m.Hang()
	m.EmitNoise(maxURCs + 500)
	m.Resume()
	// The buffer is printed in one go, before or after the first OK.
	got := tm.cmd("AT")
	for !strings.Contains(got, "^X") {
		got += tm.cmd("AT")
	}
	got += tm.cmd("AT")
	if n := strings.Count(got, "^X"); n != maxURCs {
		t.Fatalf("%d buffered URCs printed, want %d", n, maxURCs)
	}
}

// TestMasterEIORecovers closes the sim's own slave descriptor so that the
// master reads EIO while no driver has the port open; the reader backs off
// and the modem answers once a driver opens the port.
func TestMasterEIORecovers(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	h := slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), &slog.HandlerOptions{Level: slog.LevelDebug})
	m := newTestModem(t, Config{Logger: slog.New(h)})
	m.mu.Lock()
	p := m.port
	m.mu.Unlock()
	p.slave.Close()
	deadline := time.Now().Add(waitLimit)
	for {
		mu.Lock()
		seen := strings.Contains(logs.String(), "sim: pty read")
		mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the master never read EIO")
		}
		time.Sleep(time.Millisecond)
	}
	tm := openTerm(t, m.Path())
	tm.send("AT+CGMM\r")
	tm.expect("\r\nE3372\r\n\r\nOK\r\n")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
