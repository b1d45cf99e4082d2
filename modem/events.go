package modem

import (
	"context"
	"errors"
	"time"
)

// InboundKind tells what an Inbound PDU is.
type InboundKind int

const (
	// InboundSMS is an SMS-DELIVER (3GPP TS 23.040 9.2.2.1).
	InboundSMS InboundKind = iota
	// InboundStatusReport is an SMS-STATUS-REPORT (3GPP TS 23.040 9.2.2.3).
	InboundStatusReport
)

func (k InboundKind) String() string {
	if k == InboundStatusReport {
		return "status-report"
	}
	return "sms"
}

// Inbound is one PDU received by a modem, handed to the Handler before the
// modem acknowledges it (+CNMA) or deletes it from storage (+CMGD).
type Inbound struct {
	Modem string      // ID of the modem that received it
	Kind  InboundKind // SMS or status report
	// PDU is the PDU as the modem printed it, SMSC field included
	// (3GPP TS 27.005 3.3.2).
	PDU []byte
	// Storage and Index locate the PDU in modem storage; Index is -1 for
	// a PDU pushed with +CMT / +CDS.
	Storage string
	Index   int
	// Received is the time the driver read the PDU from the modem.
	Received time.Time
}

// Call is an incoming call (RING / +CLIP, 3GPP TS 27.007 7.6).
type Call struct {
	Modem  string
	Number string // "" when withheld
	At     time.Time
}

// Handler receives what the modems report. Its methods may be called from
// several modem workers at once and must be safe for concurrent use.
type Handler interface {
	// Inbound must commit the PDU durably and return nil only then: the
	// modem worker acknowledges or deletes the PDU after a nil return, and
	// leaves it on the modem (to be read again later) otherwise (SPEC M5).
	Inbound(ctx context.Context, in Inbound) error
	// Call records an incoming call (SPEC M7).
	Call(ctx context.Context, c Call)
	// State reports a change of a modem's status (SPEC M3, M8).
	State(s Status)
}

// State is the life-cycle state of one modem.
type State string

const (
	StateOpening     State = "opening"     // port being opened and initialised
	StateWaitingSIM  State = "waiting-sim" // +CPIN not READY yet
	StateRegistering State = "registering" // waiting for network registration
	StateReady       State = "ready"       // registered, sending and receiving
	StateDown        State = "down"        // unplugged or not answering; being reopened
	StateStopped     State = "stopped"     // shut down
)

// Status is a snapshot of one modem, for the UI, the API and the CLI.
type Status struct {
	ID           string // stable id: the configured path (e.g. /dev/serial/by-id/...)
	Port         string // the tty actually open
	State        State
	LastError    string
	Manufacturer string
	Model        string
	Firmware     string
	IMEI         string
	IMSI         string
	ICCID        string
	Operator     string // alphanumeric name when the modem gives one
	OperatorCode string // MCC+MNC, e.g. "20801"
	Signal       int    // +CSQ rssi 0-31, 99 unknown
	SignalDBm    int    // 0 when unknown
	Registration int    // +CREG stat (1 home, 5 roaming)
	Sent         int64  // parts sent since start
	Received     int64  // PDUs received since start
	Errors       int64  // failed sends since start
	Since        time.Time
	Updated      time.Time
}

// Ready reports whether the modem can send now.
func (s Status) Ready() bool { return s.State == StateReady }

var (
	// ErrDown is returned by Send when the modem is not ready (unplugged,
	// not answering, not registered). The part was not handed to the modem:
	// it may be sent through another modem.
	ErrDown = errors.New("modem: down")
	// ErrUnknownModem is returned by Pool.Send for an ID the pool does not hold.
	ErrUnknownModem = errors.New("modem: unknown modem")
	// ErrTimeout is returned by Send when the modem did not answer +CMGS in
	// time, or went away during it. The part MAY have been sent: callers
	// must not resend it blindly.
	ErrTimeout = errors.New("modem: timeout")
)
