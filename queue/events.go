package queue

import (
	"sync"
	"time"

	"gsmbox/modem"
	"gsmbox/store"
)

// EventKind says what an Event is about.
type EventKind string

// Event kinds for live updates (SPEC W16).
const (
	EventMessage EventKind = "message" // an outbound message changed status
	EventInbound EventKind = "inbound" // a message was received
	EventModem   EventKind = "modem"   // a modem changed state
	EventCall    EventKind = "call"    // a call came in
	EventStop    EventKind = "stop"    // a number joined or left the STOP list
	// EventLowCredit: an account's credits fell below its alert
	// threshold (SPEC Q11, SMStoB "rappel du solde").
	EventLowCredit EventKind = "low-credit"
)

// Event is one live update. Only the fields of its kind are set.
type Event struct {
	Kind       EventKind
	At         time.Time
	MessageID  int64        // EventMessage
	CampaignID int64        // EventMessage, when part of a campaign
	Status     store.Status // EventMessage
	InboundID  int64        // EventInbound
	CallID     int64        // EventCall
	Number     string       // EventInbound, EventCall, EventStop
	Stopped    bool         // EventStop: true joined, false left
	Modem      string       // EventModem (and the modem of EventInbound)
	ModemState modem.State  // EventModem
	AccountID  int64        // EventLowCredit
	Credits    int64        // EventLowCredit: credits left
}

// hub fans events out to subscribers. Publishing never blocks: a
// subscriber whose buffer is full misses the event (a page can reload; the
// queue must not wait for a browser).
type hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// active reports whether anyone listens, so publishers can skip building
// events.
func (h *hub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

func (h *hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- e:
		default:
		}
	}
}

// Subscribe returns a channel of live events (buffer events deep; at least
// 16) and a function that ends the subscription and closes the channel.
// Events are dropped for a subscriber that does not keep up.
func (q *Queue) Subscribe(buffer int) (<-chan Event, func()) {
	c := make(chan Event, max(buffer, 16))
	q.hub.mu.Lock()
	if q.hub.subs == nil {
		q.hub.subs = map[chan Event]struct{}{}
	}
	q.hub.subs[c] = struct{}{}
	q.hub.mu.Unlock()
	var once sync.Once
	return c, func() {
		once.Do(func() {
			q.hub.mu.Lock()
			delete(q.hub.subs, c)
			q.hub.mu.Unlock()
			close(c)
		})
	}
}

// Publish sends an event to subscribers; the inbound side uses it for
// received messages, calls and STOP list changes.
func (q *Queue) Publish(e Event) {
	if e.At.IsZero() {
		e.At = q.cfg.Clock.Now()
	}
	q.hub.publish(e)
}
