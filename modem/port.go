package modem

import (
	"fmt"
	"io"

	"go.bug.st/serial"
)

// DefaultBaudRate is the line speed used when the configuration names none.
// USB modems ignore it; real UARTs (SIM800 on a board header) need it.
const DefaultBaudRate = 115200

// openPort opens a serial port for AT use.
//
// The read timeout is left unset (serial.NoTimeout): with a timeout,
// go.bug.st/serial returns (0, nil) and the AT layer's bufio.Scanner gives
// up after 100 empty reads, closing the session. Closing the port is what
// stops a session.
func openPort(path string, baud int) (io.ReadWriteCloser, error) {
	if baud <= 0 {
		baud = DefaultBaudRate
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("modem: open %s: %w", path, err)
	}
	return p, nil
}
