package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"gsmbox/store"
	"gsmbox/webhook"
)

type endpointView struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	URL       string    `json:"url"`
	Format    string    `json:"format"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"` // only in the answer that creates it
	CreatedAt time.Time `json:"created_at"`
}

func viewEndpoint(e webhook.Endpoint) endpointView {
	ev := e.Events
	if ev == nil {
		ev = []string{}
	}
	return endpointView{ID: e.ID, AccountID: e.AccountID, URL: e.URL, Format: e.Format, Events: ev, CreatedAt: e.CreatedAt}
}

// listEndpoints is GET /api/v1/webhooks: the receivers configured for the
// key's account (secrets are not shown again).
func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	es, err := webhook.Endpoints(r.Context(), s.st)
	if err != nil {
		return err
	}
	out := struct {
		Webhooks []endpointView `json:"webhooks"`
	}{Webhooks: []endpointView{}}
	for _, e := range es {
		if e.AccountID == authFrom(r).Account.ID {
			out.Webhooks = append(out.Webhooks, viewEndpoint(e))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createEndpoint is POST /api/v1/webhooks {"url", "format", "events",
// "secret"}: JSON receivers get a secret (generated when not given), shown
// in this answer only, to check the signature header.
func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		URL    string   `json:"url"`
		Format string   `json:"format"`
		Events []string `json:"events"`
		Secret string   `json:"secret"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	e, err := webhook.AddEndpoint(r.Context(), s.st, webhook.Endpoint{AccountID: authFrom(r).Account.ID, URL: b.URL,
		Format: b.Format, Events: b.Events, Secret: b.Secret}, s.now())
	if errors.Is(err, webhook.ErrInvalidEndpoint) {
		return badParam(CodeInvalidParameter, strings.TrimPrefix(err.Error(), "webhook: "))
	}
	if err != nil {
		return err
	}
	v := viewEndpoint(e)
	v.Secret = e.Secret
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// deleteEndpoint is DELETE /api/v1/webhooks/{id}.
func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := webhook.RemoveEndpoint(r.Context(), s.st, authFrom(r).Account.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type outboxView struct {
	ID          int64      `json:"id"`
	Event       string     `json:"event"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"created_at"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	GaveUp      bool       `json:"gave_up"`
}

func viewOutbox(o store.Webhook) outboxView {
	v := outboxView{ID: o.ID, Event: o.Event, URL: o.URL, CreatedAt: o.CreatedAt.UTC(), Attempts: o.Attempts,
		LastError: o.LastError, DeliveredAt: optTime(o.DeliveredAt), GaveUp: o.GaveUp}
	if o.DeliveredAt.IsZero() && !o.GaveUp {
		v.NextAttempt = optTime(o.NextAttempt)
	}
	return v
}

// listOutbox is GET /api/v1/webhooks/outbox?state=pending|retrying|failed|delivered:
// the notifications and their delivery attempts (SPEC A4: failures are
// visible). Box-wide: top-level keys only.
func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	f := store.WebhookFilter{State: r.URL.Query().Get("state")}
	switch f.State {
	case "", "pending", "retrying", "failed", "delivered":
	default:
		return badParam(CodeInvalidParameter, "state: pending, retrying, failed or delivered")
	}
	var err error
	if f.BeforeID, err = queryInt(r, "before", 0); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(r); err != nil {
		return err
	}
	ws, err := s.st.Webhooks(r.Context(), f)
	if err != nil {
		return err
	}
	counts, err := s.st.CountWebhooks(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Counts        map[string]int `json:"counts"`
		Notifications []outboxView   `json:"notifications"`
		NextBefore    int64          `json:"next_before,omitempty"`
	}{Counts: counts, Notifications: []outboxView{}}
	for _, o := range ws {
		out.Notifications = append(out.Notifications, viewOutbox(o))
	}
	if len(ws) == f.Limit {
		out.NextBefore = ws[len(ws)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// retryOutbox is POST /api/v1/webhooks/outbox/{id}/retry: an undelivered
// notification (given up or waiting) is tried again now.
func (s *Server) retryOutbox(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.RetryWebhook(r.Context(), id, s.now()); err != nil {
		return err
	}
	if s.hooks != nil {
		s.hooks.Kick()
	}
	o, err := s.st.WebhookByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewOutbox(o))
	return nil
}
