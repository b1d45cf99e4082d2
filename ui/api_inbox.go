package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"gsmbox/queue"
	"gsmbox/store"
)

// boxWide refuses keys of sub-accounts on what belongs to the whole box:
// received messages, conversations, calls, the STOP list, the modems.
func boxWide(r *http.Request) error {
	if !authFrom(r).TopLevel() {
		return errf(http.StatusForbidden, CodeForbidden, "a sub-account's key cannot read the box's inbox, calls, STOP list or modems")
	}
	return nil
}

// boxWidePage checks boxWide and reads a time-paged list's ?before= and
// ?limit=.
func (s *Server) boxWidePage(r *http.Request) (before time.Time, limit int, err error) {
	if err := boxWide(r); err != nil {
		return time.Time{}, 0, err
	}
	if before, err = s.queryTime(r, "before"); err != nil {
		return time.Time{}, 0, err
	}
	limit, err = queryLimit(r)
	return before, limit, err
}

// listInbox is GET /api/v1/inbox.
func (s *Server) listInbox(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.InboundFilter{Number: strings.TrimSpace(q.Get("number")), Search: q.Get("q"), UnreadOnly: q.Get("unread") == "1" || q.Get("unread") == "true"}
	if f.Number != "" && !strings.HasPrefix(f.Number, "+") {
		if n, ok := s.q.NormalizeNumber(f.Number); ok {
			f.Number = n
		}
	}
	var err error
	if f.BeforeID, err = queryInt(r, "before", 0); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(r); err != nil {
		return err
	}
	if f.From, err = s.queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = s.queryTime(r, "to"); err != nil {
		return err
	}
	ins, err := s.st.InboundMessages(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Messages   []inboundView `json:"messages"`
		NextBefore int64         `json:"next_before,omitempty"`
	}{Messages: []inboundView{}}
	for _, in := range ins {
		out.Messages = append(out.Messages, viewInbound(in))
	}
	if len(ins) == f.Limit {
		out.NextBefore = ins[len(ins)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// showInbound is GET /api/v1/inbox/{id}.
func (s *Server) showInbound(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := s.st.Inbound(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewInbound(in))
	return nil
}

// markInbound is POST /api/v1/inbox/{id}/read and .../unread.
func (s *Server) markInbound(read bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := boxWide(r); err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if _, err := s.st.Inbound(r.Context(), id); err != nil {
			return err
		}
		if err := s.st.SetRead(r.Context(), []int64{id}, read); err != nil {
			return err
		}
		in, err := s.st.Inbound(r.Context(), id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, viewInbound(in))
		return nil
	}
}

type conversationView struct {
	Number      string    `json:"number"`
	Name        string    `json:"name,omitempty"`
	ContactID   int64     `json:"contact_id,omitempty"`
	LastAt      time.Time `json:"last_at"`
	LastText    string    `json:"last_text"`
	LastInbound bool      `json:"last_inbound"`
	Unread      int       `json:"unread"`
}

// listConversations is GET /api/v1/conversations: threads, most recent
// first; page with ?before=<last_at of the last row>.
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	before, limit, err := s.boxWidePage(r)
	if err != nil {
		return err
	}
	cs, err := s.st.Conversations(r.Context(), before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Conversations []conversationView `json:"conversations"`
		NextBefore    *time.Time         `json:"next_before,omitempty"`
	}{Conversations: []conversationView{}}
	for _, c := range cs {
		out.Conversations = append(out.Conversations, conversationView{Number: c.Number, Name: c.Name, ContactID: c.ContactID,
			LastAt: c.LastAt.UTC(), LastText: c.LastText, LastInbound: c.LastInbound, Unread: c.Unread})
	}
	if len(cs) == limit {
		out.NextBefore = optTime(cs[len(cs)-1].LastAt)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// conversationNumber reads the {number} of a conversation path: E.164
// (the "+" may come encoded or as a space) or national.
func (s *Server) conversationNumber(r *http.Request) (string, error) {
	raw, err := url.PathUnescape(r.PathValue("number"))
	if err != nil {
		raw = r.PathValue("number")
	}
	raw = strings.TrimSpace(raw)
	if n, ok := s.q.NormalizeNumber(raw); ok {
		return n, nil
	}
	if raw == "" {
		return "", errf(http.StatusNotFound, CodeNotFound, "no number")
	}
	// Alphanumeric senders ("INFO") have conversations too.
	return raw, nil
}

type threadItemView struct {
	Direction string    `json:"direction"` // in or out
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Text      string    `json:"text"`
	Status    string    `json:"status,omitempty"`
}

// showConversation is GET /api/v1/conversations/{number}: the messages
// exchanged with a number, newest first.
func (s *Server) showConversation(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	num, err := s.conversationNumber(r)
	if err != nil {
		return err
	}
	before, err := s.queryTime(r, "before")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	items, err := s.st.Thread(r.Context(), num, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Number     string           `json:"number"`
		Messages   []threadItemView `json:"messages"`
		NextBefore *time.Time       `json:"next_before,omitempty"`
	}{Number: num, Messages: []threadItemView{}}
	for _, it := range items {
		d := "out"
		if it.Inbound {
			d = "in"
		}
		out.Messages = append(out.Messages, threadItemView{Direction: d, ID: it.ID, At: it.At.UTC(), Text: it.Text, Status: string(it.Status)})
	}
	if len(items) == limit {
		out.NextBefore = optTime(items[len(items)-1].At)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// readConversation is POST /api/v1/conversations/{number}/read.
func (s *Server) readConversation(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	num, err := s.conversationNumber(r)
	if err != nil {
		return err
	}
	if err := s.st.MarkConversationRead(r.Context(), num); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type stopView struct {
	Number    string    `json:"number"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`
	InboundID int64     `json:"inbound_id,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// listStop is GET /api/v1/stop.
func (s *Server) listStop(w http.ResponseWriter, r *http.Request) error {
	before, limit, err := s.boxWidePage(r)
	if err != nil {
		return err
	}
	es, err := s.st.StopList(r.Context(), before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Numbers    []stopView `json:"numbers"`
		NextBefore *time.Time `json:"next_before,omitempty"`
	}{Numbers: []stopView{}}
	for _, e := range es {
		out.Numbers = append(out.Numbers, stopView{Number: e.Number, CreatedAt: e.CreatedAt.UTC(), Source: e.Source, InboundID: e.InboundID, Note: e.Note})
	}
	if len(es) == limit {
		out.NextBefore = optTime(es[len(es)-1].CreatedAt)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addStop is POST /api/v1/stop {"number","note"}: the number joins the
// STOP list and every message still waiting for it is stopped (SPEC Q7).
func (s *Server) addStop(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	var b struct {
		Number string `json:"number"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	num, ok := s.q.NormalizeNumber(b.Number)
	if !ok {
		return badParam(CodeInvalidNumber, "number: not a valid phone number")
	}
	now := s.now()
	var added bool
	var stopped []int64
	err := s.st.Write(r.Context(), func(tx *store.Tx) error {
		var err error
		if added, err = tx.AddStop(store.StopEntry{Number: num, CreatedAt: now, Source: "api", Note: b.Note}); err != nil {
			return err
		}
		stopped, err = tx.StopQueued(num, now)
		return err
	})
	if err != nil {
		return err
	}
	s.q.Publish(queue.Event{Kind: queue.EventStop, Number: num, Stopped: true})
	if s.hooks != nil && len(stopped) > 0 {
		s.hooks.Kick()
	}
	status := http.StatusCreated
	if !added {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"number": num, "added": added, "stopped_messages": len(stopped)})
	return nil
}

// removeStop is DELETE /api/v1/stop/{number}.
func (s *Server) removeStop(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	num, err := s.conversationNumber(r)
	if err != nil {
		return err
	}
	removed, err := s.st.RemoveStop(r.Context(), num)
	if err != nil {
		return err
	}
	if !removed {
		return errf(http.StatusNotFound, CodeNotFound, num+" is not on the STOP list")
	}
	s.q.Publish(queue.Event{Kind: queue.EventStop, Number: num, Stopped: false})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type callView struct {
	ID      int64     `json:"id"`
	Number  string    `json:"number"`
	Modem   string    `json:"modem"`
	At      time.Time `json:"at"`
	HungUp  bool      `json:"hung_up"`
	Replied int64     `json:"replied,omitempty"`
}

// listCalls is GET /api/v1/calls.
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	number := strings.TrimSpace(r.URL.Query().Get("number"))
	if n, ok := s.q.NormalizeNumber(number); ok {
		number = n
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		return err
	}
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	cs, err := s.st.Calls(r.Context(), number, before, limit)
	if err != nil {
		return err
	}
	out := struct {
		Calls      []callView `json:"calls"`
		NextBefore int64      `json:"next_before,omitempty"`
	}{Calls: []callView{}}
	for _, c := range cs {
		out.Calls = append(out.Calls, callView{ID: c.ID, Number: c.Number, Modem: c.Modem, At: c.At.UTC(), HungUp: c.HungUp, Replied: c.Replied})
	}
	if len(cs) == limit {
		out.NextBefore = cs[len(cs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type modemView struct {
	ID           string     `json:"id"`
	Port         string     `json:"port"`
	State        string     `json:"state"`
	Ready        bool       `json:"ready"`
	LastError    string     `json:"last_error,omitempty"`
	Manufacturer string     `json:"manufacturer,omitempty"`
	Model        string     `json:"model,omitempty"`
	Firmware     string     `json:"firmware,omitempty"`
	IMEI         string     `json:"imei,omitempty"`
	IMSI         string     `json:"imsi,omitempty"`
	ICCID        string     `json:"iccid,omitempty"`
	Operator     string     `json:"operator,omitempty"`
	OperatorCode string     `json:"operator_code,omitempty"`
	Signal       int        `json:"signal"`
	SignalDBm    int        `json:"signal_dbm,omitempty"`
	Registration int        `json:"registration"`
	Sent         int64      `json:"sent"`
	Received     int64      `json:"received"`
	Errors       int64      `json:"errors"`
	Since        *time.Time `json:"since,omitempty"`
	Updated      *time.Time `json:"updated,omitempty"`
}

// listModems is GET /api/v1/modems (SPEC M3).
func (s *Server) listModems(w http.ResponseWriter, r *http.Request) error {
	if err := boxWide(r); err != nil {
		return err
	}
	out := struct {
		Modems []modemView `json:"modems"`
	}{Modems: []modemView{}}
	if s.modems != nil {
		for _, m := range s.modems.Statuses() {
			out.Modems = append(out.Modems, modemView{ID: m.ID, Port: m.Port, State: string(m.State), Ready: m.Ready(),
				LastError: m.LastError, Manufacturer: m.Manufacturer, Model: m.Model, Firmware: m.Firmware, IMEI: m.IMEI,
				IMSI: m.IMSI, ICCID: m.ICCID, Operator: m.Operator, OperatorCode: m.OperatorCode, Signal: m.Signal,
				SignalDBm: m.SignalDBm, Registration: m.Registration, Sent: m.Sent, Received: m.Received, Errors: m.Errors,
				Since: optTime(m.Since), Updated: optTime(m.Updated)})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
