package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors returned by the Go API.
var (
	ErrClosed    = errors.New("sim: modem closed")
	ErrUnplugged = errors.New("sim: modem unplugged")
	ErrPlugged   = errors.New("sim: modem already plugged")
	ErrBusy      = errors.New("sim: a call is already ringing")
	ErrNoNetwork = errors.New("sim: modem not registered")
)

// Modem is a virtual GSM modem on a pseudo-terminal. All its methods are
// safe for concurrent use.
type Modem struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	port   *port // nil while unplugged
	gen    uint64

	set      settings
	pin      string
	pinState int
	pinTries int
	regStat  int
	radioOn  bool
	rssi     int
	smsc     string
	hung     bool
	latency  time.Duration
	cmdLat   map[string]time.Duration
	faults   []*fault
	scripts  []script
	noise    Noise
	noiseGen uint64 // bumped to stop a noise timer chain
	rng      *rand.Rand
	ussd     map[string]string
	injects  []byte
	stReport byte

	sm, me      *store
	network     []*mtItem // MT messages and reports the network still holds
	urcs        []urc     // unsolicited result codes buffered in the TA
	outstanding *mtItem   // +CMT/+CDS waiting for +CNMA
	ackTimer    *time.Timer
	nextID      uint64
	mr          int
	concatRef   int
	submitted   []Submitted
	sent        int
	stats       Stats
	call        *call
}

// PIN states (+CPIN, TS 27.007 §8.3).
const (
	pinReady = iota
	pinNeedPIN
	pinNeedPUK
)

// mtItem is one MT message or status report travelling from the network to
// the modem.
type mtItem struct {
	id  uint64
	pdu mtPDU
}

// urc is one unsolicited result code (possibly two lines, as +CMT) buffered
// in the TA until the line is free.
type urc struct {
	lines []string
	// cnmi marks +CMT/+CMTI/+CDS/+CDSI, held while +CNMI <mode> is 0.
	cnmi bool
	// ack is the MT item this +CMT/+CDS hands over, for which the +CNMA
	// timer starts when the line is actually written.
	ack *mtItem
}

// call is an incoming voice call.
type call struct {
	number   string
	toa      int
	rings    int
	answered bool
	timer    *time.Timer
}

// fault replaces the answer of matching commands with an error line.
type fault struct {
	prefix   string
	count    int // remaining answers; -1 when rate-based
	rate     float64
	response string
}

// script replaces the next answer of a matching command with raw text.
type script struct {
	prefix string
	raw    string
}

// New creates the modem, its pty (and Config.Link), and powers it on: the
// boot lines are already waiting on the line when the driver opens it.
func New(cfg Config) (*Modem, error) {
	m := newModem(cfg)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.powerOn(); err != nil {
		return nil, err
	}
	return m, nil
}

// newModem builds a powered-off modem.
func newModem(cfg Config) *Modem {
	cfg = cfg.withDefaults()
	return &Modem{
		cfg:      cfg,
		log:      cfg.Logger,
		pin:      cfg.PIN,
		rssi:     cfg.RSSI,
		smsc:     cfg.Identity.SMSC,
		latency:  cfg.Latency,
		cmdLat:   cfg.CommandLatency,
		noise:    cfg.Noise,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		ussd:     cfg.USSD,
		stReport: cfg.StatusReportST,
		sm:       newStore("SM", cfg.SIMCapacity),
		me:       newStore("ME", cfg.MECapacity),
	}
}

// Path is the name to open: Config.Link when set, else the current pty
// slave (which changes at each Replug; "" while unplugged).
func (m *Modem) Path() string {
	if m.cfg.Link != "" {
		return m.cfg.Link
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.port == nil {
		return ""
	}
	return m.port.path
}

// Close unplugs the modem for good and removes Config.Link. It is
// idempotent.
func (m *Modem) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	p := m.powerOff()
	m.mu.Unlock()
	if p != nil {
		p.wait()
	}
	return nil
}

// Unplug makes the port disappear as a USB unplug does: the pty master is
// closed (the driver's reads fail), the slave and Config.Link vanish. The
// SIM storage and the network's pending messages are kept.
func (m *Modem) Unplug() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.port == nil {
		m.mu.Unlock()
		return ErrUnplugged
	}
	m.stats.Unplugs++
	p := m.powerOff()
	m.mu.Unlock()
	p.wait()
	m.log.Info("sim: unplugged", slog.String("path", p.path))
	return nil
}

// Replug brings a new pty pair, repoints Config.Link at it and powers the
// modem on: settings are reset (echo on, +CNMI 0,0,0,0,0, ...), the SIM is
// locked again when it has a PIN, and the boot lines are printed. The SIM
// storage survives.
func (m *Modem) Replug() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.port != nil {
		return ErrPlugged
	}
	if err := m.powerOn(); err != nil {
		return err
	}
	m.log.Info("sim: replugged", slog.String("path", m.port.path))
	return nil
}

// powerOn opens a new pty and resets the modem as a power cycle does.
// Called with m.mu held.
func (m *Modem) powerOn() error {
	p, err := openPort()
	if err != nil {
		return err
	}
	if err := m.linkTo(p.path); err != nil {
		p.close()
		return err
	}
	m.gen++
	p.gen = m.gen
	m.port = p
	m.set = defaultSettings()
	m.hung = false
	m.radioOn = true
	m.pinTries = 0
	m.pinState = pinReady
	if m.pin != "" {
		m.pinState = pinNeedPIN
	}
	m.urcs = m.urcs[:0]
	m.injects = m.injects[:0]
	for _, l := range m.cfg.BootLines {
		m.urcs = append(m.urcs, urc{lines: []string{l}})
	}
	m.register()
	m.noiseGen++
	m.scheduleNoise(m.noiseGen)
	p.wg.Add(2)
	go m.readLoop(p)
	go m.runLoop(p)
	m.kick()
	return nil
}

// powerOff detaches the current port and returns it for the caller to wait
// on without the lock. The TA's buffered URCs are lost; an unacknowledged
// +CMT goes back to the network. Called with m.mu held.
func (m *Modem) powerOff() *port {
	p := m.port
	m.port = nil
	if m.outstanding != nil {
		m.network = append([]*mtItem{m.outstanding}, m.network...)
		m.outstanding = nil
	}
	if m.ackTimer != nil {
		m.ackTimer.Stop()
		m.ackTimer = nil
	}
	if m.call != nil {
		m.call.timer.Stop()
		m.call = nil
	}
	m.urcs = m.urcs[:0]
	if p == nil {
		return nil
	}
	m.unlink(p.path)
	p.close()
	return p
}

// register sets the registration state after power-on, PIN entry or
// +CFUN=1: not registered while the SIM is locked or the radio off, else
// searching for RegistrationDelay, then home. Called with m.mu held.
func (m *Modem) register() {
	switch {
	case m.pinState != pinReady || !m.radioOn:
		m.setReg(0)
	case m.cfg.RegistrationDelay > 0:
		m.setReg(2)
		gen := m.gen
		time.AfterFunc(m.cfg.RegistrationDelay, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.closed || m.gen != gen || m.regStat != 2 || !m.radioOn {
				return
			}
			m.setReg(1)
			m.kick()
		})
	default:
		m.setReg(1)
	}
}

// setReg changes the registration state and reports it as +CREG: <stat>
// when enabled (TS 27.007 §7.2). Called with m.mu held.
func (m *Modem) setReg(stat int) {
	if stat == m.regStat {
		return
	}
	m.regStat = stat
	switch m.set.creg {
	case 1:
		m.addURC(urc{lines: []string{fmt.Sprintf("+CREG: %d", stat)}})
	case 2:
		m.addURC(urc{lines: []string{"+CREG: " + m.cregFields(stat)}})
	}
}

func (m *Modem) registered() bool { return m.regStat == 1 || m.regStat == 5 }

// scheduleNoise emits one noise line every Noise.Interval until the noise
// settings change or the modem is unplugged. Called with m.mu held.
func (m *Modem) scheduleNoise(gen uint64) {
	if m.noise.Interval <= 0 {
		return
	}
	time.AfterFunc(m.noise.Interval, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed || m.noiseGen != gen || m.port == nil {
			return
		}
		m.kick()
		if l, ok := m.noiseLine(""); ok {
			m.addURC(urc{lines: []string{l}})
		}
		m.scheduleNoise(gen)
	})
}

// noiseLine picks a noise line whose prefix differs from avoid, so that a
// noise line never looks like the answer it interrupts.
func (m *Modem) noiseLine(avoid string) (string, bool) {
	lines := m.noise.Lines
	if len(lines) == 0 {
		return "", false
	}
	for range 4 {
		l := lines[m.rng.IntN(len(lines))]
		if avoid == "" || !strings.HasPrefix(avoid, prefixOf(l)) || prefixOf(l) == "" {
			return l, true
		}
	}
	return "", false
}

// prefixOf returns the "+XXX:" part of a line, or "" when it has none.
func prefixOf(l string) string {
	if i := strings.IndexByte(l, ':'); i > 0 {
		return l[:i+1]
	}
	return ""
}

// addURC queues an unsolicited result code. The TA buffer is bounded
// (TS 27.005 §3.4.1 lets the TA discard the oldest indications when it is
// full); a +CMT/+CDS so discarded was never seen, so the network keeps it.
// Called with m.mu held.
func (m *Modem) addURC(u urc) {
	if len(m.urcs) >= maxURCs {
		old := m.urcs[0]
		if old.ack != nil && m.outstanding == old.ack {
			m.outstanding = nil
			m.network = append([]*mtItem{old.ack}, m.network...)
		}
		m.urcs = append(m.urcs[:0], m.urcs[1:]...)
	}
	m.urcs = append(m.urcs, u)
}

// kick wakes the current port's loop. Called with m.mu held.
func (m *Modem) kick() {
	if m.port == nil {
		return
	}
	select {
	case m.port.kick <- struct{}{}:
	default:
	}
}

// Hang makes the modem stop answering: input is read and dropped and
// nothing is printed until Resume.
func (m *Modem) Hang() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hung = true
}

// Resume ends Hang; URCs held meanwhile are printed.
func (m *Modem) Resume() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hung = false
	m.kick()
}

// Deliver makes the network deliver an SMS from a number (or alphanumeric
// sender) to this modem, split into SMS-DELIVER parts as needed. The parts
// reach the TE per +CNMI, or wait in the network while the modem is
// unplugged, hung, unregistered or its storage full. It returns the PDUs
// (hex with SMSC prefix) in delivery order.
func (m *Modem) Deliver(from, text string, opts DeliverOptions) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	smscStr := opts.SMSC
	if smscStr == "" {
		smscStr = m.smsc
	}
	smsc, err := smscPrefix(smscStr)
	if err != nil {
		return nil, err
	}
	ref := opts.ConcatRef
	if ref == 0 {
		m.concatRef++
		limit := 255
		if opts.Ref16 {
			limit = 65535
		}
		ref = (m.concatRef-1)%limit + 1
	}
	parts, err := buildDeliver(from, text, ref, smsc, opts, time.Now())
	if err != nil {
		return nil, err
	}
	if opts.DropPart > 0 && opts.DropPart <= len(parts) && len(parts) > 1 {
		parts = slices.Delete(parts, opts.DropPart-1, opts.DropPart)
	}
	if opts.Shuffle {
		m.rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		m.queueMT(p)
		out = append(out, p.hex)
	}
	m.kick()
	return out, nil
}

// DeliverPDU makes the network deliver a raw PDU: hex as +CMT prints it,
// starting with the SMSC address ("00" for none). The TPDU is not checked,
// so that drivers can be fed malformed PDUs; an SMS-STATUS-REPORT is
// routed as one.
func (m *Modem) DeliverPDU(hexPDU string) error {
	p, err := parseMTPDU(hexPDU)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.queueMT(p)
	m.kick()
	return nil
}

// queueMT hands a PDU to the network. Called with m.mu held.
func (m *Modem) queueMT(p mtPDU) {
	m.nextID++
	m.network = append(m.network, &mtItem{id: m.nextID, pdu: p})
}

// Inject writes raw bytes on the line as they are, at once (even inside a
// command's answer or while hung): to replay recorded real-modem output.
func (m *Modem) Inject(raw string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.port == nil {
		return ErrUnplugged
	}
	m.injects = append(m.injects, raw...)
	m.kick()
	return nil
}

// Script makes the next command starting with prefix ("+CMGL", "AT+CMGR=3")
// answer raw instead of its real answer; raw goes out as is after the echo,
// so it must carry its own "\r\nOK\r\n". Scripts queue up in order.
func (m *Modem) Script(prefix, raw string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scripts = append(m.scripts, script{prefix: normalizeCommandName(prefix), raw: raw})
}

// Ring starts an incoming call from number: RING, then +CLIP when enabled
// (TS 27.007 §7.6), every RingInterval until ATH/AT+CHUP, or RingCount
// rings after which the caller gives up (NO CARRIER).
func (m *Modem) Ring(number string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return ErrClosed
	case m.port == nil:
		return ErrUnplugged
	case m.call != nil:
		return ErrBusy
	case !m.registered():
		return ErrNoNetwork
	}
	toa := 129
	if strings.HasPrefix(number, "+") {
		toa = 145
	}
	c := &call{number: number, toa: toa}
	m.call = c
	m.ring(c)
	m.kick()
	return nil
}

// ring emits one RING of call c, or ends the call when the caller gives up.
// Called with m.mu held.
func (m *Modem) ring(c *call) {
	if m.call != c || c.answered {
		return
	}
	if c.rings >= m.cfg.RingCount {
		m.call = nil
		m.addURC(urc{lines: []string{"NO CARRIER"}})
		return
	}
	c.rings++
	m.stats.Rings++
	lines := []string{"RING"}
	if m.set.clip {
		lines = append(lines, fmt.Sprintf("+CLIP: %q,%d,,,,0", c.number, c.toa))
	}
	for _, l := range lines {
		m.addURC(urc{lines: []string{l}})
	}
	c.timer = time.AfterFunc(m.cfg.RingInterval, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		m.ring(c)
		m.kick()
	})
}

// SetLatency sets the delay applied to every command's answer.
func (m *Modem) SetLatency(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latency = max(d, 0)
}

// SetCommandLatency sets the extra delay of one command ("+CMGS", "cmgs");
// zero removes it.
func (m *Modem) SetCommandLatency(command string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name := normalizeCommandName(command)
	if d <= 0 {
		delete(m.cmdLat, name)
		return
	}
	m.cmdLat[name] = d
}

// FailNext makes the next n commands starting with prefix ("+CMGS")
// answer the error line response ("+CMS ERROR: 500") instead. For +CMGS
// the prompt and PDU exchange happen first, as when the network refuses.
func (m *Modem) FailNext(prefix string, n int, response string) {
	if n <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, &fault{prefix: normalizeCommandName(prefix), count: n, response: response})
}

// FailRate makes commands starting with prefix answer response with
// probability p (0..1) until ClearFaults.
func (m *Modem) FailRate(prefix string, p float64, response string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, &fault{prefix: normalizeCommandName(prefix), count: -1, rate: p, response: response})
}

// ClearFaults removes every injected error.
func (m *Modem) ClearFaults() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = nil
}

// SetNoise replaces the noise configuration; a new Interval takes effect
// at once.
func (m *Modem) SetNoise(n Noise) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n.Lines == nil {
		n.Lines = defaultNoiseLines
	}
	restart := m.noise.Interval != n.Interval
	m.noise = n
	if restart {
		m.noiseGen++
		m.scheduleNoise(m.noiseGen)
	}
}

// EmitNoise prints n noise lines now (when the line is free).
func (m *Modem) EmitNoise(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		if l, ok := m.noiseLine(""); ok {
			m.addURC(urc{lines: []string{l}})
		}
	}
	m.kick()
}

// SetSignal sets the +CSQ <rssi> (0..31, 99 unknown).
func (m *Modem) SetSignal(rssi int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rssi = rssi
}

// SetRegistration forces the +CREG <stat> (0 not registered, 1 home,
// 2 searching, 3 denied, 5 roaming); MT delivery needs 1 or 5.
func (m *Modem) SetRegistration(stat int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setReg(stat)
	m.kick()
}

// SetUSSD sets the network's answer to a USSD string.
func (m *Modem) SetUSSD(code, answer string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Config.USSD belongs to the caller: copy before writing.
	u := maps.Clone(m.ussd)
	if u == nil {
		u = map[string]string{}
	}
	u[code] = answer
	m.ussd = u
}

// SetStatusReports switches network status reports on or off and sets their
// delay and TP-ST.
func (m *Modem) SetStatusReports(on bool, delay time.Duration, st byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.StatusReports = on
	m.cfg.StatusReportDelay = max(delay, 0)
	m.stReport = st
}

// Submitted returns a copy of the accepted SMS-SUBMITs, oldest first: the
// last Config.MaxSubmitted at most (the oldest tenth is dropped when full).
func (m *Modem) Submitted() []Submitted {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.submitted)
}

// Sent returns how many SMS-SUBMITs were accepted since New.
func (m *Modem) Sent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent
}

// Stats returns the counters.
func (m *Modem) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Pending = len(m.network)
	if m.outstanding != nil {
		s.Pending++
	}
	s.StoredSIM = m.sm.used()
	s.Plugged = m.port != nil
	s.Hung = m.hung
	return s
}

// Stored is one message in the modem's storage.
type Stored struct {
	Memory string // "SM" or "ME"
	Index  int    // as AT commands number it
	Stat   int    // TS 27.005 <stat>: 0 unread, 1 read, 2 unsent, 3 sent
	PDU    string // hex with SMSC prefix
}

// Storage lists the messages stored in "SM" then "ME".
func (m *Modem) Storage() []Stored {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Stored
	for _, s := range []*store{m.sm, m.me} {
		view{name: s.name, stores: []*store{s}}.each(func(i int, sl *slot) {
			out = append(out, Stored{Memory: s.name, Index: i + m.indexBase(), Stat: sl.stat, PDU: sl.pdu})
		})
	}
	return out
}

func (m *Modem) indexBase() int {
	if m.cfg.ZeroBasedIndex {
		return 0
	}
	return 1
}
