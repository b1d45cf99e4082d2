package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warthog618/modem/at"
	"github.com/warthog618/modem/info"
	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
	"go.bug.st/serial"
)

// newAT opens the modem like the driver: go.bug.st/serial with no read
// timeout, then github.com/warthog618/modem/at on top.
func newAT(t *testing.T, m *Modem, opts ...at.Option) *at.AT {
	t.Helper()
	p, err := serial.Open(m.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("serial.Open: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return at.New(p, append([]at.Option{at.WithTimeout(waitLimit)}, opts...)...)
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("no %s", what)
	}
	panic("unreachable")
}

// TestWarthogATLibrary drives the sim through the AT library the driver
// uses, to prove it is happy with the prompt, the echo and the answers.
func TestWarthogATLibrary(t *testing.T) {
	m := newTestModem(t, Config{StatusReports: true})
	a := newAT(t, m)
	if err := a.Init(); err != nil {
		t.Fatalf("Init (ATZ, ATE0): %v", err)
	}
	lines, err := a.Command("+CGMI")
	if err != nil || len(lines) != 1 || lines[0] != "huawei" {
		t.Fatalf("+CGMI: %q %v", lines, err)
	}
	lines, err = a.Command("+CSQ")
	if err != nil || !info.HasPrefix(lines[0], "+CSQ") || info.TrimPrefix(lines[0], "+CSQ") != "20,99" {
		t.Fatalf("+CSQ: %q %v", lines, err)
	}
	if _, err := a.Command("+CMGF=1"); !errors.Is(err, at.CMSError("303")) {
		t.Fatalf("+CMGF=1: %v", err)
	}
	if _, err := a.Command("+CMGF=0;+CNMI=2,1,0,1,0;+CLIP=1"); err != nil {
		t.Fatal(err)
	}
	cmti := make(chan []string, 8)
	cds := make(chan []string, 8)
	ring := make(chan []string, 8)
	for _, ind := range []struct {
		prefix string
		ch     chan []string
		opts   []at.IndicationOption
	}{
		{"+CMTI:", cmti, nil},
		{"+CDS:", cds, []at.IndicationOption{at.WithTrailingLine}},
		{"+CLIP:", ring, nil},
	} {
		if err := a.AddIndication(ind.prefix, func(l []string) { ind.ch <- l }, ind.opts...); err != nil {
			t.Fatal(err)
		}
	}

	pdus := submitPDUs(t, "+33612345678", strings.Repeat("Un message assez long pour deux parties. ", 5), true)
	for i, p := range pdus {
		lines, err := a.SMSCommand(fmt.Sprintf("+CMGS=%d", tpduLen(t, p)), p)
		// A +CDS arriving meanwhile can leak into lines (at.indLoop passes
		// an indication's first line on too): select by prefix.
		if err != nil || !containsLine(lines, fmt.Sprintf("+CMGS: %d", i)) {
			t.Fatalf("SMSCommand part %d: %q %v", i+1, lines, err)
		}
	}
	for range pdus {
		l := waitFor(t, cds, "+CDS")
		var p pdumode.PDU
		if err := p.UnmarshalHexString(l[1]); err != nil {
			t.Fatalf("+CDS pdu %q: %v", l[1], err)
		}
		sr, err := sms.Unmarshal(p.TPDU, sms.AsMT)
		if err != nil || sr.SmsType() != tpdu.SmsStatusReport || sr.RA.Number() != "+33612345678" {
			t.Fatalf("status report %q: %v", l[1], err)
		}
	}
	if msgs := m.Messages(); len(msgs) != 1 || !msgs[0].Complete || msgs[0].Total != 2 {
		t.Fatalf("messages: %+v", msgs)
	}

	// The network refuses once.
	m.FailNext("+CMGS", 1, "+CMS ERROR: 500")
	if _, err := a.SMSCommand(fmt.Sprintf("+CMGS=%d", tpduLen(t, pdus[0])), pdus[0]); !errors.Is(err, at.CMSError("500")) {
		t.Fatalf("injected error: %v", err)
	}

	// Inbound: +CMTI then +CMGR.
	in, err := m.Deliver("+33698765432", "Réponse: oui", DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := waitFor(t, cmti, "+CMTI")
	if l[0] != `+CMTI: "SM",1` {
		t.Fatalf("+CMTI: %q", l)
	}
	lines, err = a.Command("+CMGR=1")
	i := indexPrefix(lines, "+CMGR: 0,,")
	if err != nil || i < 0 || i+1 >= len(lines) || lines[i+1] != in[0] {
		t.Fatalf("+CMGR: %q %v", lines, err)
	}
	if _, err := a.Command("+CMGD=1"); err != nil {
		t.Fatal(err)
	}

	// A call.
	if err := m.Ring("+33611111111"); err != nil {
		t.Fatal(err)
	}
	if l := waitFor(t, ring, "+CLIP"); !strings.Contains(l[0], `"+33611111111",145`) {
		t.Fatalf("+CLIP: %q", l)
	}
	if _, err := a.Command("+CHUP"); err != nil {
		t.Fatal(err)
	}

	// Hung: the command times out; resumed: it answers again.
	m.Hang()
	if _, err := a.Command("+CGMM", at.WithTimeout(50*time.Millisecond)); !errors.Is(err, at.ErrDeadlineExceeded) {
		t.Fatalf("hung: %v", err)
	}
	m.Resume()
	if lines, err := a.Command("+CGMM"); err != nil || lines[0] != "E3372" {
		t.Fatalf("resumed: %q %v", lines, err)
	}

	// Unplugged: the AT closes, as with real hardware.
	if err := m.Unplug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a.Closed(), "AT close after unplug")
}

// TestWarthogATWithEchoAndNoise keeps the echo on and makes the modem
// noisy: the library must still see every answer.
func TestWarthogATWithEchoAndNoise(t *testing.T) {
	noise := Noise{InAnswers: 0.3, Lines: []string{"^RSSI:14", "^MODE:5,4", ""}}
	m := newTestModem(t, Config{Noise: noise, Seed: 3})
	a := newAT(t, m, at.WithCmds("Z"))
	if err := a.Init(); err != nil {
		t.Fatalf("Init: %v", err)
	}
	pdu := submitPDUs(t, "+33612345678", "echo on", false)[0]
	for i := range 20 {
		m.EmitNoise(1)
		lines, err := a.SMSCommand(fmt.Sprintf("+CMGS=%d", tpduLen(t, pdu)), pdu)
		if err != nil || !containsLine(lines, fmt.Sprintf("+CMGS: %d", i)) {
			t.Fatalf("send %d with echo: %q %v", i, lines, err)
		}
		lines, err = a.Command("+CPMS?")
		if err != nil || !containsLine(lines, `+CPMS: "SM",0,30,"SM",0,30,"SM",0,30`) {
			t.Fatalf("+CPMS? with noise: %q %v", lines, err)
		}
	}
	if m.Sent() != 20 {
		t.Fatalf("sent %d", m.Sent())
	}
}

func indexPrefix(lines []string, prefix string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
