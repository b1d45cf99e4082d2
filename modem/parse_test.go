package modem_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/warthog618/modem/at"

	"gsmbox/modem"
)

// unhex decodes a hex constant of a test table.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad test constant %q: %v", s, err)
	}
	return b
}

const (
	// An SMS-DELIVER from +33636786385 ("Kd"), SMSC +33609001040: the
	// first entry of garronej/at-messages-parser's longInput2 capture.
	pduKd = "07913306091040F0040B913336766883F5000071205281500040024B32"
	// An SMS-STATUS-REPORT (ModemManager test set, +CDS: 24).
	pduReport = "07914356060013F1065A098136395339F6219011700463802190117004638030"
)

func TestDecodePDUHex(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // hex; "" when an error is expected
		wantErr  error  // checked with errors.Is when set
	}{
		{"plain", pduKd, pduKd, nil},
		{"lowercase", strings.ToLower(pduKd), pduKd, nil},
		{"quoted", `"` + pduKd + `"`, pduKd, nil},
		{"trailing quote only", pduKd + `"`, pduKd, nil},
		{"spaces", " 07 91 3306091040F0 040B913336766883F5000071205281500040024B32 ", pduKd, nil},
		{"no SMSC", "0011000B817044763185F60000AD044D76F80C", "0011000B817044763185F60000AD044D76F80C", nil},
		{"SMSC with TOA only", "018111000A8133184449200000FF1E69F7BC2C4FCFC76950BC9E06A5D9A076793E0F9FCFE9B7CBE57201", "018111000A8133184449200000FF1E69F7BC2C4FCFC76950BC9E06A5D9A076793E0F9FCFE9B7CBE57201", nil},
		{"empty", "", "", nil},
		{"only quotes", `""`, "", nil},
		{"odd digits", "079133060", "", nil},
		{"not hex", "0791330609104 0XF0", "", nil},
		{"SMSC length 12", "0CD0ABD9CC86CBC16034180C1616000AD0D770BB5D0700F9FF080074006500730074", "", modem.ErrBadSMSC},
		{"SMSC longer than data", "C474795E96", "", modem.ErrBadSMSC},
		{"SMSC leaves no TPDU", "0791330609104000", "", modem.ErrBadSMSC},
		{"SMSC only", "00", "", modem.ErrBadSMSC},
		{"TOA without extension bit", "0906346170706C69636174696F6E2F766E64", "", modem.ErrBadSMSC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modem.DecodePDUHex(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("DecodePDUHex(%q) = %X, want an error", tt.in, got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "PDU") {
					t.Errorf("error %q does not say what it could not parse", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodePDUHex(%q): %v", tt.in, err)
			}
			if !bytes.Equal(got, unhex(t, tt.want)) {
				t.Errorf("DecodePDUHex(%q) = %X, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePDUList(t *testing.T) {
	second := "07913306091040F0040B913336766883F500007120528150104017CFF7FB0D0A83C2207618E42697E5F772580E229701"
	tests := []struct {
		name     string
		info     []string
		want     []modem.StoredPDU
		badIdx   []int   // indexes named by the *ListError, in order (-1: no header)
		badErr   []error // errors.Is targets, one per bad entry (nil: any)
		wantNone bool    // no error expected
	}{
		{
			name:     "standard",
			info:     []string{"+CMGL: 0,1,,21", pduKd, "+CMGL: 3,0,\"\",40", second},
			want:     []modem.StoredPDU{{Index: 0, Stat: 1, Length: 21}, {Index: 3, Stat: 0, Length: 40}},
			wantNone: true,
		},
		{
			name:     "no space, lowercase, quoted, noise, empty lines",
			info:     []string{"", "^RSSI:14", "+CMGL:0,1,,21", `"` + strings.ToLower(pduKd) + `"`, "RDY", "+CREG: 1", "+CMGL:3,0,,40", "", second, "+CMTI: \"SM\",4"},
			want:     []modem.StoredPDU{{Index: 0, Stat: 1, Length: 21}, {Index: 3, Stat: 0, Length: 40}},
			wantNone: true,
		},
		{
			name:     "PDU split by ^BOOT in the middle of an octet",
			info:     []string{"+CMGL: 1,1,,40", second[:61], "^BOOT:37478870,0,0,0,77", second[61:]},
			want:     []modem.StoredPDU{{Index: 1, Stat: 1, Length: 40}},
			wantNone: true,
		},
		{
			name:     "PDU split in three by noise and garbage",
			info:     []string{"+CMGL: 1,1,,40", second[:20], "^RSSI:19", second[20:50], "***", "", second[50:], "+CMGL: 0,1,,21", pduKd},
			want:     []modem.StoredPDU{{Index: 1, Stat: 1, Length: 40}, {Index: 0, Stat: 1, Length: 21}},
			wantNone: true,
		},
		{
			name:     "header and PDU in one string",
			info:     []string{"+CMGL: 0,1,,21\r\n" + pduKd + "\r\n"},
			want:     []modem.StoredPDU{{Index: 0, Stat: 1, Length: 21}},
			wantNone: true,
		},
		{
			name:     "FF padding dropped",
			info:     []string{"+CMGL: 0,1,,21", pduKd + "FFFFFFFF"},
			want:     []modem.StoredPDU{{Index: 0, Stat: 1, Length: 21}},
			wantNone: true,
		},
		{
			name:     "Pantech header without alpha, stat as text",
			info:     []string{"+CMGL: 7,\"REC READ\",21", pduKd},
			want:     []modem.StoredPDU{{Index: 7, Stat: 1, Length: 21}},
			wantNone: true,
		},
		{
			name:   "truncated PDU, good neighbours kept",
			info:   []string{"+CMGL: 0,1,,21", pduKd, "+CMGL: 1,1,,40", second[:60], "+CMGL: 2,1,,21", pduKd},
			want:   []modem.StoredPDU{{Index: 0, Stat: 1, Length: 21}, {Index: 2, Stat: 1, Length: 21}},
			badIdx: []int{1},
			badErr: []error{nil},
		},
		{
			name:   "header without PDU, stray PDU, odd hex",
			info:   []string{"+CMGL: 4,0,,21", "+CMGL: 5,0,,21", pduKd + "0", pduKd},
			badIdx: []int{4, 5, -1},
			badErr: []error{modem.ErrNoPDU, nil, modem.ErrStrayPDU},
		},
		{
			name:   "text mode listing",
			info:   []string{`+CMGL: 0,"REC UNREAD","+27748577604",,"13/01/28,14:51:42+08"`, "CAFE", `+CMGL: 1,"REC READ","+2784000153099999",,"13/02/07,01:31:44+08"`, "New and here to stay!"},
			badIdx: []int{0, 1},
			badErr: []error{modem.ErrTextMode, modem.ErrTextMode},
		},
		{
			name:   "bad headers",
			info:   []string{"+CMGL:", "+CMGL: (0-4)", "+CMGL: x,1,,21", pduKd, "+CMGL: 3,9,,21", pduKd, "+CMGL: 4,1,,2X", pduKd, "+CMGL: 5,1,,999", pduKd, "+CMGL: 6,1,,0", "+CMGL: 8,1", pduKd},
			badIdx: []int{-1, -1, -1, 3, 4, 5, 6, 8},
			badErr: []error{modem.ErrNoAnswer, modem.ErrRangeAnswer, nil, nil, nil, nil, modem.ErrEmptySlot, nil},
		},
		{
			name:   "0xFF filler entry",
			info:   []string{"+CMGL: 2,2,,10", "00" + strings.Repeat("FF", 10)},
			badIdx: []int{2},
			badErr: []error{modem.ErrEmptySlot},
		},
		{name: "nothing", info: nil, wantNone: true},
		{name: "only noise", info: []string{"^RSSI:3", "", "SMS DONE"}, wantNone: true},
	}
	pdus := map[int]string{0: pduKd, 1: second, 2: pduKd, 3: second, 7: pduKd}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modem.ParsePDUList(tt.info)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d (err %v)", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Index != w.Index || g.Stat != w.Stat || g.Length != w.Length {
					t.Errorf("entry %d = {%d %d %d}, want {%d %d %d}", i, g.Index, g.Stat, g.Length, w.Index, w.Stat, w.Length)
				}
				if want := unhex(t, pdus[w.Index]); !bytes.Equal(g.PDU, want) {
					t.Errorf("entry %d PDU = %X, want %X", i, g.PDU, want)
				}
			}
			if tt.wantNone {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var le *modem.ListError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *ListError", err)
			}
			if len(le.Entries) != len(tt.badIdx) {
				t.Fatalf("%d bad entries, want %d: %v", len(le.Entries), len(tt.badIdx), err)
			}
			for i, e := range le.Entries {
				if e.Index != tt.badIdx[i] {
					t.Errorf("bad entry %d index %d, want %d", i, e.Index, tt.badIdx[i])
				}
				if tt.badErr[i] != nil && !errors.Is(e.Err, tt.badErr[i]) {
					t.Errorf("bad entry %d error %v, want %v", i, e.Err, tt.badErr[i])
				}
				if e.Line == "" || !strings.Contains(err.Error(), strings.TrimSpace(e.Line)[:4]) {
					t.Errorf("error %q does not name line %q", err, e.Line)
				}
			}
		})
	}
}

func TestParsePDUListTruncatedKeepsBytes(t *testing.T) {
	_, err := modem.ParsePDUList([]string{"+CMGL: 0,1,,30", pduKd})
	var le *modem.LengthError
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want a *LengthError", err)
	}
	if le.Declared != 30 || le.Got != 21 || !bytes.Equal(le.PDU, unhex(t, pduKd)) {
		t.Errorf("LengthError = %+v", le)
	}
}

func TestParseCMGR(t *testing.T) {
	tests := []struct {
		name    string
		info    []string
		want    modem.StoredPDU // PDU compared as pduKd unless wantErr
		wantErr error           // errors.Is target; errAny for any error
	}{
		{"standard", []string{"+CMGR: 1,,21", pduKd}, modem.StoredPDU{Index: 9, Stat: 1, Length: 21}, nil},
		{"with alpha", []string{`+CMGR: 0,"Mum",21`, pduKd}, modem.StoredPDU{Index: 9, Stat: 0, Length: 21}, nil},
		{"alpha with comma", []string{`+CMGR: 0,"Smith, J",21`, pduKd}, modem.StoredPDU{Index: 9, Stat: 0, Length: 21}, nil},
		{"no alpha field", []string{"+CMGR: 0,21", pduKd}, modem.StoredPDU{Index: 9, Stat: 0, Length: 21}, nil},
		{"no stat", []string{"+CMGR: ,,21", pduKd}, modem.StoredPDU{Index: 9, Stat: -1, Length: 21}, nil},
		{"length only", []string{"+CMGR: 21", pduKd}, modem.StoredPDU{Index: 9, Stat: -1, Length: 21}, nil},
		{"stat as text", []string{`+CMGR: "REC READ",,21`, pduKd}, modem.StoredPDU{Index: 9, Stat: 1, Length: 21}, nil},
		{"index in front", []string{"+CMGR: 4,1,,21", pduKd}, modem.StoredPDU{Index: 9, Stat: 1, Length: 21}, nil},
		{"noise before, inside and after", []string{"^RSSI:3", "+CMGR: 1,,21", "", pduKd[:30], "^MODE:5,4", pduKd[30:], "+CREG: 1", "RING"}, modem.StoredPDU{Index: 9, Stat: 1, Length: 21}, nil},
		{"FF padding", []string{"+CMGR: 1,,21", pduKd + "FFFF"}, modem.StoredPDU{Index: 9, Stat: 1, Length: 21}, nil},
		{"empty slot", []string{"+CMGR: 0,,0"}, modem.StoredPDU{}, modem.ErrEmptySlot},
		{"just OK", nil, modem.StoredPDU{}, modem.ErrEmptySlot},
		{"only noise", []string{"^RSSI:3", ""}, modem.StoredPDU{}, modem.ErrEmptySlot},
		{"filler", []string{"+CMGR: 2,2,,5", "00FFFFFFFFFF"}, modem.StoredPDU{}, modem.ErrEmptySlot},
		{"no PDU", []string{"+CMGR: 1,,21"}, modem.StoredPDU{}, modem.ErrNoPDU},
		{"garbage instead of PDU", []string{"+CMGR: 2,,164", "0BD04259303784=96p331p71160016D"}, modem.StoredPDU{}, modem.ErrNoPDU},
		{"PDU without header", []string{pduKd}, modem.StoredPDU{}, modem.ErrStrayPDU},
		{"second PDU", []string{"+CMGR: 1,,21", pduKd, pduKd}, modem.StoredPDU{}, modem.ErrStrayPDU},
		{"text mode", []string{`+CMGR: "REC READ","+31625044454",,"07/07/05,09:56:03+08"`, "Test message 2"}, modem.StoredPDU{}, modem.ErrTextMode},
		{"text mode detail", []string{`+CMGR: "STO UNSENT","+10011",,145,17,0,0,167,"+8613800100500",145,4`, "Hello World"}, modem.StoredPDU{}, modem.ErrTextMode},
		{"truncated", []string{"+CMGR: 1,,22", pduKd}, modem.StoredPDU{}, errAny},
		{"bad SMSC", []string{"+CMGR: 3,,29", "91947122982661"}, modem.StoredPDU{}, modem.ErrBadSMSC},
		{"bad stat", []string{"+CMGR: 7,,21", pduKd}, modem.StoredPDU{}, errAny},
		{"bad length", []string{"+CMGR: 1,,-3", pduKd}, modem.StoredPDU{}, errAny},
		{"empty header", []string{"+CMGR:", pduKd}, modem.StoredPDU{}, modem.ErrNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modem.ParseCMGR(tt.info, 9)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCMGR: %v", err)
			}
			if got.Index != tt.want.Index || got.Stat != tt.want.Stat || got.Length != tt.want.Length || !bytes.Equal(got.PDU, unhex(t, pduKd)) {
				t.Errorf("got {%d %d %d %X}, want {%d %d %d %s}", got.Index, got.Stat, got.Length, got.PDU, tt.want.Index, tt.want.Stat, tt.want.Length, pduKd)
			}
		})
	}
}

// errAny asks a table for an error of any kind.
var errAny = errors.New("any error")

func TestParsePushedPDU(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    string // PDU hex
		length  int
		wantErr error
	}{
		{"cmt empty alpha", []string{"+CMT: ,21", pduKd}, pduKd, 21, nil},
		{"cmt quoted empty alpha", []string{`+CMT: "",21`, pduKd}, pduKd, 21, nil},
		{"cmt alpha", []string{`+CMT: "Mum",21`, pduKd}, pduKd, 21, nil},
		{"cmt length only", []string{`+CMT: 21`, pduKd}, pduKd, 21, nil},
		{"cmt in one string with CR", []string{"+CMT: ,21\r" + pduKd + "\r"}, pduKd, 21, nil},
		{"cds", []string{"+CDS: 24", pduReport}, pduReport, 24, nil},
		{"cds no space", []string{"+CDS:24", strings.ToLower(pduReport)}, pduReport, 24, nil},
		{"cds split by noise", []string{"+CDS: 24", pduReport[:9], "^RSSI:9", pduReport[9:]}, pduReport, 24, nil},
		{"bad PDU", []string{"+CDS:25", "BAD"}, "", 0, errAny},
		{"garbage PDU", []string{"+CDS:25", "B?D"}, "", 0, modem.ErrNoPDU},
		{"no PDU", []string{"+CMT: ,21"}, "", 0, modem.ErrNoPDU},
		{"no header", []string{pduKd}, "", 0, modem.ErrNoAnswer},
		{"nothing", nil, "", 0, modem.ErrNoAnswer},
		{"truncated", []string{"+CMT: ,13", "0891683108608805F9240D91683109"}, "", 0, errAny},
		{"text mode cmt", []string{`+CMT: "+33612345678",,"21/01/01,10:00:00+04"`, "hello"}, "", 0, modem.ErrTextMode},
		{"text mode cds", []string{`+CDS: 6,12,"+33612345678",145,"21/01/01,10:00:00+04","21/01/01,10:00:05+04",0`}, "", 0, modem.ErrTextMode},
		{"zero length", []string{"+CDS: 0", pduReport}, "", 0, errAny},
		{"empty header", []string{"+CMT: ", pduKd}, "", 0, modem.ErrNoAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := modem.ParsePushedPDU(tt.lines)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePushedPDU: %v", err)
			}
			if got.Index != -1 || got.Stat != -1 || got.Length != tt.length || !bytes.Equal(got.PDU, unhex(t, tt.want)) {
				t.Errorf("got {%d %d %d %X}, want {-1 -1 %d %s}", got.Index, got.Stat, got.Length, got.PDU, tt.length, tt.want)
			}
		})
	}
}

func TestParseStorageIndication(t *testing.T) {
	tests := []struct {
		line    string
		mem     string
		index   int
		wantErr bool
	}{
		{`+CMTI: "SM",3`, "SM", 3, false},
		{`+CDSI: "SR",1`, "SR", 1, false},
		{`+CMTI: "ME", 12`, "ME", 12, false},
		{`+CMTI:"MT",0`, "MT", 0, false},
		{"\r\n+CMTI: \"SM\",26\r\n", "SM", 26, false},
		{`+CMTI: 0,111`, "0", 111, false},
		{`+CMTI: `, "", 0, true},
		{`+CMTI: "SM",-1`, "", 0, true},
		{`+CMTI: "SM"`, "", 0, true},
		{`+CMTI: "SM",1,2`, "", 0, true},
		{`+CMTI: ,4`, "", 0, true},
		{`+CMTI: "SM",99999999999`, "", 0, true},
		{`+CMT: ,23`, "", 0, true},
		{``, "", 0, true},
	}
	for _, tt := range tests {
		mem, idx, err := modem.ParseStorageIndication(tt.line)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseStorageIndication(%q) = %q, %d; want an error", tt.line, mem, idx)
			}
			continue
		}
		if err != nil || mem != tt.mem || idx != tt.index {
			t.Errorf("ParseStorageIndication(%q) = %q, %d, %v; want %q, %d", tt.line, mem, idx, err, tt.mem, tt.index)
		}
	}
}

func TestParseCLIP(t *testing.T) {
	tests := []struct {
		line    string
		number  string
		numType int
		wantErr bool
	}{
		{`+CLIP: "+33612345678",145,,,,0`, "+33612345678", 145, false},
		{`+CLIP: "123456789",129`, "123456789", 129, false},
		{`+CLIP: "+27820001234",145,"",0,"",0`, "+27820001234", 145, false},
		{`+CLIP: "",128,,,,1`, "", 128, false},
		{`+CLIP: "+33612345678",145,,,,1`, "", 145, false},
		{`+CLIP: "",,,,,2`, "", -1, false},
		{`+CLIP:"0612345678",129`, "0612345678", 129, false},
		{`+CLIP: 0612345678,129`, "0612345678", 129, false},
		{`+CLIP: "0612345678"`, "0612345678", -1, false},
		{`+CLIP: "0612345678",abc`, "", 0, true},
		{`+CLIP:`, "", 0, true},
		{`RING`, "", 0, true},
	}
	for _, tt := range tests {
		n, typ, err := modem.ParseCLIP(tt.line)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseCLIP(%q) = %q, %d; want an error", tt.line, n, typ)
			}
			continue
		}
		if err != nil || n != tt.number || typ != tt.numType {
			t.Errorf("ParseCLIP(%q) = %q, %d, %v; want %q, %d", tt.line, n, typ, err, tt.number, tt.numType)
		}
	}
}

func TestParseCREG(t *testing.T) {
	tests := []struct {
		line    string
		want    modem.Registration
		wantErr bool
	}{
		{"+CREG: 1, E006B, ABE0016", modem.Registration{Cmd: "+CREG", N: -1, Stat: 1, LAC: "E006B", CI: "ABE0016", Act: -1}, false},
		{`+CREG: 2,1,"1A2B","01C3D4E5",7`, modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "1A2B", CI: "01C3D4E5", Act: 7}, false},
		{"+CREG: 0,1", modem.Registration{Cmd: "+CREG", N: 0, Stat: 1, Act: -1}, false},
		{"+CREG: 5", modem.Registration{Cmd: "+CREG", N: -1, Stat: 5, Act: -1}, false},
		{"+CREG: 2", modem.Registration{Cmd: "+CREG", N: -1, Stat: 2, Act: -1}, false},
		{"+CREG: 2,,", modem.Registration{Cmd: "+CREG", N: -1, Stat: 2, Act: -1}, false},
		{`+CREG: 1,"CE00","00005449"`, modem.Registration{Cmd: "+CREG", N: -1, Stat: 1, LAC: "CE00", CI: "00005449", Act: -1}, false},
		{"+CREG: 2,1,8BE3,2BAF", modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "8BE3", CI: "2BAF", Act: -1}, false},
		{"+CREG: 1,0001,0010,0", modem.Registration{Cmd: "+CREG", N: -1, Stat: 1, LAC: "0001", CI: "0010", Act: 0}, false},
		{`+CREG:002,001,"18d8","ffff"`, modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "18D8", CI: "FFFF", Act: -1}, false},
		{`+CREG: 0011,"0001","0010",000`, modem.Registration{Cmd: "+CREG", N: -1, Stat: 11, LAC: "0001", CI: "0010", Act: 0}, false},
		{`+CREG: 2,1,"","605F"`, modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, CI: "605F", Act: -1}, false},
		{`+CREG: 2,1,"0B,"0100701",7`, modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "0B", CI: "0100701", Act: 7}, false},
		{`+CREG: 2,1,"5E25`, modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "5E25", Act: -1}, false},
		{`+CGREG: 1,"1422","00000142",3,"00"`, modem.Registration{Cmd: "+CGREG", N: -1, Stat: 1, LAC: "1422", CI: "00000142", Act: 3}, false},
		{"+CEREG: 2,10, 2CA8, 20 ,B5583D ,7", modem.Registration{Cmd: "+CEREG", N: 2, Stat: 10, LAC: "2CA8", CI: "B5583D", Act: 7}, false},
		{"+CEREG: 11, 78FE, 20 ,14419E ,7", modem.Registration{Cmd: "+CEREG", N: -1, Stat: 11, LAC: "78FE", CI: "14419E", Act: 7}, false},
		{"+CREG: 2,1,000B,2816, B, C2816", modem.Registration{Cmd: "+CREG", N: 2, Stat: 1, LAC: "000B", CI: "2816", Act: -1}, false},
		{`+C5GREG: 1,"00AB12","0000000123",11`, modem.Registration{Cmd: "+C5GREG", N: -1, Stat: 1, LAC: "00AB12", CI: "0000000123", Act: 11}, false},
		{"\r\n+CREG: 1,84CD,00D30156\r\n", modem.Registration{Cmd: "+CREG", N: -1, Stat: 1, LAC: "84CD", CI: "00D30156", Act: -1}, false},
		{`+CEREG: 3,"1234",,7,0,15`, modem.Registration{Cmd: "+CEREG", N: -1, Stat: 3, LAC: "1234", Act: 7}, false},
		{"+CREG: (0-2)", modem.Registration{}, true},
		{"+CREG:", modem.Registration{}, true},
		{"+CREG: x,1", modem.Registration{}, true},
		{"+CREG: 1,x", modem.Registration{}, true},
		{"+CREG: -1", modem.Registration{}, true},
		{"+COPS: 0", modem.Registration{}, true},
		{"", modem.Registration{}, true},
	}
	for _, tt := range tests {
		got, err := modem.ParseCREG(tt.line)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseCREG(%q) = %+v, want an error", tt.line, got)
			} else if !strings.Contains(err.Error(), strings.TrimSpace(tt.line)) {
				t.Errorf("ParseCREG(%q) error %q does not name the line", tt.line, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCREG(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
}

func TestRegistered(t *testing.T) {
	want := map[int]bool{0: false, 1: true, 2: false, 3: false, 4: false, 5: true, 6: true, 7: true, 8: false, 9: true, 10: true, 11: false}
	for stat, w := range want {
		if got := (modem.Registration{Stat: stat}).Registered(); got != w {
			t.Errorf("stat %d: Registered() = %v, want %v", stat, got, w)
		}
	}
}

func TestParseCSQ(t *testing.T) {
	tests := []struct {
		info      []string
		rssi, ber int
		wantErr   error
	}{
		{[]string{"+CSQ: 21,0"}, 21, 0, nil},
		{[]string{"+CSQ: 99,99"}, 99, 99, nil},
		{[]string{"^RSSI:14", "", "+CSQ:5,99"}, 5, 99, nil},
		{[]string{"+CSQ: 150,99"}, 150, 99, nil},
		{[]string{"+CSQ: (0-31,99),(0-7,99)"}, 0, 0, modem.ErrRangeAnswer},
		{[]string{"+CSQ: 40,0"}, 0, 0, errAny},
		{[]string{"+CSQ: 20,8"}, 0, 0, errAny},
		{[]string{"+CSQ: 20"}, 0, 0, errAny},
		{[]string{"+CSQ: a,b"}, 0, 0, errAny},
		{[]string{"+CSQ: "}, 0, 0, modem.ErrNoAnswer},
		{nil, 0, 0, modem.ErrNoAnswer},
		{[]string{"+CREG: 1"}, 0, 0, modem.ErrNoAnswer},
	}
	for _, tt := range tests {
		rssi, ber, err := modem.ParseCSQ(tt.info)
		if tt.wantErr != nil {
			if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
				t.Errorf("ParseCSQ(%q) = %d, %d, %v; want error %v", tt.info, rssi, ber, err, tt.wantErr)
			}
			continue
		}
		if err != nil || rssi != tt.rssi || ber != tt.ber {
			t.Errorf("ParseCSQ(%q) = %d, %d, %v; want %d, %d", tt.info, rssi, ber, err, tt.rssi, tt.ber)
		}
	}
}

func TestRSSIToDBm(t *testing.T) {
	tests := []struct {
		rssi, dbm int
		ok        bool
	}{
		{0, -113, true}, {1, -111, true}, {2, -109, true}, {15, -83, true}, {30, -53, true}, {31, -51, true},
		{99, 0, false}, {32, 0, false}, {-1, 0, false}, {100, -116, true}, {191, -25, true}, {192, 0, false},
	}
	for _, tt := range tests {
		dbm, ok := modem.RSSIToDBm(tt.rssi)
		if dbm != tt.dbm || ok != tt.ok {
			t.Errorf("RSSIToDBm(%d) = %d, %v; want %d, %v", tt.rssi, dbm, ok, tt.dbm, tt.ok)
		}
	}
}

func TestParseCOPS(t *testing.T) {
	tests := []struct {
		info    []string
		want    modem.Operator
		wantErr error
	}{
		{[]string{`+COPS: 0,0,"Orange F",7`}, modem.Operator{Mode: 0, Format: 0, Name: "Orange F", Act: 7}, nil},
		{[]string{`+COPS: 0,2,"20801",7`}, modem.Operator{Mode: 0, Format: 2, Name: "20801", Act: 7}, nil},
		{[]string{`+COPS: 0`}, modem.Operator{Mode: 0, Format: -1, Act: -1}, nil},
		{[]string{`+COPS: 1,0,"AT&T, Inc",2`}, modem.Operator{Mode: 1, Format: 0, Name: "AT&T, Inc", Act: 2}, nil},
		{[]string{`+COPS: 0,0,"TELE2,0`}, modem.Operator{Mode: 0, Format: 0, Name: "TELE2", Act: 0}, nil},
		{[]string{`+COPS: 0,0,TELE2,0`}, modem.Operator{Mode: 0, Format: 0, Name: "TELE2", Act: 0}, nil},
		{[]string{"+CREG: 1", `+COPS: 0,0,"SFR"`}, modem.Operator{Mode: 0, Format: 0, Name: "SFR", Act: -1}, nil},
		{[]string{`+COPS: (2,"Orange F","Orange","20801",7),,(0-4),(0-2)`}, modem.Operator{}, modem.ErrRangeAnswer},
		{[]string{`+COPS: x,0,"SFR"`}, modem.Operator{}, errAny},
		{[]string{`+COPS: 0,y,"SFR"`}, modem.Operator{}, errAny},
		{[]string{`+COPS: 0,0,"SFR",z`}, modem.Operator{}, errAny},
		{nil, modem.Operator{}, modem.ErrNoAnswer},
	}
	for _, tt := range tests {
		got, err := modem.ParseCOPS(tt.info)
		if tt.wantErr != nil {
			if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
				t.Errorf("ParseCOPS(%q) = %+v, %v; want error %v", tt.info, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCOPS(%q) = %+v, %v; want %+v", tt.info, got, err, tt.want)
		}
	}
}

func TestParseCMGS(t *testing.T) {
	tests := []struct {
		info    []string
		mr      int
		wantErr bool
	}{
		{[]string{"+CMGS: 12"}, 12, false},
		{[]string{`+CMGS: 12,"21/01/01,10:00:00+04"`}, 12, false},
		{[]string{"^RSSI:9", "+CMGS:183"}, 183, false},
		{[]string{"+CMGS: 0"}, 0, false},
		{[]string{"+CMGS: 256"}, 0, true},
		{[]string{"+CMGS: x"}, 0, true},
		{[]string{"+CMGS:"}, 0, true},
		{[]string{"> "}, 0, true},
		{nil, 0, true},
	}
	for _, tt := range tests {
		mr, err := modem.ParseCMGS(tt.info)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseCMGS(%q) = %d, want an error", tt.info, mr)
			}
			continue
		}
		if err != nil || mr != tt.mr {
			t.Errorf("ParseCMGS(%q) = %d, %v; want %d", tt.info, mr, err, tt.mr)
		}
	}
}

func TestParseCPIN(t *testing.T) {
	tests := []struct {
		info    []string
		want    string
		wantErr bool
	}{
		{[]string{"+CPIN: READY"}, "READY", false},
		{[]string{"+CPIN: SIM PIN"}, "SIM PIN", false},
		{[]string{`+CPIN: "SIM PUK"`}, "SIM PUK", false},
		{[]string{"+CPIN:ready"}, "READY", false},
		{[]string{"^SIMST: 1", "+CPIN: PH-NET PIN"}, "PH-NET PIN", false},
		{[]string{"+CPIN: "}, "", true},
		{[]string{`+CPIN: ""`}, "", true},
		{[]string{"READY"}, "", true},
		{nil, "", true},
	}
	for _, tt := range tests {
		got, err := modem.ParseCPIN(tt.info)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseCPIN(%q) = %q, want an error", tt.info, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCPIN(%q) = %q, %v; want %q", tt.info, got, err, tt.want)
		}
	}
}

func TestParseCPMS(t *testing.T) {
	tests := []struct {
		info    []string
		want    []modem.StorageUse
		wantErr error
	}{
		{[]string{`+CPMS: "SM",3,30,"SM",3,30,"SM",3,30`}, []modem.StorageUse{{"SM", 3, 30}, {"SM", 3, 30}, {"SM", 3, 30}}, nil},
		{[]string{`+CPMS: "ME",0,255,"SM",1,20`}, []modem.StorageUse{{"ME", 0, 255}, {"SM", 1, 20}}, nil},
		{[]string{`+CPMS: 3,30,3,30,3,30`}, []modem.StorageUse{{"", 3, 30}, {"", 3, 30}, {"", 3, 30}}, nil},
		{[]string{`+CPMS: 14,50,14,50`}, []modem.StorageUse{{"", 14, 50}, {"", 14, 50}}, nil},
		{[]string{`+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`}, nil, modem.ErrRangeAnswer},
		{[]string{`+CPMS: "SM","SM","SM"`}, nil, modem.ErrRangeAnswer},
		{[]string{`+CPMS: `}, nil, modem.ErrNoAnswer},
		{[]string{`+CPMS: 3,30,3`}, nil, errAny},
		{[]string{`+CPMS: "SM",x,30`}, nil, errAny},
		{[]string{`+CPMS: "SM",3,y`}, nil, errAny},
		{[]string{`+CPMS: 1,2,3,4,5,6,7,8`}, nil, errAny},
		{nil, nil, modem.ErrNoAnswer},
	}
	for _, tt := range tests {
		got, err := modem.ParseCPMS(tt.info)
		if tt.wantErr != nil {
			if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
				t.Errorf("ParseCPMS(%q) = %v, %v; want error %v", tt.info, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseCPMS(%q) = %v, %v; want %v", tt.info, got, err, tt.want)
		}
	}
}

func TestParseCUSD(t *testing.T) {
	tests := []struct {
		line    string
		want    modem.USSD // Raw not compared
		wantErr bool
	}{
		{`+CUSD: 0,"Solde: 5,00 EUR",15`, modem.USSD{Status: 0, Text: "Solde: 5,00 EUR", DCS: 15}, false},
		{`+CUSD: 2`, modem.USSD{Status: 2, DCS: -1}, false},
		{`+CUSD: 1,"0414043B044F",72`, modem.USSD{Status: 1, Text: "Для", DCS: 72}, false},
		{`+CUSD: 0,"00480069002000D8",15`, modem.USSD{Status: 0, Text: "Hi Ø", DCS: 15}, false},
		{`+CUSD: 0,"C8329BFD06",15`, modem.USSD{Status: 0, Text: "Hello", DCS: 15}, false},
		{`+CUSD: 0,"1234",15`, modem.USSD{Status: 0, Text: "1234", DCS: 15}, false},
		{`+CUSD: 0,"00000000",15`, modem.USSD{Status: 0, Text: "00000000", DCS: 15}, false},
		{`+CUSD: 0,"61720631",17`, modem.USSD{Status: 0, Text: "ر", DCS: 17}, false},
		{`+CUSD: 0,"C8329BFD06",68`, modem.USSD{Status: 0, Text: "C8329BFD06", DCS: 68}, false},
		{`+CUSD: 0,"D800",72`, modem.USSD{}, true},
		{`+CUSD: 0,"61",17`, modem.USSD{}, true},
		{`+CUSD: x,"a"`, modem.USSD{}, true},
		{`+CUSD: 0,"a",300`, modem.USSD{}, true},
		{`+CUSD:`, modem.USSD{}, true},
		{`+CUSX: 0`, modem.USSD{}, true},
	}
	for _, tt := range tests {
		got, err := modem.ParseCUSD(tt.line)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseCUSD(%q) = %+v, want an error", tt.line, got)
			}
			continue
		}
		got.Raw = ""
		if err != nil || got != tt.want {
			t.Errorf("ParseCUSD(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
}

func TestParseIdentity(t *testing.T) {
	tests := []struct {
		info   []string
		prefix string
		want   string
	}{
		{[]string{"356789012345678"}, "+CGSN", "356789012345678"},
		{[]string{"+CGSN: 356789012345678"}, "+CGSN", "356789012345678"},
		{[]string{`+CGSN: "356789012345678"`}, "+CGSN", "356789012345678"},
		{[]string{"AT+CGSN", "", "356789012345678"}, "+CGSN", "356789012345678"},
		{[]string{"^RSSI:14", "RING", "+CREG: 1", "356789012345678"}, "+CGSN", "356789012345678"},
		{[]string{" MULTIBAND  900E  1800 "}, "+CGMM", "MULTIBAND  900E  1800"},
		{[]string{"Quectel", "EG25"}, "+CGMI", "Quectel"},
		{[]string{"+CCID: 89330123456789012345"}, "+CCID", "89330123456789012345"},
		{[]string{"+ICCID: 8933150116110005978F"}, "+CCID", "8933150116110005978"},
		{[]string{`^ICCID: "983351106111005079F8"`}, "^ICCID", "8933150116110005978"},
		{[]string{"+QCCID: 89330123456789012345"}, "+ICCID", "89330123456789012345"},
		{[]string{"89860012345678901234"}, "+CCID", "89860012345678901234"},
		{[]string{"Model: EG25"}, "Model", "EG25"},
		{[]string{"Revision: EG25GGBR07A08M2G"}, "+CGMR", "EG25GGBR07A08M2G"},
		{[]string{"Revision:1418B04SIM800C24"}, "+CGMR", "1418B04SIM800C24"},
		{[]string{"OK"}, "+CGMM", ""},
		{[]string{"ERROR"}, "+CGMM", ""},
		{nil, "+CGMM", ""},
		{[]string{"+CGMM: "}, "+CGMM", ""},
	}
	for _, tt := range tests {
		if got := modem.ParseIdentity(tt.info, tt.prefix); got != tt.want {
			t.Errorf("ParseIdentity(%q, %q) = %q, want %q", tt.info, tt.prefix, got, tt.want)
		}
	}
}

func TestClassifyATError(t *testing.T) {
	tests := []struct {
		in       error
		cms, cme bool
		code     int
		text     string
	}{
		{at.CMSError("500"), true, false, 500, "unknown error"},
		{at.CMSError("330"), true, false, 330, "SMSC address unknown"},
		{at.CMSError("Unknown error"), true, false, 500, "Unknown error"},
		{at.CMSError("SIM not inserted"), true, false, 310, "SIM not inserted"},
		{at.CMSError("SMS service of ME reserved"), true, false, 301, "SMS service of ME reserved"},
		{at.CMSError("operation not allowed"), true, false, 302, "operation not allowed"},
		{at.CMSError("350"), true, false, 350, ""},
		{at.CMSError("Memory capacity exceeded"), true, false, 0xD3, "Memory capacity exceeded"},
		{at.CMEError("10"), false, true, 10, "SIM not inserted"},
		{at.CMEError("SIM not inserted"), false, true, 10, "SIM not inserted"},
		{at.CMEError("no network service"), false, true, 30, "no network service"},
		{at.CMEError("invalid characters in text string"), false, true, 25, "invalid characters in text string"},
		{at.CMEError("Something odd"), false, true, -1, "Something odd"},
		{at.CMEError("1234"), false, true, 1234, ""},
		{fmt.Errorf("modem: AT+CMGS: %w", at.CMSError("38")), true, false, 38, "Network out of order"},
	}
	for _, tt := range tests {
		err := modem.ClassifyATError(tt.in)
		var cms *modem.CMSError
		var cme *modem.CMEError
		gotCMS, gotCME := errors.As(err, &cms), errors.As(err, &cme)
		if gotCMS != tt.cms || gotCME != tt.cme {
			t.Errorf("ClassifyATError(%v): CMS %v CME %v, want %v %v", tt.in, gotCMS, gotCME, tt.cms, tt.cme)
			continue
		}
		code, text := 0, ""
		if gotCMS {
			code, text = cms.Code, cms.Text
		} else {
			code, text = cme.Code, cme.Text
		}
		if code != tt.code || text != tt.text {
			t.Errorf("ClassifyATError(%v) = %d %q, want %d %q", tt.in, code, text, tt.code, tt.text)
		}
		if !strings.Contains(err.Error(), "ERROR") && !strings.Contains(err.Error(), tt.in.Error()) {
			t.Errorf("error text %q", err)
		}
	}
	wrapped := modem.ClassifyATError(fmt.Errorf("send: %w", at.CMSError("38")))
	var orig at.CMSError
	if !errors.As(wrapped, &orig) || !strings.HasPrefix(wrapped.Error(), "send: ") {
		t.Errorf("a wrapped at error loses its context: %v", wrapped)
	}
	for _, e := range []error{nil, at.ErrError, at.ErrDeadlineExceeded, errors.New("x")} {
		if got := modem.ClassifyATError(e); got != e {
			t.Errorf("ClassifyATError(%v) = %v, want it unchanged", e, got)
		}
	}
	if s := (&modem.CMSError{Code: 500, Text: "unknown error"}).Error(); s != "+CMS ERROR: 500 (unknown error)" {
		t.Errorf("CMSError.Error() = %q", s)
	}
	if s := (&modem.CMEError{Code: -1, Text: "odd"}).Error(); s != "+CME ERROR: odd" {
		t.Errorf("CMEError.Error() = %q", s)
	}
	if s := (&modem.CMEError{Code: 1234}).Error(); s != "+CME ERROR: 1234" {
		t.Errorf("CMEError.Error() = %q", s)
	}
}

func TestIsNoise(t *testing.T) {
	noise := []string{
		"", "  ", "\r", "^RSSI:14", "^BOOT:37478870,0,0,0,77", "^MODE:5,4", "^SRVST:0", "^HCSQ: \"LTE\",30,19,66,0",
		"^DSFLOWRPT:0000,00,00", "^SIMST: 255,1", "^SYSSTART", "^CEND:1,0,104,16", "^ORIG:1,0", "^CONF:1", "^CONN:1,0", "^STIN:1",
		"RDY", "SMS DONE", "PB DONE", "Call Ready", "SMS Ready", "+CPIN: READY", "+QIND: SMS DONE", "+QIND: PB DONE",
		"+QUSIM: 1", "+CFUN: 1", "+CREG: 1", "+CGREG: 0", "+CEREG: 1,\"1F00\",\"79D903\",7", "RING", "+CRING: VOICE",
		"+CLIP: \"123\",129", "+CMTI: \"SM\",3", "+CDSI: \"SR\",1", "+CTZV:19/03/04,19:30:46,+03", "+CIEV: service,  1",
		"+WIND: 5,1", "NO CARRIER", "MISSED_CALL: 11:01AM 07712345678", "VOICE CALL: END: 000041", "HANGUP: 1", "+PACSP0",
	}
	for _, l := range noise {
		if !modem.IsNoise(l) {
			t.Errorf("IsNoise(%q) = false, want true", l)
		}
	}
	answers := []string{
		"OK", "ERROR", "+CMS ERROR: 500", "+CME ERROR: 10", "+CMGL: 0,1,,21", "+CMGR: 1,,21", "+CSQ: 21,0",
		"+COPS: 0,0,\"Orange F\",7", "+CMGS: 12", "+CPMS: 3,30,3,30,3,30", pduKd, "356789012345678", "> ", "Quectel",
	}
	for _, l := range answers {
		if modem.IsNoise(l) {
			t.Errorf("IsNoise(%q) = true, want false", l)
		}
	}
}
