package webhook

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gsmbox/store"
	"gsmbox/ui/smsmode"
)

// sMsmode date formats of the notifications (seed 002 §12, §13).
const (
	smsmodeReportDate = "2006-01-02 15:04:05" // notification_url: yyyy-MM-dd HH:mm:ss
	smsmodeReplyDate  = "02012006-150405"     // notification_url_reponse: ddMMyyyy-HHmmss
)

// addQuery appends v to a URL that may already have a query string.
func addQuery(base string, v url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	return base + sep + v.Encode()
}

// smsmodeReportURL is the notification_url call of a delivery report:
// numero, date_reception, statut, smsID, refClient, mcc_mnc.
func smsmodeReportURL(base string, ev store.StatusEvent, code int, publicID, refClient, mccmnc string, loc *time.Location) string {
	v := url.Values{}
	v.Set("numero", strings.TrimPrefix(ev.Message.Number, "+"))
	v.Set("date_reception", ev.At.In(loc).Format(smsmodeReportDate))
	v.Set("statut", strconv.Itoa(code))
	v.Set("smsID", publicID)
	v.Set("refClient", refClient)
	v.Set("mcc_mnc", mccmnc)
	return addQuery(base, v)
}

// smsmodeReplyURL is the notification_url_reponse call of a received SMS:
// numero (the box's number), message, emetteur, date_reception, smsID,
// refClient, responseID. The message is ISO-8859-15, sMsmode's charset.
func smsmodeReplyURL(base string, r store.Reply, boxNumber string, loc *time.Location) string {
	v := url.Values{}
	v.Set("numero", strings.TrimPrefix(boxNumber, "+"))
	v.Set("message", latin9(r.Text))
	v.Set("emetteur", strings.TrimPrefix(r.Number, "+"))
	v.Set("date_reception", r.ReceivedAt.In(loc).Format(smsmodeReplyDate))
	v.Set("smsID", r.SendPublicID)
	v.Set("refClient", r.RefClient)
	v.Set("responseID", strconv.FormatInt(r.ID, 10))
	return addQuery(base, v)
}

// latin9 encodes text as ISO-8859-15 bytes; characters it lacks become
// '?', as sMsmode documents.
func latin9(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteByte(byte(r))
		case r == '€':
			b.WriteByte(0xA4)
		case r == 'Š':
			b.WriteByte(0xA6)
		case r == 'š':
			b.WriteByte(0xA8)
		case r == 'Ž':
			b.WriteByte(0xB4)
		case r == 'ž':
			b.WriteByte(0xB8)
		case r == 'Œ':
			b.WriteByte(0xBC)
		case r == 'œ':
			b.WriteByte(0xBD)
		case r == 'Ÿ':
			b.WriteByte(0xBE)
		case r >= 0xA0 && r <= 0xFF && !strings.ContainsRune("\u00a4\u00a6\u00a8\u00b4\u00b8\u00bc\u00bd\u00be", r):
			b.WriteByte(byte(r))
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Kannel delivery report values (Kannel user guide, dlr-mask): each is a
// bit of the mask a sender chose. 4 ("buffered on the SMSC") has no
// counterpart: the box journals no event for an intermediate report.
const (
	dlrDelivered = 1  // delivered to the phone
	dlrFailed    = 2  // not delivered to the phone
	dlrSubmitted = 8  // accepted by the SMSC
	dlrRejected  = 16 // refused by the SMSC
)

// kannelDLR is the Kannel report value of a status change, 0 when Kannel
// has none for it.
func kannelDLR(ev store.StatusEvent) int {
	switch ev.Status {
	case store.StatusSent:
		return dlrSubmitted
	case store.StatusDelivered:
		return dlrDelivered
	case store.StatusExpired:
		return dlrFailed
	case store.StatusFailed:
		if ev.ReportFailed {
			return dlrFailed
		}
		return dlrRejected
	case store.StatusStopped:
		return dlrRejected
	}
	return 0
}

// kannelURL expands Kannel's escapes in a dlr-url (Kannel user guide,
// "Parameters (escape codes)"): %d report value, %p the phone the message
// went to (in a report Kannel swaps sender and receiver), %P the sender,
// %q/%Q the same with 00 for +, %t time "YYYY-MM-DD HH:MM", %T epoch, %A
// the SMSC's reply, %i the SMSC (modem), %I the message id, %n the
// service, %% a percent sign. Values are URL-escaped; unknown escapes stay.
func kannelURL(tmpl string, ev store.StatusEvent, value int, sender string, loc *time.Location) string {
	reply := "Delivered"
	switch value {
	case dlrSubmitted:
		reply = "ACK"
	case dlrFailed, dlrRejected:
		reply = "Failed"
		if ev.Message.Reason != "" {
			reply += ": " + ev.Message.Reason
		}
	}
	vals := map[byte]string{
		'd': strconv.Itoa(value),
		'p': ev.Message.Number,
		'P': sender,
		'q': ev.Message.Number,
		'Q': sender,
		't': ev.At.In(loc).Format("2006-01-02 15:04"),
		'T': strconv.FormatInt(ev.At.Unix(), 10),
		'A': reply,
		'i': ev.Message.Modem,
		'I': strconv.FormatInt(ev.Message.ID, 10),
		'n': "gsmbox",
	}
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '%' || i+1 >= len(tmpl) {
			b.WriteByte(c)
			continue
		}
		n := tmpl[i+1]
		if n == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if v, ok := vals[n]; ok {
			b.WriteString(url.QueryEscape(v))
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// statusJSON is the signed JSON of a status change.
type statusJSON struct {
	ID            string      `json:"id"`
	Event         string      `json:"event"`
	At            time.Time   `json:"at"`
	Message       messageJSON `json:"message"`
	SMSmodeStatus *int        `json:"smsmode_status,omitempty"`
}

type messageJSON struct {
	ID         int64      `json:"id"`
	SendID     string     `json:"send_id,omitempty"`
	AccountID  int64      `json:"account_id"`
	CampaignID int64      `json:"campaign_id,omitempty"`
	Number     string     `json:"number"`
	Status     string     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	RefClient  string     `json:"ref_client,omitempty"`
	Parts      int        `json:"parts"`
	Modem      string     `json:"modem,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func statusBody(ev store.StatusEvent, publicID string) []byte {
	m := ev.Message
	doc := statusJSON{
		ID: "j" + strconv.FormatInt(ev.JournalID, 10), Event: EventStatus, At: ev.At.UTC(),
		Message: messageJSON{ID: m.ID, SendID: publicID, AccountID: m.AccountID, CampaignID: m.CampaignID, Number: m.Number,
			Status: string(ev.Status), Reason: ev.Detail, RefClient: m.RefClient, Parts: m.Parts, Modem: m.Modem,
			SentAt: optTime(m.SentAt), DoneAt: optTime(m.DoneAt)},
	}
	if code, ok := smsmode.Status(ev.Status, ev.ReportFailed); ok {
		doc.SMSmodeStatus = &code
	}
	b, _ := json.Marshal(doc)
	return b
}

// inboundJSON is the signed JSON of a received SMS.
type inboundJSON struct {
	ID      string      `json:"id"`
	Event   string      `json:"event"`
	At      time.Time   `json:"at"`
	Inbound inboundBody `json:"inbound"`
}

type inboundBody struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
	Modem      string    `json:"modem"`
	Parts      int       `json:"parts"`
	Incomplete bool      `json:"incomplete,omitempty"`
	Keyword    string    `json:"keyword,omitempty"`
	ReplyTo    int64     `json:"reply_to,omitempty"`
	SendID     string    `json:"send_id,omitempty"`
	RefClient  string    `json:"ref_client,omitempty"`
}

func inboundBodyJSON(r store.Reply) []byte {
	b, _ := json.Marshal(inboundJSON{
		ID: "i" + strconv.FormatInt(r.ID, 10), Event: EventInbound, At: r.ReceivedAt.UTC(),
		Inbound: inboundBody{ID: r.ID, Number: r.Number, Text: r.Text, ReceivedAt: r.ReceivedAt.UTC(), Modem: r.Modem,
			Parts: r.Parts, Incomplete: r.Incomplete, Keyword: r.Keyword, ReplyTo: r.ReplyTo, SendID: r.SendPublicID, RefClient: r.RefClient},
	})
	return b
}
