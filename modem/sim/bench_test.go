package sim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/warthog618/modem/at"
	"go.bug.st/serial"
)

// rawLine is a minimal synchronous reader of the port for the benchmark.
type rawLine struct {
	p   serial.Port
	buf []byte
	tmp []byte
}

// until reads until want is in the buffer and drops everything up to it.
func (r *rawLine) until(b *testing.B, want []byte) {
	for {
		if i := bytes.Index(r.buf, want); i >= 0 {
			r.buf = append(r.buf[:0], r.buf[i+len(want):]...)
			return
		}
		if bytes.Contains(r.buf, []byte("ERROR")) {
			b.Fatalf("modem answered %q", r.buf)
		}
		n, err := r.p.Read(r.tmp)
		if err != nil {
			b.Fatalf("read: %v", err)
		}
		r.buf = append(r.buf, r.tmp[:n]...)
	}
}

// BenchmarkCMGSRoundTrip measures raw AT+CMGS exchanges through the pty
// with zero latency: the sim's own cost per SMS part (SPEC §12 asks the
// whole box for >= 500 parts/s).
func BenchmarkCMGSRoundTrip(b *testing.B) {
	m, err := New(Config{BootLines: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	p, err := serial.Open(m.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	r := &rawLine{p: p, tmp: make([]byte, 4096)}
	if _, err := p.Write([]byte("ATE0\r")); err != nil {
		b.Fatal(err)
	}
	r.until(b, []byte("OK\r\n"))
	pdu := "0001000B913316325476F800002ED6375D5E06C9CB6E7259DFB2BFEB7350794E078DDF6E735ADE2E83E0EFBA1C442EB7C3693728064303"
	cmd := fmt.Appendf(nil, "AT+CMGS=%d\r", len(pdu)/2-1)
	body := []byte(pdu + "\x1a")
	prompt, ok := []byte("> "), []byte("OK\r\n")
	for b.Loop() {
		if _, err := p.Write(cmd); err != nil {
			b.Fatal(err)
		}
		r.until(b, prompt)
		if _, err := p.Write(body); err != nil {
			b.Fatal(err)
		}
		r.until(b, ok)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sms/s")
	if m.Sent() != b.N {
		b.Fatalf("sent %d of %d", m.Sent(), b.N)
	}
}

// BenchmarkATLibrarySMSCommand is the same exchange through
// github.com/warthog618/modem/at, as the driver does it.
func BenchmarkATLibrarySMSCommand(b *testing.B) {
	m, err := New(Config{BootLines: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	p, err := serial.Open(m.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	a := at.New(p)
	if err := a.Init(); err != nil {
		b.Fatal(err)
	}
	pdu := "0001000B913316325476F800002ED6375D5E06C9CB6E7259DFB2BFEB7350794E078DDF6E735ADE2E83E0EFBA1C442EB7C3693728064303"
	cmd := fmt.Sprintf("+CMGS=%d", len(pdu)/2-1)
	for b.Loop() {
		if _, err := a.SMSCommand(cmd, pdu); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sms/s")
}
