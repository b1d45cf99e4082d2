package sim

import "testing"

func TestIdentityFor(t *testing.T) {
	if IdentityFor(0) != DefaultIdentity {
		t.Error("IdentityFor(0) differs from DefaultIdentity")
	}
	if got := withLuhn(DefaultIdentity.IMEI[:14]); got != DefaultIdentity.IMEI {
		t.Errorf("Luhn of the default IMEI: %s, want %s", got, DefaultIdentity.IMEI)
	}
	seen := map[string]bool{}
	for i := range 8 {
		id := IdentityFor(i)
		if len(id.IMEI) != 15 || len(id.IMSI) != 15 || len(id.ICCID) != 20 {
			t.Errorf("modem %d: IMEI %q IMSI %q ICCID %q have wrong lengths", i, id.IMEI, id.IMSI, id.ICCID)
		}
		for _, v := range []string{id.IMEI, id.IMSI, id.ICCID} {
			if seen[v] {
				t.Errorf("modem %d: %s reused", i, v)
			}
			seen[v] = true
		}
	}
	if IdentityFor(1).OperatorNumeric == IdentityFor(2).OperatorNumeric {
		t.Error("successive modems share an operator")
	}
}
