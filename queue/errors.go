package queue

import (
	"context"
	"errors"
	"fmt"

	"gsmbox/modem"
)

// errClass is what the dispatcher does after a failed Send.
type errClass int

const (
	// classTemporary: retry this destination after a backoff (SPEC Q12).
	classTemporary errClass = iota
	// classPermanent: the message fails for good (SPEC Q5).
	classPermanent
	// classModem: the sending SIM or modem is at fault (barred
	// subscription, SIM error, no network): pause that modem, let another
	// one send, no destination backoff.
	classModem
	// classUncertain: the part may have reached the network; it becomes
	// "unknown" and is never resent automatically (SPEC Q6).
	classUncertain
	// classDown: the part was not handed to the modem; send it later or
	// elsewhere, without counting an attempt against the destination.
	classDown
)

// verdict is the classification of one Send error.
type verdict struct {
	class     errClass
	badNumber bool // the destination does not exist (SPEC I8)
	reason    string
}

// cmsClass classifies +CMS ERROR codes (3GPP TS 27.005 §3.2.5):
//   - 0-127 are RP-Cause values of the RP-ERROR the network returned for
//     our SMS-SUBMIT (TS 24.011 §8.2.5.4, Table 8.4). Causes about the
//     destination (1 unassigned number) or the message itself are final;
//     causes about our own subscription (8 operator barring, 10 call
//     barred, 28 unidentified subscriber, 30 unknown subscriber, 50
//     facility not subscribed) blame the SIM, so another SIM may succeed;
//     network trouble (27, 38, 41, 42, 47) is temporary. TS 24.011
//     §8.2.5.4 says a mobile station treats any other value as 41
//     "temporary failure", and so do we.
//   - 128-255 are TP-FCS values of an SMS-SUBMIT-REPORT (TS 23.040
//     §9.2.3.22): PID/DCS/command/TPDU errors (0x80-0xB0) are final, 0xC0
//     SC busy and 0xC2 SC failure temporary, 0xC1 no SC subscription
//     blames the SIM, 0xC3 invalid SME address is a bad number, 0xC4
//     destination barred and 0xC6/0xC7 validity format final, 0xC5 "SM
//     rejected - duplicate SM" means the SC already holds this very
//     message from an earlier attempt: uncertain, never resent. 0xD0-0xD5
//     are SIM/MS errors; the rest (0xE0-0xFF) temporary.
//   - 300-500 are ME/network errors of TS 27.005 §3.2.5: 332 network
//     timeout means the submit may have reached the SMSC (uncertain); 304
//     and 305 invalid PDU/text parameters and 303 operation not supported
//     are final (the same bytes would fail again); SIM, memory, SMSC
//     address and network-service errors (300-331 except those) blame the
//     modem; 500 unknown error and 512+ manufacturer codes are commonly
//     transient and retried (bounded by Config.MaxAttempts).
func cmsClass(code int) (errClass, bool) {
	switch code {
	case 1:
		return classPermanent, true
	case 21, 29, 69, 95, 96, 97, 98, 99, 111, 127:
		return classPermanent, false
	case 8, 10, 28, 30, 50:
		return classModem, false
	case 22, 27, 38, 41, 42, 47, 81:
		return classTemporary, false
	case 0xC0, 0xC2, 0xFF:
		return classTemporary, false
	case 0xC1:
		return classModem, false
	case 0xC3:
		return classPermanent, true
	case 0xC4, 0xC6, 0xC7:
		return classPermanent, false
	case 0xC5:
		return classUncertain, false
	case 332:
		return classUncertain, false
	case 303, 304, 305:
		return classPermanent, false
	case 500:
		return classTemporary, false
	}
	switch {
	case code >= 0 && code < 128:
		return classTemporary, false // TS 24.011 §8.2.5.4: as cause 41
	case code >= 0x80 && code <= 0xB0:
		return classPermanent, false
	case code >= 0xD0 && code <= 0xDF:
		return classModem, false
	case code >= 300 && code <= 340:
		return classModem, false
	}
	return classTemporary, false
}

// classify decides what a Send error means for the part.
func classify(err error) verdict {
	var cms *modem.CMSError
	var cme *modem.CMEError
	switch {
	case err == nil:
		return verdict{}
	case errors.Is(err, modem.ErrDown), errors.Is(err, modem.ErrUnknownModem):
		return verdict{class: classDown, reason: err.Error()}
	case errors.Is(err, modem.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return verdict{class: classUncertain, reason: fmt.Sprintf("no answer to +CMGS: %v", err)}
	case errors.As(err, &cms):
		class, bad := cmsClass(cms.Code)
		return verdict{class: class, badNumber: bad, reason: cms.Error()}
	case errors.As(err, &cme):
		// +CME ERROR on a send is about the ME or SIM (TS 27.007 §9.2).
		return verdict{class: classModem, reason: cme.Error()}
	}
	return verdict{class: classTemporary, reason: err.Error()}
}
