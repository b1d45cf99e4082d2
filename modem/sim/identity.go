package sim

import "fmt"

// operators are the French networks given to successive virtual modems, so
// that a demo or a test with several modems shows several operators (and
// least-cost routing has something to choose from).
var operators = []struct{ long, short, numeric, smsc string }{
	{"Orange F", "Orange", "20801", "+33689004000"},
	{"SFR", "SFR", "20810", "+33609001390"},
	{"Bouygues Telecom", "BYTEL", "20820", "+33660003000"},
	{"Free", "Free", "20815", "+33695000695"},
}

// IdentityFor returns the identity of the i-th virtual modem of a set: its
// own IMEI, IMSI and ICCID (with valid Luhn check digits where the formats
// have one) and an operator taken in turn from the four French networks.
// IdentityFor(0) is DefaultIdentity.
func IdentityFor(i int) Identity {
	if i <= 0 {
		return DefaultIdentity
	}
	op := operators[i%len(operators)]
	id := DefaultIdentity
	id.IMEI = withLuhn(fmt.Sprintf("%s%06d", DefaultIdentity.IMEI[:8], 643800+i))
	id.IMSI = fmt.Sprintf("%s%010d", op.numeric, 1234567890+i)
	id.ICCID = withLuhn(fmt.Sprintf("%s%09d", DefaultIdentity.ICCID[:10], 123456789+i))
	id.Operator, id.OperatorShort, id.OperatorNumeric, id.SMSC = op.long, op.short, op.numeric, op.smsc
	return id
}

// withLuhn appends the Luhn check digit to the decimal string s.
func withLuhn(s string) string {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return fmt.Sprintf("%s%d", s, (10-sum%10)%10)
}
