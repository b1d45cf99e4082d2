package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"gsmbox/store"
	"gsmbox/ui/smsmode"
)

// smsmodeSend finds the send smsID of the caller's account.
func (s *Server) smsmodeSend(r *http.Request, a auth, p params, t smTable) (store.Send, error) {
	id := strings.TrimSpace(p.get("smsID"))
	if id == "" {
		return store.Send{}, t.fail(35, errors.New("no smsID"))
	}
	sd, err := s.st.SendByPublicID(r.Context(), a.Account.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return sd, t.fail(61, err)
	}
	if err != nil {
		return sd, t.wrap(err)
	}
	return sd, nil
}

// smsmodeReport is compteRendu.do: "numéro statut | numéro statut | ...",
// refused recipients included with their annex code (3998 invalid, 3999
// blacklisted).
func (s *Server) smsmodeReport(w http.ResponseWriter, r *http.Request) error {
	t := smReportTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	sd, err := s.smsmodeSend(r, a, p, t)
	if err != nil {
		return err
	}
	rs, err := s.st.SendRecipients(r.Context(), sd.ID)
	if err != nil {
		return t.wrap(err)
	}
	var items []string
	for _, rc := range rs {
		if code, ok := smsmode.Status(rc.Message.Status, rc.ReportFailed); ok {
			items = append(items, intl(rc.Message.Number)+" "+strconv.Itoa(code))
		}
	}
	for _, rj := range sd.Rejected {
		items = append(items, intl(rj.Number)+" "+strconv.Itoa(smsmode.RejectionStatus(rj.Reason)))
	}
	if len(items) == 0 {
		return t.fail(61, fmt.Errorf("send %s: every message cancelled", sd.PublicID))
	}
	writeSMSmode(w, strings.Join(items, " | "))
	return nil
}

// smsmodeStatus is smsStatus.do: "statut | description" of the whole send.
func (s *Server) smsmodeStatus(w http.ResponseWriter, r *http.Request) error {
	t := smStatusTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	sd, err := s.smsmodeSend(r, a, p, t)
	if err != nil {
		return err
	}
	rs, err := s.st.SendRecipients(r.Context(), sd.ID)
	if err != nil {
		return t.wrap(err)
	}
	code, ok := smsmode.SendStatus(rs)
	if !ok {
		return t.fail(61, fmt.Errorf("send %s: every message cancelled", sd.PublicID))
	}
	writeSMSmode(w, strconv.Itoa(code)+" | "+smsmode.Descriptions[code])
	return nil
}

// smsmodeDelete is deleteSMS.do: cancels what of a send (by smsID, or the
// latest send to numero) has not left yet. Messages already handed to a
// modem cannot be called back; when nothing was left to cancel the answer
// is 61.
func (s *Server) smsmodeDelete(w http.ResponseWriter, r *http.Request) error {
	t := smDeleteTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	var sd store.Send
	switch {
	case strings.TrimSpace(p.get("smsID")) != "":
		if sd, err = s.smsmodeSend(r, a, p, t); err != nil {
			return err
		}
	case strings.TrimSpace(p.get("numero")) != "":
		num, ok := s.q.NormalizeNumber(p.get("numero"))
		if !ok {
			return t.fail(35, fmt.Errorf("numero %q is not a phone number", p.get("numero")))
		}
		sd, err = s.st.LatestSendTo(r.Context(), a.Account.ID, num)
		if errors.Is(err, store.ErrNotFound) {
			return t.fail(61, err)
		}
		if err != nil {
			return t.wrap(err)
		}
	default:
		return t.fail(35, errors.New("neither smsID nor numero"))
	}
	ids, err := s.st.SendMessageIDs(r.Context(), sd.ID)
	if err != nil {
		return t.wrap(err)
	}
	done, err := s.cancelMessages(r.Context(), ids)
	if err != nil {
		return t.wrap(err)
	}
	if done == 0 {
		return t.fail(61, fmt.Errorf("send %s: nothing left to cancel", sd.PublicID))
	}
	writeSMSmode(w, "0 | "+t[0])
	return nil
}

// cancelMessages cancels the messages among ids not handed to a modem yet
// (SPEC Q3, credits refunded) and returns how many it cancelled; messages
// already sending or sent are left alone: a cancellation never lies about
// what left.
func (s *Server) cancelMessages(ctx context.Context, ids []int64) (int, error) {
	n := 0
	for _, id := range ids {
		err := s.q.Cancel(ctx, id)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if n > 0 && s.hooks != nil {
		s.hooks.Kick()
	}
	return n, nil
}

// smsmodeList is smsList.do: the last sends, one line each:
// "smsId | date_envoi | texte_sms | téléphone_destinataire |
// coût_en_crédit | nbre_de_destinataires |".
func (s *Server) smsmodeList(w http.ResponseWriter, r *http.Request) error {
	t := smListTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	n := 50
	if v := strings.TrimSpace(p.get("offset")); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return t.fail(35, fmt.Errorf("offset %q", v))
		}
	}
	sums, err := s.st.SendSummaries(r.Context(), a.Account.ID, n)
	if err != nil {
		return t.wrap(err)
	}
	var b strings.Builder
	for _, sm := range sums {
		at := sm.FirstAt
		if sm.ScheduleAt.After(at) {
			at = sm.ScheduleAt
		}
		if at.IsZero() {
			at = sm.Send.CreatedAt
		}
		nums := make([]string, len(sm.Numbers))
		for i, n := range sm.Numbers {
			nums[i] = intl(n)
		}
		if sm.Recipients > len(nums) {
			nums = append(nums, "...")
		}
		fmt.Fprintf(&b, "%s | %s | %s | %s | %d | %d |\n", sm.Send.PublicID, at.In(s.cfg.Location).Format(smsmodeDateLayout),
			oneLine(sm.Text), strings.Join(nums, ","), sm.Parts, sm.Recipients)
	}
	writeSMSmode(w, b.String())
	return nil
}

// oneLine keeps a text on one line of a line-based answer.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// smsmodeResponses is responseList.do: received replies, newest first, by
// page (start, offset) or by date (startDate, endDate):
// "response_ID | reception_date | from | text | to | message_ID".
func (s *Server) smsmodeResponses(w http.ResponseWriter, r *http.Request) error {
	t := smResponsesTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	f := store.ReplyFilter{Limit: 50}
	if !a.TopLevel() {
		f.AccountID = a.Account.ID
	}
	sd, ed := strings.TrimSpace(p.get("startDate")), strings.TrimSpace(p.get("endDate"))
	switch {
	case sd != "" || ed != "":
		if sd == "" || ed == "" {
			return t.fail(35, errors.New("startDate and endDate go together"))
		}
		if p.get("start") != "" || p.get("offset") != "" {
			return t.fail(35, errors.New("start/offset cannot be used with startDate/endDate"))
		}
		if f.From, err = s.parseSMSmodeDate(sd); err != nil {
			return t.fail(35, err)
		}
		if f.To, err = s.parseSMSmodeDate(ed); err != nil {
			return t.fail(35, err)
		}
		f.Limit = 1000
	default:
		if v := strings.TrimSpace(p.get("start")); v != "" {
			if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
				return t.fail(35, fmt.Errorf("start %q", v))
			}
		}
		if v := strings.TrimSpace(p.get("offset")); v != "" {
			if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 {
				return t.fail(35, fmt.Errorf("offset %q", v))
			}
		}
	}
	rs, err := s.st.Replies(r.Context(), f)
	if err != nil {
		return t.wrap(err)
	}
	var b strings.Builder
	for _, rp := range rs {
		fmt.Fprintf(&b, "%d | %s | %s | %s | %s | %s\n", rp.ID, rp.ReceivedAt.In(s.cfg.Location).Format(smsmodeDateLayout),
			intl(rp.Number), oneLine(rp.Text), rp.Modem, rp.SendPublicID)
	}
	writeSMSmode(w, b.String())
	return nil
}
