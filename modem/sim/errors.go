package sim

import "strconv"

// cmeText is the verbose form of +CME ERROR codes (TS 27.007 §9.2).
var cmeText = map[int]string{
	0:   "phone failure",
	3:   "operation not allowed",
	4:   "operation not supported",
	10:  "SIM not inserted",
	11:  "SIM PIN required",
	12:  "SIM PUK required",
	13:  "SIM failure",
	16:  "incorrect password",
	21:  "invalid index",
	22:  "not found",
	30:  "no network service",
	31:  "network timeout",
	50:  "incorrect parameters",
	100: "unknown",
}

// cmsText is the verbose form of +CMS ERROR codes (TS 27.005 §3.2.5; values
// below 256 are TS 24.011 RP causes and TS 23.040 TP-FCS values).
var cmsText = map[int]string{
	1:   "unassigned (unallocated) number",
	8:   "operator determined barring",
	21:  "short message transfer rejected",
	27:  "destination out of service",
	38:  "network out of order",
	41:  "temporary failure",
	42:  "congestion",
	47:  "resources unavailable, unspecified",
	300: "ME failure",
	301: "SMS service of ME reserved",
	302: "operation not allowed",
	303: "operation not supported",
	304: "invalid PDU mode parameter",
	305: "invalid text mode parameter",
	310: "SIM not inserted",
	311: "SIM PIN required",
	316: "SIM PUK required",
	320: "memory failure",
	321: "invalid memory index",
	322: "memory full",
	330: "SMSC address unknown",
	331: "no network service",
	332: "network timeout",
	340: "no +CNMA acknowledgement expected",
	500: "unknown error",
}

// cmeError formats a +CME ERROR per +CMEE: plain ERROR, numeric or verbose.
func (m *Modem) cmeError(code int) string {
	switch m.set.cmee {
	case 1:
		return "+CME ERROR: " + strconv.Itoa(code)
	case 2:
		if t, ok := cmeText[code]; ok {
			return "+CME ERROR: " + t
		}
		return "+CME ERROR: " + strconv.Itoa(code)
	default:
		return "ERROR"
	}
}

// cmsError formats a +CMS ERROR. TS 27.005 §3.2.5 gives it whatever +CMEE
// says (only the numeric/verbose choice follows +CMEE=2), as real modems do.
func (m *Modem) cmsError(code int) string {
	if m.set.cmee == 2 {
		if t, ok := cmsText[code]; ok {
			return "+CMS ERROR: " + t
		}
	}
	return "+CMS ERROR: " + strconv.Itoa(code)
}
