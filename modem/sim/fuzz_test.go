package sim

import (
	"encoding/hex"
	"testing"
	"time"
)

// fuzzModem is a modem with a port that has no pty: handleInput and service
// never write when latency is zero (they only fill p.out).
func fuzzModem() (*Modem, *port) {
	m := newModem(Config{Seed: 1, SIMCapacity: 3, MECapacity: 2, AckTimeout: time.Hour, RingInterval: time.Hour,
		Noise: Noise{InAnswers: 0.5, SplitPDU: 0.5}, StatusReports: true})
	p := &port{kick: make(chan struct{}, 1), done: make(chan struct{})}
	m.port, m.set, m.radioOn, m.regStat = p, defaultSettings(), true, 1
	return m, p
}

// FuzzCommandLine feeds arbitrary bytes to the whole AT engine (parser,
// commands, prompt, storage, routing): it must never panic.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"AT\r", "ATE0V0Q1\r", "AT+CMGF=0;+CNMI=2,2,0,1,0;+CSMS=1\r",
		"AT+CMGS=17\r0001000B914316565811F9000004E8373B0C\x1a",
		"AT+CMGS=17\r0001000B914316565811F9000004E8373B0C\x1b",
		"AT+CMGW=17,3\r0001000B914316565811F9000004E8373B0C\x1aAT+CMGL=4\rAT+CMGD=1,4\r",
		"AT+CPMS=\"MT\",\"ME\",\"SM\"\rAT+CMGR=1\r", "AT+CNMA=2,3\r000000\x1a",
		"AT+CUSD=1,\"*123#\",15\r", "AT+CPIN=\"1234\",\"0000\"\r", "AT+COPS=1,2,\"20801\"\r",
		"ATD123;\rATA\rATH\rAT+CLCC\r", "AT+CFUN=1,1\r", "ATS0=1S7?\r", "AT&F&C1&D2\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, p := fuzzModem()
		m.mu.Lock()
		defer m.mu.Unlock()
		m.queueMT(mtPDU{hex: "0007911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07", tpduLen: 31, class: -1})
		m.queueMT(mtPDU{hex: "00", tpduLen: 0, class: 2})
		m.handleInput(p, data)
		m.service(p)
		m.handleInput(p, []byte("\x1b\rAT+CMGL=4\r"))
		m.service(p)
		if m.stats.Panics != 0 {
			t.Fatalf("a command panicked on %q", data)
		}
	})
}

// FuzzPDU feeds arbitrary PDUs to the sim's decoders (+CMGS validation,
// DeliverPDU, reassembly): errors are fine, panics are not.
func FuzzPDU(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Vectors {
		f.Add(v.PDU)
	}
	for _, v := range vf.MustReject {
		f.Add(v.PDU)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, tp, err := splitPDU(s); err == nil {
			if rec, _, err := decodeSubmit(tp); err == nil {
				rec.PDU = s
				reassemble([]Submitted{rec, rec})
			}
			zeroFillBits(tp)
		}
		_, _ = parseMTPDU(s)
		if b, err := hex.DecodeString(s); err == nil {
			_, _, _ = decodeSubmit(b)
		}
	})
}
