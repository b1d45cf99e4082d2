package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"gsmbox/queue"
	"gsmbox/store"
	"gsmbox/ui/smsmode"
)

// sendBody is the JSON of POST /api/v1/messages.
type sendBody struct {
	To         []string        `json:"to"`
	Contacts   []int64         `json:"contacts"`
	Groups     []string        `json:"groups"`
	GroupIDs   []int64         `json:"group_ids"`
	Recipients []recipientBody `json:"recipients"`
	Text       string          `json:"text"`
	At         string          `json:"at"`
	Channel    string          `json:"channel"`
	Flash      bool            `json:"flash"`
	Validity   int64           `json:"validity"`
	Stop       int             `json:"stop"`
	Reference  string          `json:"reference"`
	Modem      string          `json:"modem"`
	MaxParts   int             `json:"max_parts"`
	// Transliterate replaces accents to stay in GSM 7-bit (SPEC P1).
	Transliterate  bool   `json:"transliterate"`
	AllowDuplicate bool   `json:"allow_duplicate"`
	DryRun         bool   `json:"dry_run"`
	Campaign       string `json:"campaign"`
	ThrottleCount  int    `json:"throttle_count"`
	ThrottlePause  int64  `json:"throttle_pause"`
	Repeat         string `json:"repeat"`
	RepeatUntil    string `json:"repeat_until"`
	NotifyURL      string `json:"notify_url"`
	ReplyURL       string `json:"reply_url"`
}

type recipientBody struct {
	Number string            `json:"number"`
	Text   string            `json:"text"`
	Values map[string]string `json:"values"`
}

type sendResult struct {
	SendID      string          `json:"send_id,omitempty"`
	DryRun      bool            `json:"dry_run,omitempty"`
	Accepted    int             `json:"accepted"`
	Parts       int             `json:"parts"`
	Scheduled   bool            `json:"scheduled"`
	CampaignID  int64           `json:"campaign_id,omitempty"`
	RecurringID int64           `json:"recurring_id,omitempty"`
	Messages    []sentMessage   `json:"messages"`
	Rejected    []rejectionView `json:"rejected"`
}

type sentMessage struct {
	ID       int64  `json:"id,omitempty"`
	Number   string `json:"number"`
	Parts    int    `json:"parts"`
	Encoding string `json:"encoding"`
}

type rejectionView struct {
	Input  string `json:"input"`
	Number string `json:"number,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// maxValidity is the longest validity period a message may ask (SPEC M4:
// 1 hour to 3 days; the encoder clamps within it).
const maxValidity = 3 * 24 * time.Hour

// submitSend is POST /api/v1/messages.
func (s *Server) submitSend(w http.ResponseWriter, r *http.Request) error {
	var b sendBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	req := queue.Request{
		Text: b.Text, Numbers: b.To, ContactIDs: b.Contacts, GroupIDs: b.GroupIDs, GroupNames: b.Groups,
		Flash: b.Flash, Modem: b.Modem, MaxParts: b.MaxParts, Transliterate: b.Transliterate,
		AllowDuplicate: b.AllowDuplicate, DryRun: b.DryRun, Campaign: b.Campaign, ThrottleCount: b.ThrottleCount,
		RefClient: b.Reference, Source: "api",
	}
	for _, rc := range b.Recipients {
		req.Recipients = append(req.Recipients, queue.Recipient{Number: rc.Number, Text: rc.Text, Values: rc.Values})
	}
	switch b.Channel {
	case "", "notification":
		req.Channel = queue.Notification
	case "marketing":
		req.Channel = queue.Marketing
	default:
		return badParam(CodeInvalidParameter, `channel: "notification" or "marketing"`)
	}
	switch {
	case b.Stop < 0 || b.Stop > 2:
		return badParam(CodeInvalidParameter, "stop: 0 (none), 1 (when free) or 2 (always)")
	case b.Validity < 0 || time.Duration(b.Validity)*time.Second > maxValidity:
		return badParam(CodeInvalidParameter, "validity: seconds, at most 3 days")
	case b.MaxParts < 0 || b.MaxParts > 255:
		return badParam(CodeInvalidParameter, "max_parts: 1 to 255")
	case b.ThrottleCount < 0 || b.ThrottlePause < 0:
		return badParam(CodeInvalidParameter, "throttle_count and throttle_pause must not be negative")
	case len(b.Reference) > maxRefClient:
		return badParam(CodeInvalidParameter, "reference: at most 255 bytes")
	}
	req.StopMention = queue.StopMention(b.Stop)
	req.Validity = time.Duration(b.Validity) * time.Second
	req.ThrottlePause = time.Duration(b.ThrottlePause) * time.Second
	if b.At != "" {
		at, err := s.parseTime(b.At)
		if err != nil {
			return badParam(CodeBadDate, "at: "+err.Error())
		}
		req.At = at
	}
	if b.Repeat != "" {
		req.Repeat = queue.Period(b.Repeat)
		if b.RepeatUntil != "" {
			until, err := s.parseTime(b.RepeatUntil)
			if err != nil {
				return badParam(CodeBadDate, "repeat_until: "+err.Error())
			}
			req.RepeatUntil = until
		}
	}
	send := apiSend("native")
	send.RefClient = b.Reference
	var err error
	if send.NotifyURL, err = checkURL(b.NotifyURL); err != nil {
		return badParam(CodeInvalidParameter, "notify_url: "+err.Error())
	}
	if send.ReplyURL, err = checkURL(b.ReplyURL); err != nil {
		return badParam(CodeInvalidParameter, "reply_url: "+err.Error())
	}
	out, err := s.submit(r.Context(), authFrom(r), sendSpec{req: req, send: send})
	if errors.Is(err, queue.ErrNoneAccepted) {
		return refusedError(out.receipt)
	}
	if err != nil {
		return err
	}
	rc := out.receipt
	res := sendResult{SendID: out.send.PublicID, DryRun: out.dryRun, Accepted: rc.Accepted, Parts: rc.Parts,
		Scheduled: rc.Scheduled, CampaignID: rc.CampaignID, RecurringID: rc.RecurringID,
		Messages: []sentMessage{}, Rejected: []rejectionView{}}
	for _, x := range rc.Results {
		if x.Accepted() {
			res.Messages = append(res.Messages, sentMessage{ID: x.MessageID, Number: x.Number, Parts: x.Parts, Encoding: string(x.Encoding)})
		} else {
			res.Rejected = append(res.Rejected, rejectionView{Input: x.Input, Number: x.Number, Reason: string(x.Reason), Detail: x.Detail})
		}
	}
	status := http.StatusCreated
	if out.dryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
	return nil
}

// visibleAccount reports whether key a may see data of account id: its
// own, or a sub-account's.
func (s *Server) visibleAccount(ctx context.Context, a auth, id int64) (bool, error) {
	if id == a.Account.ID {
		return true, nil
	}
	acct, err := s.st.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return acct.ParentID == a.Account.ID, nil
}

// listAccount is the account a list is about: the key's, or with
// ?account_id= one of its sub-accounts.
func (s *Server) listAccount(r *http.Request) (int64, error) {
	a := authFrom(r)
	id, err := queryInt(r, "account_id", a.Account.ID)
	if err != nil {
		return 0, err
	}
	ok, err := s.visibleAccount(r.Context(), a, id)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errf(http.StatusForbidden, CodeForbidden, "account_id: not this key's account nor one of its sub-accounts")
	}
	return id, nil
}

// listMessages is GET /api/v1/messages.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.listAccount(r)
	if err != nil {
		return err
	}
	f := store.MessageFilter{AccountID: acct, Number: strings.TrimSpace(r.URL.Query().Get("number")),
		Search: r.URL.Query().Get("q")}
	if f.Number != "" && !strings.HasPrefix(f.Number, "+") {
		if n, ok := s.q.NormalizeNumber(f.Number); ok {
			f.Number = n
		}
	}
	for _, st := range splitList(r.URL.Query().Get("status")) {
		f.Statuses = append(f.Statuses, store.Status(st))
	}
	if f.CampaignID, err = queryInt(r, "campaign", 0); err != nil {
		return err
	}
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
	ms, err := s.st.Messages(r.Context(), f)
	if err != nil {
		return err
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	pubs, err := s.st.SendPublicIDs(r.Context(), ids)
	if err != nil {
		return err
	}
	out := struct {
		Messages   []messageView `json:"messages"`
		NextBefore int64         `json:"next_before,omitempty"`
	}{Messages: []messageView{}}
	for _, m := range ms {
		out.Messages = append(out.Messages, viewMessage(m, pubs[m.ID]))
	}
	if len(ms) == f.Limit {
		out.NextBefore = ms[len(ms)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ownMessage returns message id if the key may see it (404 otherwise, so
// ids of other accounts are not revealed).
func (s *Server) ownMessage(r *http.Request) (store.Message, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Message{}, err
	}
	m, err := s.st.Message(r.Context(), id)
	if err != nil {
		return m, err
	}
	ok, err := s.visibleAccount(r.Context(), authFrom(r), m.AccountID)
	if err != nil {
		return m, err
	}
	if !ok {
		return m, errf(http.StatusNotFound, CodeNotFound, "no such message")
	}
	return m, nil
}

type messageDetail struct {
	Message       messageView   `json:"message"`
	SMSmodeStatus *int          `json:"smsmode_status,omitempty"`
	Parts         []partView    `json:"parts"`
	Journal       []journalView `json:"journal"`
}

// showMessage is GET /api/v1/messages/{id}: the message, its parts and its
// history.
func (s *Server) showMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.ownMessage(r)
	if err != nil {
		return err
	}
	return s.writeMessageDetail(w, r, m)
}

func (s *Server) writeMessageDetail(w http.ResponseWriter, r *http.Request, m store.Message) error {
	ps, err := s.st.Parts(r.Context(), m.ID)
	if err != nil {
		return err
	}
	js, err := s.st.Journal(r.Context(), store.JournalFilter{MessageID: m.ID, Limit: 1000})
	if err != nil {
		return err
	}
	pubs, err := s.st.SendPublicIDs(r.Context(), []int64{m.ID})
	if err != nil {
		return err
	}
	d := messageDetail{Message: viewMessage(m, pubs[m.ID]), Parts: []partView{}, Journal: []journalView{}}
	failed := false
	for _, p := range ps {
		d.Parts = append(d.Parts, viewPart(p))
		failed = failed || p.Delivery == store.DeliveryFailed || p.Delivery == store.DeliveryExpired
	}
	if code, ok := smsmode.Status(m.Status, failed); ok {
		d.SMSmodeStatus = &code
	}
	for _, j := range js {
		d.Journal = append(d.Journal, journalView{At: j.At.UTC(), Event: j.Event, Detail: j.Detail})
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// cancelMessage is POST /api/v1/messages/{id}/cancel: only a message not
// handed to a modem yet can be cancelled (409 not_cancellable otherwise).
func (s *Server) cancelMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.ownMessage(r)
	if err != nil {
		return err
	}
	if err := s.q.Cancel(r.Context(), m.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeNotCancellable, "the message is "+string(m.Status)+": it can no longer be cancelled")
		}
		return err
	}
	if s.hooks != nil {
		s.hooks.Kick()
	}
	if m, err = s.st.Message(r.Context(), m.ID); err != nil {
		return err
	}
	return s.writeMessageDetail(w, r, m)
}

type sendView struct {
	ID            string          `json:"id"`
	API           string          `json:"api"`
	Reference     string          `json:"reference,omitempty"`
	NotifyURL     string          `json:"notify_url,omitempty"`
	ReplyURL      string          `json:"reply_url,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	SMSmodeStatus *int            `json:"smsmode_status,omitempty"`
	Messages      []messageView   `json:"messages"`
	Rejected      []rejectionView `json:"rejected"`
}

// showSend is GET /api/v1/sends/{id}: a send request and its messages.
func (s *Server) showSend(w http.ResponseWriter, r *http.Request) error {
	a := authFrom(r)
	sd, err := s.st.SendByPublicID(r.Context(), 0, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ok, err := s.visibleAccount(r.Context(), a, sd.AccountID); err != nil || !ok {
		if err != nil {
			return err
		}
		return errf(http.StatusNotFound, CodeNotFound, "no such send")
	}
	rs, err := s.st.SendRecipients(r.Context(), sd.ID)
	if err != nil {
		return err
	}
	v := sendView{ID: sd.PublicID, API: sd.API, Reference: sd.RefClient, NotifyURL: sd.NotifyURL, ReplyURL: sd.ReplyURL,
		CreatedAt: sd.CreatedAt.UTC(), Messages: []messageView{}, Rejected: []rejectionView{}}
	for _, rc := range rs {
		v.Messages = append(v.Messages, viewMessage(rc.Message, sd.PublicID))
	}
	for _, rj := range sd.Rejected {
		v.Rejected = append(v.Rejected, rejectionView{Input: rj.Number, Reason: rj.Reason})
	}
	if code, ok := smsmode.SendStatus(rs); ok {
		v.SMSmodeStatus = &code
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// cancelSend is POST /api/v1/sends/{id}/cancel: cancels what of a send has
// not left yet.
func (s *Server) cancelSend(w http.ResponseWriter, r *http.Request) error {
	a := authFrom(r)
	sd, err := s.st.SendByPublicID(r.Context(), 0, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ok, err := s.visibleAccount(r.Context(), a, sd.AccountID); err != nil || !ok {
		if err != nil {
			return err
		}
		return errf(http.StatusNotFound, CodeNotFound, "no such send")
	}
	ids, err := s.st.SendMessageIDs(r.Context(), sd.ID)
	if err != nil {
		return err
	}
	n, err := s.cancelMessages(r.Context(), ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"cancelled": n})
	return nil
}
