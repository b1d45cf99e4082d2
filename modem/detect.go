package modem

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/warthog618/modem/at"
)

// ByIDDir holds the stable names udev gives USB serial ports.
const ByIDDir = "/dev/serial/by-id"

// DefaultProbeTimeout bounds each probe command: a port that is not an AT
// port (USB modems also expose diagnostic and data ports) never answers.
const DefaultProbeTimeout = 1500 * time.Millisecond

// Candidates lists the serial ports that may be modems: every stable name in
// /dev/serial/by-id, then the /dev/ttyUSB* and /dev/ttyACM* that no stable
// name points to (SPEC M1, M12). Stable names come first so that they are
// the ones kept as modem IDs.
func Candidates() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	byID, err := filepath.Glob(filepath.Join(ByIDDir, "*"))
	if err != nil {
		return nil, fmt.Errorf("modem: list %s: %w", ByIDDir, err)
	}
	sort.Strings(byID)
	for _, p := range byID {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			seen[real] = true
			out = append(out, p)
		}
	}
	for _, pattern := range []string{"/dev/ttyUSB*", "/dev/ttyACM*"} {
		ttys, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("modem: list %s: %w", pattern, err)
		}
		sort.Strings(ttys)
		for _, t := range ttys {
			if !seen[t] {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// ProbeResult is what probing one port found.
type ProbeResult struct {
	Path string
	// Indications is true when the port accepts +CNMI, i.e. it is a port
	// that can deliver new-message indications (Huawei sticks answer AT on
	// their data port too, but send URCs only to the PCUI port).
	Indications bool
	Status      Status
}

// Probe opens path, checks that it answers AT and reads the modem's
// identity, signal and operator without changing its settings beyond echo.
func Probe(ctx context.Context, path string, timeout time.Duration) (ProbeResult, error) {
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	res := ProbeResult{Path: path, Status: Status{ID: path, Port: path, Signal: 99, State: StateDown}}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		res.Status.Port = real
	}
	port, err := openPort(path, 0)
	if err != nil {
		return res, err
	}
	defer port.Close()
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	a := at.New(port, at.WithTimeout(timeout))
	if err := a.Init(at.WithCmds("E0")); err != nil {
		return res, fmt.Errorf("modem: %s does not answer AT: %w", path, err)
	}
	get := func(c string) []string {
		info, _ := a.Command(c)
		return info
	}
	st := &res.Status
	st.Manufacturer = ParseIdentity(get("+CGMI"), "+CGMI")
	st.Model = ParseIdentity(get("+CGMM"), "+CGMM")
	st.Firmware = ParseIdentity(get("+CGMR"), "+CGMR")
	st.IMEI = ParseIdentity(get("+CGSN"), "+CGSN")
	st.IMSI = ParseIdentity(get("+CIMI"), "+CIMI")
	st.ICCID = ParseIdentity(get("+CCID"), "+CCID")
	if rssi, _, err := ParseCSQ(get("+CSQ")); err == nil {
		st.Signal = rssi
		st.SignalDBm, _ = RSSIToDBm(rssi)
	}
	if op, err := ParseCOPS(get("+COPS?")); err == nil {
		st.Operator = op.Name
	}
	registered := false
	for _, l := range get("+CREG?") {
		if r, err := ParseCREG(l); err == nil {
			st.Registration, registered = r.Stat, r.Registered()
		}
	}
	_, err = a.Command("+CNMI=?")
	res.Indications = err == nil
	if registered {
		st.State = StateReady
	} else {
		st.State = StateRegistering
	}
	return res, nil
}

// Detect probes every candidate port and keeps one port per modem: ports
// are grouped by IMEI (one USB modem exposes several ttys), and within a
// group a port that accepts +CNMI is preferred, the last one of them when
// several do (the notification port is usually the highest interface).
func Detect(ctx context.Context, candidates []string, timeout time.Duration) ([]ProbeResult, error) {
	var found []ProbeResult
	var errs []error
	for _, c := range candidates {
		r, err := Probe(ctx, c, timeout)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		found = append(found, r)
	}
	best := map[string]int{}
	var out []ProbeResult
	for _, r := range found {
		key := r.Status.IMEI
		if key == "" {
			key = r.Path
		}
		i, seen := best[key]
		if !seen {
			best[key] = len(out)
			out = append(out, r)
			continue
		}
		if r.Indications || !out[i].Indications {
			out[i] = r
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
