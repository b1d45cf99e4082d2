package sim

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/warthog618/sms/encoding/ucs2"
)

// Command syntax kinds (V.250 §5.4: action, read "?", test "=?", set "=").
const (
	kindAction = iota
	kindRead
	kindTest
	kindSet
)

// command is one command of a command line.
type command struct {
	text string // as typed after AT, e.g. "+CMGS=23"
	name string // upper case: "+CMGS", "E", "&F", "D"
	kind int
	args string // after "=" for extended commands, the digits for basic ones
}

// result is what a command answers: information text, then either a final
// error line (final), a prompt, or OK (neither).
type result struct {
	info   []string
	final  string
	prompt *prompt
}

func ok(info ...string) result    { return result{info: info} }
func fail(line string) result     { return result{final: line} }
func syntaxError() result         { return fail("ERROR") }
func (m *Modem) cme(c int) result { return fail(m.cmeError(c)) }
func (m *Modem) cms(c int) result { return fail(m.cmsError(c)) }

// maxSubmitTPDU is the longest SMS-SUBMIT TPDU (TS 23.040 §9.2.2.2: first
// octet, MR, 12-octet DA, PID, DCS, 7-octet VP, UDL, 140 octets of UD).
const maxSubmitTPDU = 164

// splitCommands splits the text after "AT" into commands: basic ones
// ("E0", "&F", "S0=1", "D...") and extended ones ("+CMGF=0") separated by
// ";" outside quotes (V.250 §5.3).
func splitCommands(body string) ([]command, bool) {
	var cmds []command
	for i := 0; i < len(body); {
		ch := body[i]
		switch {
		case ch == ' ' || ch == ';':
			i++
		case strings.IndexByte("+^$%#*", ch) >= 0:
			j, quoted := i, false
			for j < len(body) && (quoted || body[j] != ';') {
				if body[j] == '"' {
					quoted = !quoted
				}
				j++
			}
			cmds = append(cmds, parseExtended(body[i:j]))
			i = j
		case ch == '&' || isLetter(ch):
			start := i
			name := strings.ToUpper(string(ch))
			i++
			if ch == '&' {
				if i >= len(body) || !isLetter(body[i]) {
					return nil, false
				}
				name += strings.ToUpper(string(body[i]))
				i++
			}
			switch name {
			case "D":
				// The dial string runs to the end of the line.
				cmds = append(cmds, command{text: body[start:], name: "D", kind: kindSet, args: body[i:]})
				i = len(body)
				continue
			case "S":
				j := i
				for j < len(body) && body[j] != ';' && !(j > i && isLetter(body[j]) && body[j-1] != '=') {
					j++
				}
				cmds = append(cmds, command{text: body[start:j], name: "S", kind: kindSet, args: body[i:j]})
				i = j
				continue
			}
			j := i
			for j < len(body) && body[j] >= '0' && body[j] <= '9' {
				j++
			}
			cmds = append(cmds, command{text: body[start:j], name: name, kind: kindSet, args: body[i:j]})
			i = j
		default:
			return nil, false
		}
	}
	return cmds, true
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// parseExtended parses "+NAME", "+NAME?", "+NAME=?" or "+NAME=args".
func parseExtended(s string) command {
	c := command{text: strings.TrimSpace(s)}
	i := strings.IndexAny(c.text, "=?")
	if i < 0 {
		c.name, c.kind = strings.ToUpper(c.text), kindAction
		return c
	}
	c.name = strings.ToUpper(strings.TrimSpace(c.text[:i]))
	rest := c.text[i:]
	switch {
	case strings.HasPrefix(rest, "=?"):
		c.kind = kindTest
	case rest[0] == '?':
		c.kind = kindRead
	default:
		c.kind, c.args = kindSet, strings.TrimSpace(rest[1:])
	}
	return c
}

// normalizeCommandName turns "cmgs", "AT+CMGS" or "+cmgs=1" into the form
// commands are matched against ("+CMGS", "+CMGS=1"); single letters stay
// basic commands ("D", "H").
func normalizeCommandName(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) > 2 && strings.HasPrefix(s, "AT") {
		s = s[2:]
	}
	if len(s) > 1 && isLetter(s[0]) {
		s = "+" + s
	}
	return s
}

func isPromptCommand(c command) bool {
	return c.kind == kindSet && (c.name == "+CMGS" || c.name == "+CMGW")
}

// splitArgs splits comma-separated parameters outside quotes; there is
// always at least one, possibly empty.
func splitArgs(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// unquote removes the double quotes around a string parameter.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// intArg parses an integer parameter; empty gives def.
func intArg(s string, def int) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// flag handles ATE/ATV/ATQ.
func (m *Modem) flag(c command, dst *bool) result {
	switch c.args {
	case "", "0":
		*dst = false
	case "1":
		*dst = true
	default:
		return syntaxError()
	}
	return ok()
}

// info answers an identification command (TS 27.007 §5: no prefix).
func (m *Modem) info(c command, v string) result {
	switch c.kind {
	case kindTest:
		return ok()
	case kindAction, kindRead:
		return ok(v)
	}
	return syntaxError()
}

// simCME is the +CME error for a locked SIM, 0 when it is ready.
func (m *Modem) simCME() int {
	switch m.pinState {
	case pinNeedPIN:
		return 11
	case pinNeedPUK:
		return 12
	}
	return 0
}

// simCMS is the +CMS error for a locked SIM, 0 when it is ready.
func (m *Modem) simCMS() int {
	switch m.pinState {
	case pinNeedPIN:
		return 311
	case pinNeedPUK:
		return 316
	}
	return 0
}

// exec runs one command. Called from the loop with m.mu held.
func (m *Modem) exec(p *port, c command) result {
	id := m.cfg.Identity
	switch c.name {
	case "E":
		return m.flag(c, &m.set.echo)
	case "V":
		return m.flag(c, &m.set.verbose)
	case "Q":
		return m.flag(c, &m.set.quiet)
	case "Z", "&F":
		if c.args != "" && c.args != "0" {
			return syntaxError()
		}
		m.set = defaultSettings()
		return ok()
	case "I":
		return ok("Manufacturer: "+id.Manufacturer, "Model: "+id.Model, "Revision: "+id.Revision,
			"IMEI: "+id.IMEI, "+GCAP: +CGSM")
	case "H":
		m.hangup()
		return ok()
	case "A":
		if m.call == nil || m.call.answered {
			return fail("NO CARRIER")
		}
		m.call.answered = true
		m.call.timer.Stop()
		return ok()
	case "D":
		// Voice and data calls are not simulated: the call fails at once.
		return fail("NO CARRIER")
	case "S":
		if strings.HasSuffix(c.args, "?") {
			return ok("000")
		}
		return ok()
	case "&C", "&D", "&K", "&S", "&W", "L", "M", "X":
		return ok()
	case "+CGMI", "+GMI":
		return m.info(c, id.Manufacturer)
	case "+CGMM", "+GMM":
		return m.info(c, id.Model)
	case "+CGMR", "+GMR":
		return m.info(c, id.Revision)
	case "+CGSN", "+GSN":
		return m.info(c, id.IMEI)
	case "+CIMI":
		if e := m.simCME(); e != 0 {
			return m.cme(e)
		}
		return m.info(c, id.IMSI)
	case "+CCID", "+ICCID", "^ICCID":
		if c.kind == kindTest {
			return ok()
		}
		return ok(c.name + ": " + id.ICCID)
	case "+GCAP":
		return ok("+GCAP: +CGSM")
	case "+CSQ":
		if c.kind == kindTest {
			return ok("+CSQ: (0-31,99),(0-7,99)")
		}
		return ok(fmt.Sprintf("+CSQ: %d,99", m.rssi))
	case "+CREG":
		return m.creg(c)
	case "+CGREG", "+CEREG":
		switch c.kind {
		case kindRead:
			return ok(fmt.Sprintf("%s: 0,%d", c.name, m.regStat))
		case kindTest:
			return ok(c.name + ": (0-2)")
		}
		return ok()
	case "+COPS":
		return m.cops(c)
	case "+CPIN":
		return m.cpin(c)
	case "+CSCA":
		return m.csca(c)
	case "+CNUM":
		if e := m.simCME(); e != 0 {
			return m.cme(e)
		}
		if id.OwnNumber == "" || c.kind == kindTest {
			return ok()
		}
		return ok(fmt.Sprintf("+CNUM: \"\",%q,%d", id.OwnNumber, toa(id.OwnNumber)))
	case "+CMEE":
		return m.intSetting(c, &m.set.cmee, 0, 2, "+CMEE: (0-2)")
	case "+CMGF":
		return m.cmgf(c)
	case "+CSCS":
		return m.cscs(c)
	case "+CSMS":
		return m.csms(c)
	case "+CPMS":
		return m.cpms(c)
	case "+CNMI":
		return m.cnmi(c)
	case "+CNMA":
		return m.cnma(c)
	case "+CMGS", "+CMGW":
		return m.sendPrompt(c)
	case "+CMGL":
		return m.cmgl(c)
	case "+CMGR":
		return m.cmgr(c)
	case "+CMGD":
		return m.cmgd(c)
	case "+CSMP":
		if c.kind == kindRead {
			return ok("+CSMP: 17,167,0,0")
		}
		return ok()
	case "+CLIP":
		switch c.kind {
		case kindRead:
			return ok(fmt.Sprintf("+CLIP: %d,1", b2i(m.set.clip)))
		case kindTest:
			return ok("+CLIP: (0,1)")
		}
		n, good := intArg(c.args, 0)
		if !good || n < 0 || n > 1 {
			return syntaxError()
		}
		m.set.clip = n == 1
		return ok()
	case "+CLCC":
		if m.call == nil || c.kind == kindTest {
			return ok()
		}
		stat := 4 // incoming
		if m.call.answered {
			stat = 0 // active
		}
		return ok(fmt.Sprintf("+CLCC: 1,1,%d,0,0,%q,%d", stat, m.call.number, m.call.toa))
	case "+CHUP":
		m.hangup()
		return ok()
	case "+CUSD":
		return m.cusd(c)
	case "+CFUN":
		return m.cfun(p, c)
	}
	return syntaxError()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// toa is the type of address of a number: 145 international, 129 other.
func toa(number string) int {
	if strings.HasPrefix(number, "+") {
		return 145
	}
	return 129
}

// intSetting handles a one-integer setting with read and test forms.
func (m *Modem) intSetting(c command, dst *int, lo, hi int, test string) result {
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("%s: %d", c.name, *dst))
	case kindTest:
		return ok(test)
	}
	n, good := intArg(c.args, 0)
	if !good || n < lo || n > hi {
		return syntaxError()
	}
	*dst = n
	return ok()
}

func (m *Modem) hangup() {
	if m.call != nil {
		m.call.timer.Stop()
		m.call = nil
	}
}

// cregFields is "<stat>[,<lac>,<ci>]" for +CREG with <n>=2 (TS 27.007 §7.2).
func (m *Modem) cregFields(stat int) string {
	if stat == 1 || stat == 5 {
		return fmt.Sprintf("%d,\"00C3\",\"0000D2F1\"", stat)
	}
	return strconv.Itoa(stat)
}

func (m *Modem) creg(c command) result {
	switch c.kind {
	case kindRead:
		if m.set.creg == 2 {
			return ok(fmt.Sprintf("+CREG: 2,%s", m.cregFields(m.regStat)))
		}
		return ok(fmt.Sprintf("+CREG: %d,%d", m.set.creg, m.regStat))
	case kindTest:
		return ok("+CREG: (0-2)")
	}
	n, good := intArg(c.args, 0)
	if !good || n < 0 || n > 2 {
		return syntaxError()
	}
	m.set.creg = n
	return ok()
}

// cops handles +COPS (TS 27.007 §7.3).
func (m *Modem) cops(c command) result {
	id := m.cfg.Identity
	names := []string{id.Operator, id.OperatorShort, id.OperatorNumeric}
	switch c.kind {
	case kindRead:
		if !m.registered() {
			return ok("+COPS: 0")
		}
		return ok(fmt.Sprintf("+COPS: 0,%d,%q,7", m.set.copsFmt, names[m.set.copsFmt]))
	case kindTest:
		return ok(fmt.Sprintf("+COPS: (2,%q,%q,%q,7),,(0-4),(0-2)", names[0], names[1], names[2]))
	case kindAction:
		return ok()
	}
	args := splitArgs(c.args)
	mode, good := intArg(args[0], 0)
	if !good {
		return syntaxError()
	}
	if len(args) > 1 {
		f, good := intArg(args[1], 0)
		if !good || f < 0 || f > 2 {
			return syntaxError()
		}
		m.set.copsFmt = f
	}
	switch mode {
	case 0:
		if !m.registered() && m.radioOn {
			m.register()
		}
	case 1, 4:
		if len(args) < 3 {
			return syntaxError()
		}
		want := unquote(args[2])
		if want != names[0] && want != names[1] && want != names[2] {
			return m.cme(30)
		}
	case 2:
		m.setReg(0)
	case 3:
	default:
		return syntaxError()
	}
	return ok()
}

// cpin handles +CPIN (TS 27.007 §8.3): three wrong PINs need the PUK.
func (m *Modem) cpin(c command) result {
	switch c.kind {
	case kindRead:
		return ok("+CPIN: " + [...]string{"READY", "SIM PIN", "SIM PUK"}[m.pinState])
	case kindTest:
		return ok()
	case kindAction:
		return syntaxError()
	}
	args := splitArgs(c.args)
	code := unquote(args[0])
	switch m.pinState {
	case pinReady:
		return m.cme(3)
	case pinNeedPIN:
		if code != m.pin {
			m.pinTries++
			if m.pinTries >= 3 {
				m.pinState = pinNeedPUK
			}
			return m.cme(16)
		}
	case pinNeedPUK:
		if len(args) < 2 || m.cfg.PUK == "" || code != m.cfg.PUK {
			return m.cme(16)
		}
		m.pin = unquote(args[1])
	}
	m.pinState, m.pinTries = pinReady, 0
	m.register()
	return ok()
}

func (m *Modem) csca(c command) result {
	if e := m.simCMS(); e != 0 {
		return m.cms(e)
	}
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("+CSCA: %q,%d", m.smsc, toa(m.smsc)))
	case kindTest:
		return ok()
	case kindSet:
		args := splitArgs(c.args)
		s := unquote(args[0])
		if s != "" && !isNumber(s) {
			return m.cms(304)
		}
		m.smsc = s
		return ok()
	}
	return syntaxError()
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmgf accepts PDU mode only: text mode is "operation not supported".
func (m *Modem) cmgf(c command) result {
	switch c.kind {
	case kindRead:
		return ok("+CMGF: 0")
	case kindTest:
		return ok("+CMGF: (0)")
	}
	switch strings.TrimSpace(c.args) {
	case "", "0":
		return ok()
	case "1":
		return m.cms(303)
	}
	return syntaxError()
}

func (m *Modem) cscs(c command) result {
	sets := []string{"GSM", "IRA", "UCS2", "8859-1", "HEX"}
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("+CSCS: %q", m.set.cscs))
	case kindTest:
		return ok(`+CSCS: ("GSM","IRA","UCS2","8859-1","HEX")`)
	case kindSet:
		cs := strings.ToUpper(unquote(c.args))
		for _, s := range sets {
			if cs == s {
				m.set.cscs = s
				return ok()
			}
		}
		return m.cme(4)
	}
	return syntaxError()
}

// csms handles +CSMS (TS 27.005 §3.2.1): service 1 needs +CNMA for +CMT/+CDS.
func (m *Modem) csms(c command) result {
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("+CSMS: %d,1,1,1", m.set.csms))
	case kindTest:
		return ok("+CSMS: (0,1)")
	case kindSet:
		n, good := intArg(c.args, -1)
		if !good || n < 0 {
			return syntaxError()
		}
		if n > 1 {
			return m.cms(303)
		}
		m.set.csms = n
		return ok("+CSMS: 1,1,1")
	}
	return syntaxError()
}

// memNames lists the memories this modem has, for +CPMS=?.
func (m *Modem) memNames() string {
	if len(m.me.slots) > 0 {
		return `("SM","ME","MT")`
	}
	return `("SM","MT")`
}

// cpms handles +CPMS (TS 27.005 §3.2.2).
func (m *Modem) cpms(c command) result {
	if e := m.simCMS(); e != 0 && c.kind != kindTest {
		return m.cms(e)
	}
	switch c.kind {
	case kindRead:
		parts := make([]string, 0, 3)
		for _, name := range m.set.mem {
			v, _ := m.view(name)
			parts = append(parts, fmt.Sprintf("%q,%d,%d", name, v.used(), v.capacity()))
		}
		return ok("+CPMS: " + strings.Join(parts, ","))
	case kindTest:
		n := m.memNames()
		return ok(fmt.Sprintf("+CPMS: %s,%s,%s", n, n, n))
	case kindAction:
		return syntaxError()
	}
	args := splitArgs(c.args)
	if len(args) > 3 {
		return syntaxError()
	}
	mem := m.set.mem
	for i, a := range args {
		name := strings.ToUpper(unquote(a))
		if _, ok := m.view(name); !ok {
			return m.cms(302)
		}
		mem[i] = name
	}
	m.set.mem = mem
	parts := make([]string, 0, 3)
	for _, name := range mem {
		v, _ := m.view(name)
		parts = append(parts, fmt.Sprintf("%d,%d", v.used(), v.capacity()))
	}
	return ok("+CPMS: " + strings.Join(parts, ","))
}

// cnmi handles +CNMI (TS 27.005 §3.4.1). Omitted parameters keep their
// value. Leaving <mode> 0 flushes (<bfr> 0) or clears (<bfr> 1) the
// indications buffered meanwhile.
func (m *Modem) cnmi(c command) result {
	switch c.kind {
	case kindRead:
		v := m.set.cnmi
		return ok(fmt.Sprintf("+CNMI: %d,%d,%d,%d,%d", v[0], v[1], v[2], v[3], v[4]))
	case kindTest:
		return ok("+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)")
	case kindAction:
		return syntaxError()
	}
	args := splitArgs(c.args)
	if len(args) > 5 {
		return syntaxError()
	}
	v := m.set.cnmi
	his := [5]int{3, 3, 3, 2, 1}
	for i, a := range args {
		if a == "" {
			continue
		}
		n, good := intArg(a, 0)
		if !good {
			return syntaxError()
		}
		if n < 0 || n > his[i] {
			return m.cms(303)
		}
		v[i] = n
	}
	m.set.cnmi = v
	if v[0] > 0 && v[4] == 1 {
		m.dropBufferedIndications()
	}
	return ok()
}

// dropBufferedIndications clears the +CNMI URCs held in the TA; a +CMT so
// dropped was never seen, so the network keeps it.
func (m *Modem) dropBufferedIndications() {
	kept := m.urcs[:0]
	for _, u := range m.urcs {
		if !u.cnmi {
			kept = append(kept, u)
			continue
		}
		if u.ack != nil && m.outstanding == u.ack {
			m.outstanding = nil
			m.network = append([]*mtItem{u.ack}, m.network...)
		}
	}
	clear(m.urcs[len(kept):])
	m.urcs = kept
}

// cnma handles +CNMA (TS 27.005 §3.4.4): <n> 0 or 1 acknowledge (RP-ACK),
// 2 refuses (RP-ERROR, the network retries later). With a <length> a
// deliver-report PDU follows at a prompt.
func (m *Modem) cnma(c command) result {
	if c.kind == kindTest {
		return ok("+CNMA: (0-2)")
	}
	if c.kind == kindRead {
		return syntaxError()
	}
	if m.set.csms != 1 || m.outstanding == nil || m.ackTimer == nil {
		return m.cms(340)
	}
	args := splitArgs(c.args)
	n, length := 0, 0
	if len(args) > 0 {
		var good bool
		if n, good = intArg(args[0], 0); !good || n < 0 || n > 2 {
			return syntaxError()
		}
	}
	if len(args) > 1 {
		var good bool
		if length, good = intArg(args[1], 0); !good || length < 0 || length > maxSubmitTPDU {
			return m.cms(304)
		}
	}
	if length > 0 {
		return result{prompt: &prompt{cmd: "+CNMA", length: length, ackN: n}}
	}
	m.acknowledge(n)
	return ok()
}

// acknowledge ends the pending +CMT/+CDS: accepted, or refused (n=2) and
// retried by the network. Called with m.mu held.
func (m *Modem) acknowledge(n int) {
	it := m.outstanding
	m.outstanding = nil
	if m.ackTimer != nil {
		m.ackTimer.Stop()
		m.ackTimer = nil
	}
	if n == 2 {
		m.stats.Redelivered++
		m.requeueLater(it)
		return
	}
	m.stats.Acks++
}

// sendPrompt starts +CMGS=<length> or +CMGW=<length>[,<stat>]
// (TS 27.005 §3.5.1, §3.5.3): it answers "> " and collects the PDU.
func (m *Modem) sendPrompt(c command) result {
	if c.kind == kindTest {
		return ok()
	}
	if c.kind != kindSet {
		return syntaxError()
	}
	if e := m.simCMS(); e != 0 {
		return m.cms(e)
	}
	args := splitArgs(c.args)
	length, good := intArg(args[0], -1)
	if !good || length < 1 || length > maxSubmitTPDU || len(args) > 2 {
		return m.cms(304)
	}
	pr := &prompt{cmd: c.name, length: length, stat: statStoUnsent}
	if c.name == "+CMGW" && len(args) == 2 {
		st, good := intArg(args[1], statStoUnsent)
		if !good || st < 0 || st > 3 {
			return m.cms(304)
		}
		pr.stat = st
	}
	if c.name == "+CMGS" && len(args) > 1 {
		return m.cms(304)
	}
	return result{prompt: pr}
}

// completePrompt runs the command once Ctrl-Z ends the PDU. The command's
// latency (the network round trip for +CMGS) and injected errors apply
// here, after the PDU was typed, as when the network refuses a message.
func (m *Modem) completePrompt(p *port, pr *prompt) {
	if !m.pause(p, m.latencyFor(pr.cmd)) {
		return
	}
	if resp, ok := m.takeFault(pr.cmd); ok {
		if pr.cmd == "+CMGS" {
			m.stats.Rejected++
		}
		m.respond(p, nil, resp)
		return
	}
	var r result
	switch pr.cmd {
	case "+CMGS":
		r = m.submit(pr)
	case "+CMGW":
		r = m.writeMessage(pr)
	case "+CNMA":
		if pr.overflow || !isHex(string(pr.buf)) || len(pr.buf) != 2*pr.length {
			r = m.cms(304)
		} else if m.outstanding == nil {
			r = m.cms(340)
		} else {
			m.acknowledge(pr.ackN)
		}
	}
	final := r.final
	if final == "" {
		final = "OK"
	}
	m.respond(p, r.info, final)
}

// submit validates and records an SMS-SUBMIT typed at the +CMGS prompt and
// answers +CMGS: <mr>. The hex must hold the SMSC prefix then exactly
// <length> TPDU octets decoding as an SMS-SUBMIT; else +CMS ERROR: 304.
func (m *Modem) submit(pr *prompt) result {
	r := m.checkSubmit(pr)
	if r.final != "" {
		m.stats.Rejected++
	}
	return r
}

func (m *Modem) checkSubmit(pr *prompt) result {
	if pr.overflow {
		return m.cms(304)
	}
	pduHex := string(pr.buf)
	smsc, tp, err := splitPDU(pduHex)
	if err != nil || len(tp) != pr.length {
		m.log.Debug("sim: +CMGS refused", slog.String("pdu", pduHex), slog.Int("length", pr.length), slog.Any("err", err))
		return m.cms(304)
	}
	rec, t, err := decodeSubmit(tp)
	if err != nil {
		m.log.Debug("sim: +CMGS refused", slog.String("pdu", pduHex), slog.Any("err", err))
		return m.cms(304)
	}
	if !m.registered() || !m.radioOn {
		return m.cms(331)
	}
	if smsc == "" {
		smsc = m.smsc
	}
	if smsc == "" {
		return m.cms(330)
	}
	now := time.Now()
	mr := m.mr
	m.mr = (m.mr + 1) & 0xff
	rec.Time, rec.MR, rec.PDU, rec.SMSC = now, mr, strings.ToUpper(pduHex), smsc
	if len(m.submitted) >= m.cfg.MaxSubmitted {
		// Drop the oldest tenth at once: one copy per many submits.
		keep := m.cfg.MaxSubmitted - max(m.cfg.MaxSubmitted/10, 1)
		m.submitted = append(m.submitted[:0], m.submitted[len(m.submitted)-keep:]...)
	}
	m.submitted = append(m.submitted, rec)
	m.sent++
	m.stats.Submitted++
	if rec.StatusReportRequested && m.cfg.StatusReports {
		prefix, err := smscPrefix(smsc)
		if err == nil {
			var rep mtPDU
			delay := m.cfg.StatusReportDelay
			rep, err = buildStatusReport(mr, t.DA, now, now.Add(delay), m.stReport, prefix)
			if err == nil {
				m.scheduleMT(rep, delay)
			}
		}
		if err != nil {
			m.log.Warn("sim: status report", slog.Any("err", err))
		}
	}
	return ok(fmt.Sprintf("+CMGS: %d", mr))
}

// scheduleMT hands a PDU to the network after delay (at once when zero).
// Called with m.mu held.
func (m *Modem) scheduleMT(p mtPDU, delay time.Duration) {
	if delay <= 0 {
		m.queueMT(p)
		return
	}
	time.AfterFunc(delay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		m.queueMT(p)
		m.kick()
	})
}

// writeMessage stores the PDU typed at the +CMGW prompt in <mem2>.
func (m *Modem) writeMessage(pr *prompt) result {
	if pr.overflow {
		return m.cms(304)
	}
	pduHex := strings.ToUpper(string(pr.buf))
	_, tp, err := splitPDU(pduHex)
	if err != nil || len(tp) != pr.length {
		return m.cms(304)
	}
	v, _ := m.view(m.set.mem[1])
	idx, good := v.put(&slot{stat: pr.stat, pdu: pduHex, tpduLen: len(tp)})
	if !good {
		return m.cms(322)
	}
	return ok(fmt.Sprintf("+CMGW: %d", idx+m.indexBase()))
}

// cmgl lists <mem1> (TS 27.005 §3.4.2): "+CMGL: <index>,<stat>,,<length>"
// then the PDU; received unread messages become read.
func (m *Modem) cmgl(c command) result {
	if c.kind == kindTest {
		return ok("+CMGL: (0-4)")
	}
	if c.kind == kindRead {
		return syntaxError()
	}
	if e := m.simCMS(); e != 0 {
		return m.cms(e)
	}
	stat, good := intArg(c.args, statRecUnread)
	if !good || stat < 0 || stat > statAll {
		return m.cms(304)
	}
	v, _ := m.view(m.set.mem[0])
	var info []string
	v.each(func(i int, sl *slot) {
		if stat != statAll && sl.stat != stat {
			return
		}
		info = append(info, fmt.Sprintf("+CMGL: %d,%d,,%d", i+m.indexBase(), sl.stat, sl.tpduLen), sl.pdu)
		if sl.stat == statRecUnread {
			sl.stat = statRecRead
		}
	})
	return ok(info...)
}

// slotAt resolves an AT index of <mem1>; ok is false when out of range.
func (m *Modem) slotAt(arg string) (**slot, bool) {
	n, good := intArg(arg, -1)
	if !good {
		return nil, false
	}
	v, _ := m.view(m.set.mem[0])
	return v.at(n - m.indexBase())
}

// cmgr reads one message of <mem1> (TS 27.005 §3.4.3); an empty slot gives
// a bare OK, an index out of range +CMS ERROR: 321.
func (m *Modem) cmgr(c command) result {
	if c.kind == kindTest {
		return ok()
	}
	if c.kind != kindSet {
		return syntaxError()
	}
	if e := m.simCMS(); e != 0 {
		return m.cms(e)
	}
	cell, good := m.slotAt(c.args)
	if !good {
		return m.cms(321)
	}
	sl := *cell
	if sl == nil {
		return ok()
	}
	r := ok(fmt.Sprintf("+CMGR: %d,,%d", sl.stat, sl.tpduLen), sl.pdu)
	if sl.stat == statRecUnread {
		sl.stat = statRecRead
	}
	return r
}

// cmgd deletes from <mem1> (TS 27.005 §3.5.4): <index>, or by <delflag>
// 1 read, 2 read and sent, 3 read, sent and unsent, 4 all.
func (m *Modem) cmgd(c command) result {
	v, _ := m.view(m.set.mem[0])
	if c.kind == kindTest {
		var idx []string
		v.each(func(i int, _ *slot) { idx = append(idx, strconv.Itoa(i+m.indexBase())) })
		return ok(fmt.Sprintf("+CMGD: (%s),(0-4)", strings.Join(idx, ",")))
	}
	if c.kind != kindSet {
		return syntaxError()
	}
	if e := m.simCMS(); e != 0 {
		return m.cms(e)
	}
	args := splitArgs(c.args)
	if len(args) > 2 {
		return syntaxError()
	}
	flag := 0
	if len(args) == 2 {
		var good bool
		if flag, good = intArg(args[1], 0); !good || flag < 0 || flag > 4 {
			return m.cms(304)
		}
	}
	if flag == 0 {
		cell, good := m.slotAt(args[0])
		if !good {
			return m.cms(321)
		}
		*cell = nil
		return ok()
	}
	for i := range v.capacity() {
		cell, _ := v.at(i)
		sl := *cell
		if sl == nil {
			continue
		}
		del := flag == 4 ||
			sl.stat == statRecRead ||
			flag >= 2 && sl.stat == statStoSent ||
			flag >= 3 && sl.stat == statStoUnsent
		if del {
			*cell = nil
		}
	}
	return ok()
}

// cusd handles +CUSD (TS 27.007 §7.15): the network's answer comes after
// the OK as +CUSD: 0,"<text>",<dcs>, or +CUSD: 4 when it does not know the
// string.
func (m *Modem) cusd(c command) result {
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("+CUSD: %d", m.set.cusd))
	case kindTest:
		return ok("+CUSD: (0-2)")
	case kindAction:
		m.set.cusd = 0
		return ok()
	}
	args := splitArgs(c.args)
	n, good := intArg(args[0], 0)
	if !good || n < 0 || n > 2 {
		return syntaxError()
	}
	if n == 2 {
		return ok()
	}
	m.set.cusd = n
	if len(args) < 2 {
		return ok()
	}
	if e := m.simCME(); e != 0 {
		return m.cme(e)
	}
	if !m.registered() {
		return m.cme(30)
	}
	answer, known := m.ussd[unquote(args[1])]
	if m.set.cusd != 1 {
		return ok()
	}
	line := "+CUSD: 4"
	if known {
		if m.set.cscs == "UCS2" {
			line = fmt.Sprintf("+CUSD: 0,\"%X\",72", ucs2.Encode([]rune(answer)))
		} else {
			line = fmt.Sprintf("+CUSD: 0,%q,15", answer)
		}
	}
	m.addURC(urc{lines: []string{line}})
	return ok()
}

// cfun handles +CFUN (TS 27.007 §8.2): 0 or 4 switch the radio off, 1 on;
// <rst> 1 reboots the modem, which a USB stick does by leaving the bus and
// coming back as a new device.
func (m *Modem) cfun(p *port, c command) result {
	switch c.kind {
	case kindRead:
		return ok(fmt.Sprintf("+CFUN: %d", b2i(m.radioOn)))
	case kindTest:
		return ok("+CFUN: (0,1,4),(0-1)")
	case kindAction:
		return syntaxError()
	}
	args := splitArgs(c.args)
	fun, good := intArg(args[0], 1)
	if !good || len(args) > 2 {
		return syntaxError()
	}
	rst := 0
	if len(args) == 2 {
		if rst, good = intArg(args[1], 0); !good || rst < 0 || rst > 1 {
			return syntaxError()
		}
	}
	switch fun {
	case 0, 4:
		m.radioOn = false
		m.setReg(0)
	case 1:
		if !m.radioOn {
			m.radioOn = true
			m.register()
		}
	default:
		return m.cme(4)
	}
	if rst == 1 {
		p.reboot = true
	}
	return ok()
}
