package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"gsmbox/store"
)

// Event names an endpoint can subscribe to.
const (
	EventStatus  = "message.status" // an outbound message changed status (delivery report)
	EventInbound = "inbound"        // an SMS was received
)

// Formats of an endpoint.
const (
	// FormatJSON posts a JSON document signed with HMAC-SHA256 of the
	// endpoint's secret (header SignatureHeader).
	FormatJSON = "json"
	// FormatSMSmode calls the URL with GET and sMsmode's parameters
	// (notification_url / notification_url_reponse, seed 002 §12-13).
	FormatSMSmode = "smsmode"
)

// settingEndpoints is the settings key holding the endpoints (JSON).
const settingEndpoints = "webhook.endpoints"

// Endpoint is a receiver configured on the box for every event of an
// account (SPEC A4, W15), as opposed to the URLs given with one send.
type Endpoint struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	URL       string    `json:"url"`
	Format    string    `json:"format"`
	Events    []string  `json:"events"` // empty: every event
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Wants reports whether e subscribes to event.
func (e Endpoint) Wants(event string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, event)
}

// ErrInvalidEndpoint is returned (wrapped) for an endpoint that cannot be
// stored: bad URL, format or event.
var ErrInvalidEndpoint = errors.New("webhook: invalid endpoint")

// Endpoints returns the configured endpoints.
func Endpoints(ctx context.Context, st *store.Store) ([]Endpoint, error) {
	v, err := st.Setting(ctx, settingEndpoints)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeEndpoints(v)
}

func decodeEndpoints(v string) ([]Endpoint, error) {
	var es []Endpoint
	if err := json.Unmarshal([]byte(v), &es); err != nil {
		return nil, fmt.Errorf("webhook: endpoints setting: %w", err)
	}
	return es, nil
}

func txEndpoints(tx *store.Tx) ([]Endpoint, error) {
	v, err := tx.Setting(settingEndpoints)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeEndpoints(v)
}

// CheckURL accepts an absolute http(s) URL.
func CheckURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrInvalidEndpoint, v)
	}
	return nil
}

// AddEndpoint stores a new endpoint and returns it with its id and, for a
// JSON endpoint given none, a random secret.
func AddEndpoint(ctx context.Context, st *store.Store, e Endpoint, now time.Time) (Endpoint, error) {
	e.URL = strings.TrimSpace(e.URL)
	if err := CheckURL(e.URL); err != nil {
		return e, err
	}
	if e.Format == "" {
		e.Format = FormatJSON
	}
	if e.Format != FormatJSON && e.Format != FormatSMSmode {
		return e, fmt.Errorf("%w: format %q (json or smsmode)", ErrInvalidEndpoint, e.Format)
	}
	for _, ev := range e.Events {
		if ev != EventStatus && ev != EventInbound {
			return e, fmt.Errorf("%w: event %q (%s or %s)", ErrInvalidEndpoint, ev, EventStatus, EventInbound)
		}
	}
	if e.Format == FormatJSON && e.Secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return e, fmt.Errorf("webhook: secret: %w", err)
		}
		e.Secret = hex.EncodeToString(b)
	}
	if e.AccountID == 0 {
		e.AccountID = store.DefaultAccount
	}
	e.CreatedAt = now.UTC()
	err := st.Write(ctx, func(tx *store.Tx) error {
		es, err := txEndpoints(tx)
		if err != nil {
			return err
		}
		for _, x := range es {
			e.ID = max(e.ID, x.ID)
		}
		e.ID++
		return saveEndpoints(tx, append(es, e))
	})
	return e, err
}

// RemoveEndpoint deletes endpoint id of accountID (any account when
// accountID is 0); store.ErrNotFound when there is none. Notifications
// already in the outbox for it are given up when their turn comes.
func RemoveEndpoint(ctx context.Context, st *store.Store, accountID, id int64) error {
	return st.Write(ctx, func(tx *store.Tx) error {
		es, err := txEndpoints(tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(es, func(e Endpoint) bool { return e.ID == id && (accountID == 0 || e.AccountID == accountID) })
		if i < 0 {
			return fmt.Errorf("webhook: endpoint %d: %w", id, store.ErrNotFound)
		}
		return saveEndpoints(tx, slices.Delete(es, i, i+1))
	})
}

func saveEndpoints(tx *store.Tx, es []Endpoint) error {
	b, err := json.Marshal(es)
	if err != nil {
		return fmt.Errorf("webhook: endpoints: %w", err)
	}
	return tx.SetSetting(settingEndpoints, string(b))
}
