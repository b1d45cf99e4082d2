package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// port is one pty pair: one "USB plug" of the modem. The loop goroutine owns
// the parser fields; the others are set once.
type port struct {
	gen    uint64
	master *os.File
	// slave stays open inside the sim so that the master does not read EIO
	// while no driver has the port open.
	slave *os.File
	path  string
	input chan []byte
	kick  chan struct{}
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	// Owned by the loop goroutine.
	line     []byte
	overflow bool
	afterCR  bool
	prompt   *prompt
	reboot   bool // +CFUN=1,1 asked for a power cycle after the answer
	out      []byte
	spare    []byte
}

// openPort creates a pty pair with the slave in raw mode and a master the Go
// poller can interrupt.
func openPort() (*port, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("sim: open pty: %w", err)
	}
	// Raw mode at once: without it the line discipline would echo what the
	// sim writes before the driver opens the port back into the sim, and
	// turn CR into LF.
	if err := makeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("sim: raw mode on %s: %w", slave.Name(), err)
	}
	// pty.Open leaves the master in blocking mode (it calls Fd), so Close
	// would not interrupt a pending Read. A non-blocking duplicate goes
	// through the poller, where Close wakes readers and writers.
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	path := slave.Name()
	master.Close()
	if err != nil {
		slave.Close()
		return nil, fmt.Errorf("sim: non-blocking pty master: %w", err)
	}
	return &port{
		master: os.NewFile(uintptr(fd), "/dev/ptmx"),
		slave:  slave,
		path:   path,
		input:  make(chan []byte, 64),
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}, nil
}

// makeRaw is cfmakeraw(3): no echo, no canonical mode, no CR/LF mapping,
// no output processing, 8 bits.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// close hangs the port up: the driver's reads fail and the slave device
// disappears once the driver closes it. Safe to call twice.
func (p *port) close() {
	p.once.Do(func() {
		close(p.done)
		p.master.Close()
		p.slave.Close()
	})
}

// drainOutput waits, at most limit, until the driver has read what the
// modem printed, so that the OK of a reboot command is not lost with the
// port. The kernel moves written bytes into the slave's input queue
// asynchronously, so the queue is only trusted after a first pause (a real
// stick takes a second or more to leave the bus anyway). Only for that rare
// path: it polls.
func (p *port) drainOutput(limit time.Duration) {
	deadline := time.Now().Add(limit)
	pause := rebootPause
	for time.Now().Before(deadline) {
		t := time.NewTimer(pause)
		select {
		case <-p.done:
			t.Stop()
			return
		case <-t.C:
		}
		pause = time.Millisecond
		n, err := unix.IoctlGetInt(int(p.slave.Fd()), unix.TIOCINQ)
		if err != nil || n == 0 {
			return
		}
	}
}

// wait waits for the port's goroutines to end; not from the loop itself.
func (p *port) wait() { p.wg.Wait() }

// readLoop copies what the driver writes into p.input. Read errors other
// than the close (EIO when no slave is open) back off instead of spinning.
func (m *Modem) readLoop(p *port) {
	defer p.wg.Done()
	buf := make([]byte, 4096)
	backoff := 10 * time.Millisecond
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			backoff = 10 * time.Millisecond
			chunk := append([]byte(nil), buf[:n]...)
			select {
			case p.input <- chunk:
			case <-p.done:
				return
			}
		}
		if err == nil && n > 0 {
			continue
		}
		select {
		case <-p.done:
			return
		default:
		}
		if errors.Is(err, os.ErrClosed) {
			return
		}
		m.log.Debug("sim: pty read", slog.String("path", p.path), slog.Any("err", err))
		t := time.NewTimer(backoff)
		select {
		case <-p.done:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, time.Second)
	}
}

// linkTo points Config.Link at target atomically (a rename over the old
// link), so that a driver never sees it missing while the modem is plugged.
func (m *Modem) linkTo(target string) error {
	link := m.cfg.Link
	if link == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("sim: link directory: %w", err)
	}
	tmp := link + ".tmp" + strconv.Itoa(os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("sim: link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sim: link %s: %w", link, err)
	}
	return nil
}

// unlink removes Config.Link if it still points at target.
func (m *Modem) unlink(target string) {
	if m.cfg.Link == "" {
		return
	}
	if cur, err := os.Readlink(m.cfg.Link); err == nil && cur == target {
		if err := os.Remove(m.cfg.Link); err != nil {
			m.log.Warn("sim: remove link", slog.String("link", m.cfg.Link), slog.Any("err", err))
		}
	}
}
