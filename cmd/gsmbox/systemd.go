package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// sdNotify sends a state line to systemd (sd_notify(3)) when the daemon runs
// under a Type=notify unit; elsewhere NOTIFY_SOCKET is unset and it does
// nothing.
func sdNotify(env *cmdEnv, state string) error {
	path := env.getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// watchdog feeds systemd's watchdog at half its interval, but only while
// healthy() says the daemon works, so that a wedged daemon is restarted.
func watchdog(ctx context.Context, env *cmdEnv, healthy func() error, onUnhealthy func(error)) {
	usec, err := strconv.ParseInt(env.getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(usec) * time.Microsecond / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := healthy(); err != nil {
				onUnhealthy(err)
				continue
			}
			sdNotify(env, "WATCHDOG=1")
		}
	}
}
