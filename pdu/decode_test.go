package pdu

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

func TestDecodeHexTolerance(t *testing.T) {
	const pdu = "0001000B914316565811F9000004E8373B0C" // "hola" to +34616585119
	for _, s := range []string{
		pdu,
		"0001000b914316565811f9000004e8373b0c",
		` "` + pdu + `" `,
		pdu + "\r\n",
		pdu + "FFFFFFFF",
	} {
		m, err := DecodeHex(s, true)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if m.Text != "hola" || m.Address != "+34616585119" || m.SMSC != "" {
			t.Errorf("%q: %+v", s, m)
		}
	}
	m, _ := DecodeHex(pdu+"FFFF", true)
	if m.Trailing != 2 {
		t.Errorf("Trailing = %d, want 2", m.Trailing)
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name, hex string
		withSMSC  bool
	}{
		{"empty", "", false},
		{"odd hex", "0001000", true},
		{"not hex", "00zz", true},
		{"SMSC longer than PDU", "0791", true},
		{"SMSC length 12", "0C91" + "00000000000000000000", true},
		{"reserved MTI", "03", false},
		{"address over 20 digits", "0415910000000000000000000000", false},
		{"UDL over 160 septets", "0001000B914316565811F90000A1" + "00", true},
		{"8-bit UDL over 140", "0001000B914316565811F900048D" + "00", true},
		{"UDHL beyond UDL", "0041000B914316565811F90000020500", true},
		{"IE beyond UDHL", "0041000B914316565811F90004040300050000", true},
		{"odd UCS-2", "0001000B914316565811F9000803004142", true},
		{"header longer than 7-bit UDL", "0041000B914316565811F9000006050003010201", true},
		{"bad SCTS", "040B914316565811F90000" + "21AA0101000000" + "00", false},
		{"February 30", "040B914316565811F90000" + "21200301000000" + "00", false},
		{"TOA without bit 7", "0001000B114316565811F9000004E8373B0C", true},
		{"status report cut in TP-DT", "0006D60B911326880736F41110117195514011101171", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeHex(tt.hex, tt.withSMSC)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %+v, %v; want ErrMalformed", m, err)
			}
			t.Log(err)
		})
	}
}

// TestDecodePrefixes decodes every prefix of every vector: truncation must
// give an error (or, when the cut falls in trailing octets or in an optional
// status-report tail, a message), never a panic.
func TestDecodePrefixes(t *testing.T) {
	f := loadVectors(t)
	for _, v := range f.Vectors {
		raw, err := hex.DecodeString(v.PDU)
		if err != nil {
			t.Fatal(err)
		}
		for n := range raw {
			if _, err := Decode(raw[:n], v.WithSMSC); err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s[:%d]: %v", v.ID, n, err)
			}
		}
	}
}

func TestDecodeCompressed(t *testing.T) {
	m, err := DecodeHex("0001000B914316565811F90020020000", true)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %+v, %v; want ErrUnsupported", m, err)
	}
}

func TestStatusCategory(t *testing.T) {
	tests := []struct {
		st   byte
		want StatusClass
	}{
		{0x00, StatusDelivered}, {0x02, StatusDelivered}, {0x1F, StatusDelivered},
		{0x20, StatusPending}, {0x30, StatusPending}, {0x3F, StatusPending},
		{0x40, StatusFailed}, {0x46, StatusFailed}, {0x5F, StatusFailed},
		{0x60, StatusFailedNoMore}, {0x7F, StatusFailedNoMore},
		{0x80, StatusFailed}, {0xFF, StatusFailed},
	}
	for _, tt := range tests {
		if got := StatusCategory(tt.st); got != tt.want {
			t.Errorf("StatusCategory(0x%02X) = %s, want %s", tt.st, got, tt.want)
		}
	}
}

func TestDecodeStatusReportFields(t *testing.T) {
	// sl-sr-delivered-nl: empty SMSC, MR 214, recipient +31628870634.
	m, err := DecodeHex("0006D60B911326880736F4111011719551401110117195714000", true)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2011, 1, 11, 17, 59, 17, 0, time.FixedZone("", 3600))
	if m.Type != StatusReport || m.MR != 214 || m.Address != "+31628870634" || m.Status != 0 || !m.Discharge.Equal(want) {
		t.Errorf("got %+v", m)
	}
	if _, off := m.Discharge.Zone(); off != 3600 {
		t.Errorf("discharge zone offset %d, want 3600", off)
	}
}
