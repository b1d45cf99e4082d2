package sim

import (
	"log/slog"
	"time"
)

// Defaults applied by New to the zero fields of Config. They describe a
// French prepaid SIM in a Huawei-like USB stick, which is what the demo mode
// shows and what the driver's tests expect unless they say otherwise.
const (
	// DefaultSIMCapacity is the number of SMS slots on the SIM ("SM"); 30 is
	// common on real prepaid SIMs, small enough for tests to fill it.
	DefaultSIMCapacity = 30
	// DefaultAckTimeout is how long the "network" waits for +CNMA after a
	// +CMT or +CDS (with +CSMS=1) before it considers the delivery failed
	// (TS 24.011 TR2M is 35-45 s on real networks; tests want it shorter).
	DefaultAckTimeout = 5 * time.Second
	// DefaultRedeliveryDelay is how long the network waits before it retries
	// an MT message that was not acknowledged.
	DefaultRedeliveryDelay = time.Second
	// DefaultRingInterval is the period of RING for an incoming call
	// (real modems repeat it every 4-6 s).
	DefaultRingInterval = 5 * time.Second
	// DefaultRingCount is how many RINGs a caller lets go before giving up.
	DefaultRingCount = 6
	// DefaultRSSI is the +CSQ <rssi> (20 = -73 dBm, a good signal).
	DefaultRSSI = 20
	// DefaultMaxSubmitted bounds the record of submitted PDUs so that a long
	// demo run does not grow without limit; Sent keeps counting.
	DefaultMaxSubmitted = 10000
	// DefaultUSSDCode and DefaultUSSDAnswer form the default USSD table: the
	// balance enquiry of a French prepaid SIM.
	DefaultUSSDCode   = "*123#"
	DefaultUSSDAnswer = "Votre solde est de 5,00 EUR"
	// maxLine bounds a command line; V.250 only requires 40 characters, real
	// modems accept a few hundred. Longer lines are answered with ERROR.
	maxLine = 4096
	// maxPromptInput bounds the text typed after the "> " prompt: a 176-octet
	// PDU with its SMSC prefix is under 400 hex digits.
	maxPromptInput = 1024
	// maxURCs bounds the unsolicited result codes buffered in the TA while
	// the line is busy, hung or +CNMI <mode> is 0.
	maxURCs = 1000
	// rebootPause is how long a modem rebooting on +CFUN=1,1 stays on the
	// line after its OK, so that the driver reads the OK.
	rebootPause = 100 * time.Millisecond
)

// DefaultIdentity is the identity reported when Config.Identity leaves a
// field empty. The IMEI and ICCID have valid Luhn check digits, the IMSI and
// operator are those of Orange France (MCC 208, MNC 01).
var DefaultIdentity = Identity{
	Manufacturer:    "huawei",
	Model:           "E3372",
	Revision:        "22.315.01.00.00",
	IMEI:            "356938035643809",
	IMSI:            "208011234567890",
	ICCID:           "89330112345678901231",
	SMSC:            "+33689004000",
	Operator:        "Orange F",
	OperatorShort:   "Orange",
	OperatorNumeric: "20801",
}

// Identity is what the modem reports about itself, its SIM and its network
// (TS 27.007 §5 and §7).
type Identity struct {
	Manufacturer    string // +CGMI
	Model           string // +CGMM
	Revision        string // +CGMR
	IMEI            string // +CGSN
	IMSI            string // +CIMI
	ICCID           string // +CCID, ^ICCID
	OwnNumber       string // +CNUM; empty gives an empty list, as most SIMs do
	SMSC            string // +CSCA, international format
	Operator        string // +COPS long alphanumeric name
	OperatorShort   string // +COPS short alphanumeric name
	OperatorNumeric string // +COPS numeric MCC+MNC
}

// Noise describes the unsolicited junk a real modem prints (Huawei sticks
// are the worst): ^RSSI, ^BOOT, ^MODE, RDY, +CREG, empty lines.
type Noise struct {
	// Interval emits one noise line every Interval while the line is idle;
	// zero disables it.
	Interval time.Duration
	// InAnswers is the probability (0..1) of a noise line between two lines
	// of a command's answer, as Huawei sticks do.
	InAnswers float64
	// SplitPDU is the probability (0..1) that a PDU line is cut in two by a
	// noise line ("<first half>\r\n^BOOT:...\r\n<second half>").
	SplitPDU float64
	// Lines replaces the default noise lines when not nil.
	Lines []string
}

// defaultNoiseLines are taken from real captures (see testdata/transcripts.json).
var defaultNoiseLines = []string{
	"^RSSI:14",
	"^BOOT:37478870,0,0,0,77",
	"^MODE:5,4",
	"RDY",
	"+CREG: 1",
	"",
}

// Config configures a virtual modem. The zero value is a usable modem with
// the defaults above.
type Config struct {
	// Link, when set, is a symbolic link kept pointing at the current pty
	// slave (like /dev/serial/by-id/usb-Sim_Modem_0-if00), so that a driver
	// reopens the same name after Unplug/Replug. Its directory is created.
	Link string
	// Logger receives debug traces and anomalies; nil discards them.
	Logger *slog.Logger
	// Identity overrides DefaultIdentity field by field.
	Identity Identity
	// PIN, when set, locks the SIM at every power-on until AT+CPIN=<PIN>.
	PIN string
	// PUK unblocks the SIM after three wrong PINs (AT+CPIN=<PUK>,<newpin>).
	PUK string
	// SIMCapacity is the number of "SM" slots (DefaultSIMCapacity when 0).
	SIMCapacity int
	// MECapacity is the number of "ME" (phone memory) slots; 0 means the
	// modem has no ME storage, like most USB sticks.
	MECapacity int
	// ZeroBasedIndex numbers storage slots from 0, as Huawei firmware does,
	// instead of from 1.
	ZeroBasedIndex bool
	// RSSI is the +CSQ signal (0..31, 99 unknown); DefaultRSSI when 0.
	RSSI int
	// RegistrationDelay keeps the modem searching (+CREG stat 2) for that
	// long after each power-on before it registers (stat 1).
	RegistrationDelay time.Duration
	// BootLines are printed at each power-on; nil means {"RDY"}, an empty
	// non-nil slice prints nothing.
	BootLines []string
	// Latency delays the answer of every command (after the echo). Zero
	// means no delay at all: no timer, no sleep.
	Latency time.Duration
	// CommandLatency adds a delay per command name ("+CMGS", "+CMGL", "D");
	// for +CMGS it applies after the PDU, as the network round trip does.
	CommandLatency map[string]time.Duration
	// StatusReports makes the network answer every SMS-SUBMIT that asked for
	// one (TP-SRR) with an SMS-STATUS-REPORT.
	StatusReports bool
	// StatusReportDelay is how long after the submit the report comes.
	StatusReportDelay time.Duration
	// StatusReportST is the TP-Status of the reports (TS 23.040 §9.2.3.15);
	// 0 means "received by the SME" (delivered).
	StatusReportST byte
	// AckTimeout is how long an unacknowledged +CMT/+CDS (with +CSMS=1)
	// waits before the network redelivers it; DefaultAckTimeout when 0.
	AckTimeout time.Duration
	// RedeliveryDelay is the wait before a failed MT delivery is retried;
	// DefaultRedeliveryDelay when 0.
	RedeliveryDelay time.Duration
	// RingInterval and RingCount shape incoming calls (Ring).
	RingInterval time.Duration
	RingCount    int
	// USSD maps a USSD string to the network's answer; nil means
	// {DefaultUSSDCode: DefaultUSSDAnswer}.
	USSD map[string]string
	// Noise configures unsolicited junk lines.
	Noise Noise
	// MaxSubmitted bounds the record kept by Submitted; DefaultMaxSubmitted
	// when 0.
	MaxSubmitted int
	// Seed makes noise, error rates and part shuffling reproducible.
	Seed uint64
}

// withDefaults returns cfg with its zero fields replaced by the defaults.
func (cfg Config) withDefaults() Config {
	id, def := &cfg.Identity, DefaultIdentity
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&id.Manufacturer, def.Manufacturer}, {&id.Model, def.Model},
		{&id.Revision, def.Revision}, {&id.IMEI, def.IMEI}, {&id.IMSI, def.IMSI},
		{&id.ICCID, def.ICCID}, {&id.SMSC, def.SMSC}, {&id.Operator, def.Operator},
		{&id.OperatorShort, def.OperatorShort}, {&id.OperatorNumeric, def.OperatorNumeric},
	} {
		if *f.dst == "" {
			*f.dst = f.src
		}
	}
	if cfg.SIMCapacity <= 0 {
		cfg.SIMCapacity = DefaultSIMCapacity
	}
	if cfg.MECapacity < 0 {
		cfg.MECapacity = 0
	}
	if cfg.RSSI <= 0 {
		cfg.RSSI = DefaultRSSI
	}
	if cfg.BootLines == nil {
		cfg.BootLines = []string{"RDY"}
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = DefaultRedeliveryDelay
	}
	if cfg.RingInterval <= 0 {
		cfg.RingInterval = DefaultRingInterval
	}
	if cfg.RingCount <= 0 {
		cfg.RingCount = DefaultRingCount
	}
	if cfg.USSD == nil {
		cfg.USSD = map[string]string{DefaultUSSDCode: DefaultUSSDAnswer}
	}
	if cfg.Noise.Lines == nil {
		cfg.Noise.Lines = defaultNoiseLines
	}
	if cfg.MaxSubmitted <= 0 {
		cfg.MaxSubmitted = DefaultMaxSubmitted
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	lat := make(map[string]time.Duration, len(cfg.CommandLatency))
	for k, v := range cfg.CommandLatency {
		lat[normalizeCommandName(k)] = v
	}
	cfg.CommandLatency = lat
	return cfg
}
