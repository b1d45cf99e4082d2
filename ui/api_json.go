package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gsmbox/store"
)

// decodeJSON reads the request body as JSON into v. Unknown fields are
// refused (SPEC S7: a misspelt option must not be silently ignored), and
// so is trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return badParam(CodeInvalidJSON, "empty body: a JSON object is expected")
		}
		return badParam(CodeInvalidJSON, "invalid JSON body: "+err.Error())
	}
	if dec.More() {
		return badParam(CodeInvalidJSON, "invalid JSON body: data after the object")
	}
	return nil
}

// query helpers: each returns an invalid_parameter error naming the
// parameter.

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badParam(CodeInvalidParameter, fmt.Sprintf("%s=%q: a non-negative integer is expected", name, v))
	}
	return n, nil
}

func queryLimit(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit", 50)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > 1000 {
		return 0, badParam(CodeInvalidParameter, "limit: between 1 and 1000")
	}
	return int(n), nil
}

// queryTime reads an RFC 3339 time or a yyyy-mm-dd date (midnight in the
// box's zone).
func (s *Server) queryTime(r *http.Request, name string) (time.Time, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := s.parseTime(v)
	if err != nil {
		return time.Time{}, badParam(CodeBadDate, fmt.Sprintf("%s=%q: %v", name, v, err))
	}
	return t, nil
}

// parseTime reads an RFC 3339 time, or a local "2006-01-02T15:04" or
// "2006-01-02" in the box's zone.
func (s *Server) parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, s.cfg.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("RFC 3339 time or yyyy-mm-dd date expected")
}

func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, errf(http.StatusNotFound, CodeNotFound, fmt.Sprintf("%s %q: not a valid id", name, v))
	}
	return n, nil
}

// optTime is a JSON time that is omitted when zero.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Views: the JSON shapes of the native API (documented in openapi.json).

type messageView struct {
	ID          int64      `json:"id"`
	SendID      string     `json:"send_id,omitempty"`
	AccountID   int64      `json:"account_id"`
	CampaignID  int64      `json:"campaign_id,omitempty"`
	ContactID   int64      `json:"contact_id,omitempty"`
	Number      string     `json:"number"`
	Channel     string     `json:"channel"`
	Text        string     `json:"text"`
	Encoding    string     `json:"encoding"`
	Parts       int        `json:"parts"`
	Flash       bool       `json:"flash"`
	Validity    int64      `json:"validity,omitempty"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	Attempts    int        `json:"attempts"`
	Modem       string     `json:"modem,omitempty"`
	RefClient   string     `json:"reference,omitempty"`
	Source      string     `json:"source,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
}

func channelName(c int) string {
	if c == store.ChannelMarketing {
		return "marketing"
	}
	return "notification"
}

func viewMessage(m store.Message, sendID string) messageView {
	return messageView{
		ID: m.ID, SendID: sendID, AccountID: m.AccountID, CampaignID: m.CampaignID, ContactID: m.ContactID,
		Number: m.Number, Channel: channelName(m.Channel), Text: m.Text, Encoding: m.Encoding, Parts: m.Parts,
		Flash: m.Flash, Validity: int64(m.Validity / time.Second), Status: string(m.Status), Reason: m.Reason,
		Attempts: m.Attempts, Modem: m.Modem, RefClient: m.RefClient, Source: m.Source, CreatedAt: m.CreatedAt.UTC(),
		ScheduledAt: optTime(m.ScheduledAt), SentAt: optTime(m.SentAt), DoneAt: optTime(m.DoneAt),
	}
}

type partView struct {
	Seq         int        `json:"seq"`
	Status      string     `json:"status"`
	MR          *int       `json:"mr,omitempty"`
	Modem       string     `json:"modem,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	Delivery    string     `json:"delivery,omitempty"`
	TPStatus    *int       `json:"tp_status,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

func viewPart(p store.Part) partView {
	v := partView{Seq: p.Seq, Status: string(p.Status), Modem: p.Modem, SentAt: optTime(p.SentAt), Error: p.Error,
		Delivery: p.Delivery, DeliveredAt: optTime(p.DeliveredAt)}
	if p.MR >= 0 {
		mr := p.MR
		v.MR = &mr
	}
	if p.TPStatus >= 0 {
		st := p.TPStatus
		v.TPStatus = &st
	}
	return v
}

type journalView struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Detail string    `json:"detail,omitempty"`
}

type inboundView struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Text       string    `json:"text"`
	Encoding   string    `json:"encoding"`
	Parts      int       `json:"parts"`
	Incomplete bool      `json:"incomplete"`
	Modem      string    `json:"modem"`
	SMSC       string    `json:"smsc,omitempty"`
	SentAt     time.Time `json:"sent_at"`
	ReceivedAt time.Time `json:"received_at"`
	Read       bool      `json:"read"`
	Keyword    string    `json:"keyword,omitempty"`
	ReplyTo    int64     `json:"reply_to,omitempty"`
}

func viewInbound(in store.Inbound) inboundView {
	return inboundView{ID: in.ID, Number: in.Number, Text: in.Text, Encoding: in.Encoding, Parts: in.Parts,
		Incomplete: in.Incomplete, Modem: in.Modem, SMSC: in.SMSC, SentAt: in.SCTS.UTC(), ReceivedAt: in.ReceivedAt.UTC(),
		Read: in.Read, Keyword: in.Keyword, ReplyTo: in.ReplyTo}
}

type contactView struct {
	ID        int64             `json:"id"`
	Mobile    string            `json:"mobile"`
	LastName  string            `json:"last_name"`
	FirstName string            `json:"first_name"`
	Company   string            `json:"company"`
	Fields    map[string]string `json:"fields"`
	Blocked   bool              `json:"blocked"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

func viewContact(c store.Contact) contactView {
	f := c.Fields
	if f == nil {
		f = map[string]string{}
	}
	return contactView{ID: c.ID, Mobile: c.Mobile, LastName: c.LastName, FirstName: c.FirstName, Company: c.Company,
		Fields: f, Blocked: c.Blocked, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type groupView struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     int       `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewGroup(g store.Group) groupView {
	return groupView{ID: g.ID, Name: g.Name, Description: g.Description, Members: g.Members, CreatedAt: g.CreatedAt.UTC()}
}

type accountView struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	ParentID   int64     `json:"parent_id,omitempty"`
	Credits    *int64    `json:"credits"` // null: unlimited
	DailyQuota int       `json:"daily_quota,omitempty"`
	LowCredit  int64     `json:"low_credit,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

func viewAccount(a store.Account) accountView {
	v := accountView{ID: a.ID, Name: a.Name, ParentID: a.ParentID, DailyQuota: a.DailyQuota, LowCredit: a.LowCredit, CreatedAt: a.CreatedAt.UTC()}
	if a.Limited {
		c := a.Credits
		v.Credits = &c
	}
	return v
}
