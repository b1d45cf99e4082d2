package sim

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"
)

// settings are what ATZ, AT&F and a power cycle reset.
type settings struct {
	echo    bool   // ATE (V.250 §6.2.4)
	verbose bool   // ATV
	quiet   bool   // ATQ
	cmee    int    // +CMEE (TS 27.007 §9.1)
	csms    int    // +CSMS <service> (TS 27.005 §3.2.1)
	cnmi    [5]int // +CNMI <mode>,<mt>,<bm>,<ds>,<bfr> (TS 27.005 §3.4.1)
	clip    bool   // +CLIP
	creg    int    // +CREG <n>
	copsFmt int    // +COPS <format>: 0 long, 1 short, 2 numeric
	cscs    string // +CSCS
	mem     [3]string
	cusd    int // +CUSD <n>
}

func defaultSettings() settings {
	return settings{echo: true, verbose: true, cscs: "GSM", mem: [3]string{"SM", "SM", "SM"}}
}

// prompt is the state after "> ": the text typed until Ctrl-Z or ESC.
type prompt struct {
	cmd      string // "+CMGS", "+CMGW" or "+CNMA"
	length   int    // announced TPDU length
	stat     int    // +CMGW <stat>
	ackN     int    // +CNMA <n>
	buf      []byte
	overflow bool
}

const (
	ctrlZ = 0x1a
	esc   = 0x1b
)

// runLoop is the modem's one goroutine per port: it parses input, runs
// commands and writes everything the modem prints, so that the line is
// never written by two goroutines. It recovers from panics (a bug must not
// kill the process running the sim) and answers ERROR instead.
func (m *Modem) runLoop(p *port) {
	defer p.wg.Done()
	for {
		var chunk []byte
		select {
		case <-p.done:
			return
		case chunk = <-p.input:
		case <-p.kick:
		}
		m.mu.Lock()
		m.step(p, chunk)
		reboot := p.reboot
		p.reboot = false
		m.mu.Unlock()
		if reboot {
			go m.powerCycle(p)
		}
	}
}

// powerCycle unplugs port p and plugs a new one, as a modem rebooting on
// the USB bus does. It runs outside the loop, which it waits for.
func (m *Modem) powerCycle(p *port) {
	p.drainOutput(time.Second)
	m.mu.Lock()
	if m.closed || m.port != p {
		m.mu.Unlock()
		return
	}
	old := m.powerOff()
	m.mu.Unlock()
	old.wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.port != nil {
		return
	}
	if err := m.powerOn(); err != nil {
		m.log.Error("sim: reboot", slog.Any("err", err))
	}
}

// step handles one chunk of input (or a kick), then prints what is due.
// Called with m.mu held; returns with it held.
func (m *Modem) step(p *port, chunk []byte) {
	defer func() {
		if r := recover(); r != nil {
			m.stats.Panics++
			m.log.Error("sim: panic in modem loop", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			p.line, p.overflow, p.prompt = p.line[:0], false, nil
			p.out = append(p.out, "\r\nERROR\r\n"...)
			m.flush(p)
		}
	}()
	if m.hung {
		m.stats.Dropped += len(chunk)
	} else if len(chunk) > 0 {
		m.handleInput(p, chunk)
	}
	if m.port == p {
		m.service(p)
	}
	m.flush(p)
}

// live reports whether p is still the plugged, answering port.
func (m *Modem) live(p *port) bool { return m.port == p && !m.hung && !m.closed }

// handleInput runs the V.250 command-line state machine over a chunk.
func (m *Modem) handleInput(p *port, b []byte) {
	for i := 0; i < len(b); i++ {
		if !m.live(p) {
			if m.hung {
				m.stats.Dropped += len(b) - i
			}
			return
		}
		c := b[i]
		if p.prompt != nil {
			m.promptByte(p, c)
			continue
		}
		switch c {
		case '\r':
			m.echo(p, c)
			line, overflow := string(p.line), p.overflow
			p.line, p.overflow, p.afterCR = p.line[:0], false, true
			m.execLine(p, line, overflow)
			continue
		case '\n':
			// LF after the CR terminator is the usual "\r\n" ending; a
			// lone LF is echoed and otherwise ignored (S3 is CR).
			if !p.afterCR {
				m.echo(p, c)
			}
		case '\b', 0x7f:
			m.echo(p, c)
			if len(p.line) > 0 {
				p.line = p.line[:len(p.line)-1]
			}
		case ctrlZ, esc:
			// at.Escape sends ESC in command mode to abort a stuck prompt.
		default:
			m.echo(p, c)
			if len(p.line) < maxLine {
				p.line = append(p.line, c)
			} else {
				p.overflow = true
			}
		}
		p.afterCR = false
	}
}

func (m *Modem) echo(p *port, c byte) {
	if m.set.echo {
		p.out = append(p.out, c)
	}
}

// promptByte collects the PDU typed after "> " (TS 27.005 §3.5.1): hex until
// Ctrl-Z sends, ESC cancels; line breaks and spaces are ignored.
func (m *Modem) promptByte(p *port, c byte) {
	m.echo(p, c)
	pr := p.prompt
	switch c {
	case ctrlZ:
		p.prompt = nil
		m.completePrompt(p, pr)
	case esc:
		p.prompt = nil
		m.respond(p, nil, "OK")
	case '\r', '\n', ' ', '\t':
	default:
		if len(pr.buf) < maxPromptInput {
			pr.buf = append(pr.buf, c)
		} else {
			pr.overflow = true
		}
	}
}

// indexAT finds the "AT" prefix, in any case; V.250 ignores what precedes it.
func indexAT(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == 'A' || s[i] == 'a') && (s[i+1] == 'T' || s[i+1] == 't') {
			return i
		}
	}
	return -1
}

// execLine runs one command line: the commands in it one after the other,
// their information text, then one final result code (V.250 §5.7).
func (m *Modem) execLine(p *port, line string, overflow bool) {
	i := indexAT(line)
	if i < 0 {
		return
	}
	m.stats.Commands++
	if overflow {
		m.respond(p, nil, "ERROR")
		return
	}
	body := line[i+2:]
	m.log.Debug("sim: command", slog.String("line", line[i:]))
	cmds, ok := splitCommands(body)
	if !ok {
		m.respond(p, nil, "ERROR")
		return
	}
	var info []string
	for _, c := range cmds {
		if raw, ok := m.takeScript(c.text); ok {
			if !m.pause(p, m.latencyFor(c.name)) {
				return
			}
			m.respond(p, info, "")
			p.out = append(p.out, raw...)
			return
		}
		if !isPromptCommand(c) {
			if !m.pause(p, m.latencyFor(c.name)) {
				return
			}
			if resp, ok := m.takeFault(c.text); ok {
				m.respond(p, info, resp)
				return
			}
		}
		r := m.safeExec(p, c)
		info = append(info, r.info...)
		if r.prompt != nil {
			m.respond(p, info, "")
			p.out = append(p.out, "\r\n> "...)
			p.prompt = r.prompt
			return
		}
		if r.final != "" {
			m.respond(p, info, r.final)
			return
		}
	}
	m.respond(p, info, "OK")
}

// safeExec runs one command; a panic (a bug) fails that command only, is
// logged and counted in Stats.Panics.
func (m *Modem) safeExec(p *port, c command) (r result) {
	defer func() {
		if v := recover(); v != nil {
			m.stats.Panics++
			m.log.Error("sim: panic in command", slog.String("command", c.text), slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
			r = syntaxError()
		}
	}()
	return m.exec(p, c)
}

// latencyFor is the delay before the answer of a command.
func (m *Modem) latencyFor(name string) time.Duration {
	return m.latency + m.cmdLat[name]
}

// pause waits d without holding the lock, after printing what is pending
// (the echo comes at once, the answer later). Zero means no wait at all.
// It returns false when the port went away or the modem hung meanwhile.
func (m *Modem) pause(p *port, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	m.flush(p)
	m.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-p.done:
		t.Stop()
	}
	m.mu.Lock()
	return m.live(p)
}

// takeScript pops the first script matching a command. Called with m.mu held.
func (m *Modem) takeScript(text string) (string, bool) {
	up := strings.ToUpper(text)
	for i, s := range m.scripts {
		if strings.HasPrefix(up, s.prefix) {
			m.scripts = append(m.scripts[:i], m.scripts[i+1:]...)
			return s.raw, true
		}
	}
	return "", false
}

// takeFault returns the injected error line for a command, if any.
// Called with m.mu held.
func (m *Modem) takeFault(text string) (string, bool) {
	up := strings.ToUpper(text)
	for i, f := range m.faults {
		if !strings.HasPrefix(up, f.prefix) {
			continue
		}
		if f.count < 0 {
			if m.rng.Float64() >= f.rate {
				continue
			}
		} else {
			f.count--
			if f.count == 0 {
				m.faults = append(m.faults[:i], m.faults[i+1:]...)
			}
		}
		m.stats.InjectedErrors++
		return f.response, true
	}
	return "", false
}

// respond prints information text and a final result code in the V.250
// format chosen by ATV/ATQ; final "" prints the information text only.
// Noise lines may be slipped between lines, as Huawei sticks do.
func (m *Modem) respond(p *port, info []string, final string) {
	if m.set.verbose {
		if len(info) > 0 {
			p.out = append(p.out, "\r\n"...)
			for i, l := range info {
				if i > 0 {
					p.out = append(p.out, "\r\n"...)
					if m.noise.InAnswers > 0 && m.rng.Float64() < m.noise.InAnswers {
						if n, ok := m.noiseLine(info[0]); ok {
							p.out = append(p.out, n+"\r\n"...)
						}
					}
				}
				m.appendLine(p, l, prev(info, i))
			}
			p.out = append(p.out, "\r\n"...)
			if final != "" && m.noise.InAnswers > 0 && m.rng.Float64() < m.noise.InAnswers {
				if n, ok := m.noiseLine(info[0]); ok {
					p.out = append(p.out, "\r\n"+n+"\r\n"...)
				}
			}
		}
		if final != "" && !m.set.quiet {
			p.out = append(p.out, "\r\n"+final+"\r\n"...)
		}
		return
	}
	for i, l := range info {
		m.appendLine(p, l, prev(info, i))
		p.out = append(p.out, "\r\n"...)
	}
	if final == "" || m.set.quiet {
		return
	}
	switch final {
	case "OK":
		p.out = append(p.out, "0\r"...)
	case "ERROR":
		p.out = append(p.out, "4\r"...)
	case "NO CARRIER":
		p.out = append(p.out, "3\r"...)
	default:
		p.out = append(p.out, final+"\r\n"...)
	}
}

func prev(lines []string, i int) string {
	if i == 0 {
		return ""
	}
	return lines[i-1]
}

// appendLine prints one line, cutting a PDU line (one after a +CMGL, +CMGR,
// +CMT or +CDS header) in two with a noise line when Noise.SplitPDU says so.
func (m *Modem) appendLine(p *port, l, prev string) {
	isPDU := strings.HasPrefix(prev, "+CMGL:") || strings.HasPrefix(prev, "+CMGR:") ||
		strings.HasPrefix(prev, "+CMT:") || strings.HasPrefix(prev, "+CDS:")
	if isPDU && m.noise.SplitPDU > 0 && len(l) >= 8 && m.rng.Float64() < m.noise.SplitPDU {
		if n, ok := m.noiseLine(""); ok {
			half := len(l) / 2
			p.out = append(p.out, l[:half]+"\r\n"+n+"\r\n"+l[half:]...)
			return
		}
	}
	p.out = append(p.out, l...)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// flush writes what the modem printed. The lock is released during the
// write, which blocks while nobody reads the slave. Called with m.mu held.
func (m *Modem) flush(p *port) {
	for len(p.out) > 0 {
		buf := p.out
		p.out = p.spare[:0]
		m.mu.Unlock()
		_, err := p.master.Write(buf)
		m.mu.Lock()
		p.spare = buf[:0]
		if err != nil {
			p.out = p.out[:0]
			select {
			case <-p.done:
			default:
				m.log.Warn("sim: pty write", slog.String("path", p.path), slog.Any("err", err))
			}
			return
		}
	}
}

// service prints injected bytes, moves MT messages from the network into
// the modem, and prints the URCs when the line is free (not at a prompt:
// the link is reserved then, TS 27.005 §3.4.1 <mode> 2). Called with m.mu
// held.
func (m *Modem) service(p *port) {
	if len(m.injects) > 0 {
		p.out = append(p.out, m.injects...)
		m.injects = m.injects[:0]
	}
	// A command being typed reserves the line too; junk without "A" does not.
	typing := len(p.line) > 0 && (p.line[0] == 'A' || p.line[0] == 'a')
	if m.hung || p.prompt != nil || typing {
		return
	}
	m.pump()
	kept := m.urcs[:0]
	for _, u := range m.urcs {
		if u.cnmi && m.set.cnmi[0] == 0 {
			kept = append(kept, u)
			continue
		}
		m.writeURC(p, u)
	}
	clear(m.urcs[len(kept):])
	m.urcs = kept
}

// writeURC prints one URC; a +CMT/+CDS starts its +CNMA timer.
func (m *Modem) writeURC(p *port, u urc) {
	if m.set.verbose {
		p.out = append(p.out, "\r\n"...)
	}
	for i, l := range u.lines {
		if i > 0 {
			p.out = append(p.out, "\r\n"...)
		}
		m.appendLine(p, l, prev(u.lines, i))
	}
	p.out = append(p.out, "\r\n"...)
	if u.ack != nil && m.outstanding == u.ack {
		m.startAckTimer(u.ack)
	}
}

// startAckTimer arms the network's wait for +CNMA (TS 27.005 §3.4.4): when
// it expires the delivery counts as failed and the network retries later
// with the same PDU. Called with m.mu held.
func (m *Modem) startAckTimer(it *mtItem) {
	if m.ackTimer != nil {
		m.ackTimer.Stop()
	}
	m.ackTimer = time.AfterFunc(m.cfg.AckTimeout, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed || m.outstanding != it {
			return
		}
		m.outstanding = nil
		m.ackTimer = nil
		m.stats.Redelivered++
		m.log.Debug("sim: no +CNMA, network will redeliver", slog.String("pdu", it.pdu.hex))
		m.requeueLater(it)
		m.kick()
	})
}

// requeueLater puts an MT item back in the network after RedeliveryDelay.
// Called with m.mu held.
func (m *Modem) requeueLater(it *mtItem) {
	time.AfterFunc(m.cfg.RedeliveryDelay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		m.network = append([]*mtItem{it}, m.network...)
		m.kick()
	})
}

// route says how an MT PDU reaches the TE per +CNMI (TS 27.005 §3.4.1):
// direct (+CMT/+CDS), stored with an indication (+CMTI/+CDSI), or stored
// silently.
const (
	routeDirect = iota
	routeStoreIndicate
	routeStoreSilent
)

func (m *Modem) route(p mtPDU) int {
	mt, ds := m.set.cnmi[1], m.set.cnmi[3]
	if p.report {
		switch ds {
		case 1:
			return routeDirect
		case 2:
			return routeStoreIndicate
		default:
			return routeStoreSilent
		}
	}
	switch {
	case mt == 2 && p.class != 2, mt == 3 && p.class == 3:
		return routeDirect
	case mt == 0:
		return routeStoreSilent
	default:
		return routeStoreIndicate
	}
}

// pump moves MT items from the network into the modem while it can take
// them: plugged, registered, SIM unlocked, radio on. The network delivers
// one at a time: it waits for the +CNMA of a +CMT (with +CSMS=1), and holds
// everything while the receiving memory is full (TS 23.040 §10.1 memory
// capacity exceeded) until a slot is freed. Called with m.mu held.
func (m *Modem) pump() {
	if !m.registered() || m.pinState != pinReady || !m.radioOn {
		return
	}
	for len(m.network) > 0 {
		it := m.network[0]
		switch m.route(it.pdu) {
		case routeDirect:
			if m.outstanding != nil {
				return
			}
			u := urc{cnmi: true}
			if it.pdu.report {
				u.lines = []string{fmt.Sprintf("+CDS: %d", it.pdu.tpduLen), it.pdu.hex}
				m.stats.StatusReports++
			} else {
				u.lines = []string{fmt.Sprintf("+CMT: ,%d", it.pdu.tpduLen), it.pdu.hex}
				m.stats.Delivered++
			}
			if m.set.csms == 1 {
				m.outstanding = it
				u.ack = it
			}
			m.addURC(u)
		default:
			v, _ := m.view(m.set.mem[2])
			idx, ok := v.put(&slot{stat: statRecUnread, pdu: it.pdu.hex, tpduLen: it.pdu.tpduLen})
			if !ok {
				return
			}
			if it.pdu.report {
				m.stats.StatusReports++
			} else {
				m.stats.Delivered++
			}
			if m.route(it.pdu) == routeStoreIndicate {
				ind := "+CMTI"
				if it.pdu.report {
					ind = "+CDSI"
				}
				m.addURC(urc{cnmi: true, lines: []string{fmt.Sprintf("%s: %q,%d", ind, v.name, idx+m.indexBase())}})
			}
		}
		m.network[0] = nil
		m.network = m.network[1:]
	}
}

// view resolves a memory name ("SM", "ME", "MT") to its stores.
func (m *Modem) view(name string) (view, bool) {
	switch name {
	case "SM":
		return view{name: "SM", stores: []*store{m.sm}}, true
	case "ME":
		if len(m.me.slots) == 0 {
			return view{}, false
		}
		return view{name: "ME", stores: []*store{m.me}}, true
	case "MT":
		return view{name: "MT", stores: []*store{m.sm, m.me}}, true
	}
	return view{}, false
}
