package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUsage is wrapped by Control errors caused by a bad command line.
var ErrUsage = errors.New("sim: usage")

const controlHelp = `deliver <from> <text...>
deliver-pdu <hex>
ring <number>
unplug | replug
hang | resume
latency <duration> | latency <command> <duration>
error <command> <code> [<n>|<p>%] | error clear
noise [<n>] | noise every <duration> | noise off
inject <text>
signal <rssi>
creg <stat>
ussd <code> <answer...>
reports on [<delay>] [<st>] | reports off
submitted | messages | storage | status | help`

// smsCommands get +CMS ERROR codes from the error verb; others +CME ERROR.
var smsCommands = []string{"+CMGS", "+CMGW", "+CMGL", "+CMGR", "+CMGD", "+CNMA", "+CNMI", "+CPMS", "+CSMS", "+CSCA", "+CMGF", "+CMSS"}

// Control runs one text command of the control interface (see the package
// documentation for the verbs) and returns its human-readable output.
func (m *Modem) Control(line string) (string, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", fmt.Errorf("%w: empty command", ErrUsage)
	}
	verb, args := strings.ToLower(fields[0]), fields[1:]
	// rest is the text after the first n fields, spaces kept.
	rest := func(n int) string {
		s := strings.TrimSpace(line)
		for range n {
			s = strings.TrimLeft(s, " \t")
			if i := strings.IndexAny(s, " \t"); i >= 0 {
				s = s[i:]
			} else {
				return ""
			}
		}
		return strings.TrimLeft(s, " \t")
	}
	usage := func(u string) (string, error) { return "", fmt.Errorf("%w: %s", ErrUsage, u) }
	switch verb {
	case "help":
		return controlHelp, nil
	case "deliver":
		if len(args) < 2 {
			return usage("deliver <from> <text...>")
		}
		pdus, err := m.Deliver(args[0], rest(2), DeliverOptions{})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("queued %d part(s)", len(pdus)), nil
	case "deliver-pdu":
		if len(args) != 1 {
			return usage("deliver-pdu <hex>")
		}
		if err := m.DeliverPDU(args[0]); err != nil {
			return "", err
		}
		return "queued", nil
	case "ring":
		if len(args) != 1 {
			return usage("ring <number>")
		}
		return "ringing", m.Ring(args[0])
	case "unplug":
		return "unplugged", m.Unplug()
	case "replug":
		if err := m.Replug(); err != nil {
			return "", err
		}
		return "plugged at " + m.Path(), nil
	case "hang":
		m.Hang()
		return "hung", nil
	case "resume":
		m.Resume()
		return "resumed", nil
	case "latency":
		switch len(args) {
		case 1:
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 {
				return usage("latency <duration>")
			}
			m.SetLatency(d)
			return "latency " + d.String(), nil
		case 2:
			d, err := time.ParseDuration(args[1])
			if err != nil || d < 0 {
				return usage("latency <command> <duration>")
			}
			m.SetCommandLatency(args[0], d)
			return fmt.Sprintf("latency %s %s", normalizeCommandName(args[0]), d), nil
		}
		return usage("latency [<command>] <duration>")
	case "error":
		return m.controlError(args)
	case "noise":
		return m.controlNoise(args)
	case "inject":
		raw := rest(1)
		if raw == "" {
			return usage("inject <text>")
		}
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(raw, `"`, `\"`) + `"`); err == nil {
			raw = u
		}
		return fmt.Sprintf("injected %d byte(s)", len(raw)), m.Inject(raw)
	case "signal":
		n, err := intField(args, 0, 99)
		if err != nil {
			return usage("signal <rssi 0-31|99>")
		}
		m.SetSignal(n)
		return fmt.Sprintf("signal %d", n), nil
	case "creg":
		n, err := intField(args, 0, 5)
		if err != nil {
			return usage("creg <stat 0-5>")
		}
		m.SetRegistration(n)
		return fmt.Sprintf("creg %d", n), nil
	case "ussd":
		if len(args) < 2 {
			return usage("ussd <code> <answer...>")
		}
		m.SetUSSD(args[0], rest(2))
		return "ussd " + args[0], nil
	case "reports":
		return m.controlReports(args)
	case "submitted":
		return formatSubmitted(m.Submitted()), nil
	case "messages":
		return formatMessages(m.Messages()), nil
	case "storage":
		var b strings.Builder
		for _, s := range m.Storage() {
			fmt.Fprintf(&b, "%s %d stat=%d %s\n", s.Memory, s.Index, s.Stat, s.PDU)
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	case "status":
		return m.status(), nil
	}
	return usage(fmt.Sprintf("unknown verb %q (try help)", verb))
}

func intField(args []string, lo, hi int) (int, error) {
	if len(args) != 1 {
		return 0, ErrUsage
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < lo || n > hi {
		return 0, ErrUsage
	}
	return n, nil
}

// controlError handles "error <command> <code> [<n>|<p>%]" and "error clear".
func (m *Modem) controlError(args []string) (string, error) {
	const u = "error <command> <code|ERROR> [<n>|<p>%] | error clear"
	if len(args) == 1 && strings.EqualFold(args[0], "clear") {
		m.ClearFaults()
		return "errors cleared", nil
	}
	if len(args) < 2 || len(args) > 3 {
		return "", fmt.Errorf("%w: %s", ErrUsage, u)
	}
	name := normalizeCommandName(args[0])
	resp := "ERROR"
	if !strings.EqualFold(args[1], "ERROR") {
		code, err := strconv.Atoi(args[1])
		if err != nil || code < 0 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		resp = fmt.Sprintf("+CME ERROR: %d", code)
		for _, c := range smsCommands {
			if strings.HasPrefix(name, c) {
				resp = fmt.Sprintf("+CMS ERROR: %d", code)
			}
		}
	}
	if len(args) == 3 && strings.HasSuffix(args[2], "%") {
		p, err := strconv.ParseFloat(strings.TrimSuffix(args[2], "%"), 64)
		if err != nil || p < 0 || p > 100 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		m.FailRate(name, p/100, resp)
		return fmt.Sprintf("%s answers %q %g%% of the time", name, resp, p), nil
	}
	n := 1
	if len(args) == 3 {
		var err error
		if n, err = strconv.Atoi(args[2]); err != nil || n < 1 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
	}
	m.FailNext(name, n, resp)
	return fmt.Sprintf("next %d %s answer %q", n, name, resp), nil
}

// controlNoise handles "noise [<n>]", "noise every <duration>", "noise off".
func (m *Modem) controlNoise(args []string) (string, error) {
	const u = "noise [<n>] | noise every <duration> | noise off"
	switch {
	case len(args) == 0:
		m.EmitNoise(1)
		return "noise 1", nil
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
		m.mu.Lock()
		n := m.noise
		m.mu.Unlock()
		n.Interval = 0
		m.SetNoise(n)
		return "noise off", nil
	case len(args) == 2 && strings.EqualFold(args[0], "every"):
		d, err := time.ParseDuration(args[1])
		if err != nil || d <= 0 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		m.mu.Lock()
		n := m.noise
		m.mu.Unlock()
		n.Interval = d
		m.SetNoise(n)
		return "noise every " + d.String(), nil
	case len(args) == 1:
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 1000 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		m.EmitNoise(n)
		return fmt.Sprintf("noise %d", n), nil
	}
	return "", fmt.Errorf("%w: %s", ErrUsage, u)
}

// controlReports handles "reports on [<delay>] [<st>]" and "reports off".
func (m *Modem) controlReports(args []string) (string, error) {
	const u = "reports on [<delay>] [<st>] | reports off"
	if len(args) == 1 && strings.EqualFold(args[0], "off") {
		m.SetStatusReports(false, 0, 0)
		return "status reports off", nil
	}
	if len(args) < 1 || len(args) > 3 || !strings.EqualFold(args[0], "on") {
		return "", fmt.Errorf("%w: %s", ErrUsage, u)
	}
	var delay time.Duration
	st := 0
	if len(args) > 1 {
		d, err := time.ParseDuration(args[1])
		if err != nil || d < 0 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		delay = d
	}
	if len(args) > 2 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 0 || n > 255 {
			return "", fmt.Errorf("%w: %s", ErrUsage, u)
		}
		st = n
	}
	m.SetStatusReports(true, delay, byte(st))
	return fmt.Sprintf("status reports on, delay %s, st %d", delay, st), nil
}

func formatSubmitted(subs []Submitted) string {
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "%s mr=%d to=%s enc=%s", s.Time.Format(time.RFC3339), s.MR, s.Destination, s.Encoding)
		if s.ConcatRefBits != 0 {
			fmt.Fprintf(&b, " part=%d/%d ref=%d/%dbit", s.ConcatSeq, s.ConcatTotal, s.ConcatRef, s.ConcatRefBits)
		}
		if s.StatusReportRequested {
			b.WriteString(" srr")
		}
		if s.Class >= 0 {
			fmt.Fprintf(&b, " class=%d", s.Class)
		}
		fmt.Fprintf(&b, " text=%q\n", s.Text)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatMessages(msgs []Message) string {
	var b strings.Builder
	for _, msg := range msgs {
		state := "complete"
		if !msg.Complete {
			state = fmt.Sprintf("incomplete %d/%d", len(msg.Parts), msg.Total)
		}
		fmt.Fprintf(&b, "to=%s enc=%s parts=%d %s", msg.Destination, msg.Encoding, msg.Total, state)
		if msg.Duplicates > 0 {
			fmt.Fprintf(&b, " duplicates=%d", msg.Duplicates)
		}
		fmt.Fprintf(&b, " text=%q\n", msg.Text)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// status renders Stats and the line settings for humans.
func (m *Modem) status() string {
	s := m.Stats()
	m.mu.Lock()
	path := ""
	if m.port != nil {
		path = m.port.path
	}
	set, reg, rssi, lat := m.set, m.regStat, m.rssi, m.latency
	m.mu.Unlock()
	return fmt.Sprintf("plugged=%t path=%s hung=%t creg=%d csq=%d latency=%s echo=%t cnmi=%d,%d,%d,%d,%d csms=%d\n"+
		"commands=%d submitted=%d rejected=%d injected_errors=%d delivered=%d pending=%d redelivered=%d acks=%d "+
		"status_reports=%d rings=%d unplugs=%d sim_used=%d/%d",
		s.Plugged, path, s.Hung, reg, rssi, lat, set.echo, set.cnmi[0], set.cnmi[1], set.cnmi[2], set.cnmi[3], set.cnmi[4], set.csms,
		s.Commands, s.Submitted, s.Rejected, s.InjectedErrors, s.Delivered, s.Pending, s.Redelivered, s.Acks,
		s.StatusReports, s.Rings, s.Unplugs, s.StoredSIM, m.cfg.SIMCapacity)
}
