package modem

import (
	"github.com/warthog618/modem/at"
)

// urcKind tells which unsolicited result code a urc carries.
type urcKind int

const (
	urcStored urcKind = iota // +CMTI / +CDSI: a PDU was stored (3GPP TS 27.005 3.4.1)
	urcPushed                // +CMT / +CDS: a PDU routed to us directly, to acknowledge with +CNMA
	urcRing                  // RING (3GPP TS 27.007 6.2 / V.250)
	urcCLIP                  // +CLIP: calling line identity (3GPP TS 27.007 7.6)
)

// urc is one unsolicited result code, with its trailing lines.
type urc struct {
	kind   urcKind
	status bool // for urcStored and urcPushed: a status report rather than an SMS
	lines  []string
}

// addIndications registers the URCs the worker handles on a. The at package
// runs every handler in a goroutine of its own, so handlers only hand the
// lines over to the worker, which processes them in its own goroutine.
// Handlers give up when done is closed, so none outlives its session.
func addIndications(a *at.AT, out chan<- urc, done <-chan struct{}) error {
	forward := func(kind urcKind, status bool) at.InfoHandler {
		return func(lines []string) {
			select {
			case out <- urc{kind: kind, status: status, lines: lines}:
			case <-done:
			}
		}
	}
	inds := []struct {
		prefix   string
		kind     urcKind
		status   bool
		trailing int
	}{
		{"+CMTI:", urcStored, false, 0},
		{"+CDSI:", urcStored, true, 0},
		{"+CMT:", urcPushed, false, 1},
		{"+CDS:", urcPushed, true, 1},
		{"RING", urcRing, false, 0},
		{"+CLIP:", urcCLIP, false, 0},
	}
	for _, ind := range inds {
		if err := a.AddIndication(ind.prefix, forward(ind.kind, ind.status), at.WithTrailingLines(ind.trailing)); err != nil {
			return err
		}
	}
	return nil
}
