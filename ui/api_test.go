package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"gsmbox/store"
)

// decode unmarshals a JSON answer, failing the test on bad JSON.
func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("answer %d %q: %v", r.status, r.body, err)
	}
	return v
}

// errCode returns the error code of a JSON error answer.
func errCode(t *testing.T, r response) string {
	t.Helper()
	return decode[errorBody](t, r).Error.Code
}

func TestAPISendListGetCancel(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/messages", `{"to":["06 12 34 56 78","+33612345679","12"],"text":"Votre RDV demain à 10h","reference":"rdv-42"}`)
	tcompare(t, "status", r.status, 201)
	res := decode[sendResult](t, r)
	if res.Accepted != 2 || res.Parts != 2 || len(res.Messages) != 2 || len(res.Rejected) != 1 || res.Rejected[0].Reason != "invalid_number" || !publicID.MatchString(res.SendID) {
		t.Fatalf("result %+v", res)
	}
	// List, filter, page.
	list := decode[struct {
		Messages   []messageView `json:"messages"`
		NextBefore int64         `json:"next_before"`
	}](t, e.api("GET", "/api/v1/messages?limit=1", ""))
	if len(list.Messages) != 1 || list.NextBefore == 0 || list.Messages[0].SendID != res.SendID || list.Messages[0].RefClient != "rdv-42" {
		t.Fatalf("page 1 %+v", list)
	}
	page2 := decode[struct {
		Messages []messageView `json:"messages"`
	}](t, e.api("GET", fmt.Sprintf("/api/v1/messages?limit=1&before=%d", list.NextBefore), ""))
	if len(page2.Messages) != 1 || page2.Messages[0].ID >= list.Messages[0].ID {
		t.Fatalf("page 2 %+v", page2)
	}
	for _, q := range []string{"status=queued", "number=0612345678", "number=%2B3361234567", "q=rdv", "from=2026-03-02&to=2026-03-03"} {
		got := decode[struct {
			Messages []messageView `json:"messages"`
		}](t, e.api("GET", "/api/v1/messages?"+q, ""))
		want := 2
		if strings.HasPrefix(q, "number=06") {
			want = 1
		}
		if len(got.Messages) != want {
			t.Errorf("%s: %d messages", q, len(got.Messages))
		}
	}
	id := res.Messages[0].ID
	d := decode[messageDetail](t, e.api("GET", fmt.Sprintf("/api/v1/messages/%d", id), ""))
	if d.Message.Text != "Votre RDV demain à 10h" || len(d.Parts) != 1 || d.Parts[0].Status != "pending" || d.SMSmodeStatus == nil || *d.SMSmodeStatus != 1 {
		t.Fatalf("detail %+v", d)
	}
	r = e.api("POST", fmt.Sprintf("/api/v1/messages/%d/cancel", id), "")
	tcompare(t, "cancel", r.status, 200)
	if decode[messageDetail](t, r).Message.Status != "cancelled" {
		t.Fatalf("cancel %s", r.body)
	}
	r = e.api("POST", fmt.Sprintf("/api/v1/messages/%d/cancel", id), "")
	tcompare(t, "cancel again", r.status, 409)
	tcompare(t, "cancel again code", errCode(t, r), CodeNotCancellable)
	sv := decode[sendView](t, e.api("GET", "/api/v1/sends/"+res.SendID, ""))
	if len(sv.Messages) != 2 || len(sv.Rejected) != 1 || sv.Reference != "rdv-42" {
		t.Fatalf("send %+v", sv)
	}
	r = e.api("POST", "/api/v1/sends/"+res.SendID+"/cancel", "")
	tcompare(t, "cancel send", r.body, `{"cancelled":1}`+"\n")
	tcompare(t, "unknown message", e.api("GET", "/api/v1/messages/999", "").status, 404)
	tcompare(t, "bad id", e.api("GET", "/api/v1/messages/abc", "").status, 404)
	tcompare(t, "unknown send", e.api("GET", "/api/v1/sends/nope", "").status, 404)
}

func TestAPISendOptions(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	cid, _ := e.st.CreateContact(ctx, store.Contact{AccountID: 1, Mobile: "+33611111111", FirstName: "Ana"}, e.clock.Now())
	gid, _ := e.st.CreateGroup(ctx, store.Group{AccountID: 1, Name: "Équipe"}, e.clock.Now())
	c2, _ := e.st.CreateContact(ctx, store.Contact{AccountID: 1, Mobile: "+33622222222", FirstName: "Bob"}, e.clock.Now())
	e.st.AddMembers(ctx, gid, []int64{cid, c2}, e.clock.Now())
	body := `{"contacts":[` + itoa(cid) + `],"groups":["Équipe"],"text":"Bonjour {{first_name}}","at":"2026-03-03T08:00:00+01:00","channel":"marketing","flash":true,"validity":7200,"stop":2}`
	r := e.api("POST", "/api/v1/messages", body)
	tcompare(t, "status", r.status, 201)
	res := decode[sendResult](t, r)
	// Ana is named twice (contact and group): the duplicate guard keeps one.
	if res.Accepted != 2 || !res.Scheduled {
		t.Fatalf("%+v", res)
	}
	m, _ := e.st.Message(ctx, res.Messages[0].ID)
	if m.Status != store.StatusScheduled || m.Channel != store.ChannelMarketing || !m.Flash || m.Validity != 2*time.Hour ||
		!strings.HasPrefix(m.Text, "Bonjour Ana") || !strings.Contains(m.Text, "STOP") {
		t.Fatalf("message %+v", m)
	}
	// Per-recipient rows and a dry run.
	r = e.api("POST", "/api/v1/messages", `{"recipients":[{"number":"0633333333","text":"Code [[param1]]","values":{"param1":"1234"}}],"dry_run":true}`)
	tcompare(t, "dry run", r.status, 200)
	res = decode[sendResult](t, r)
	if !res.DryRun || res.Accepted != 1 || res.SendID != "" {
		t.Fatalf("dry run %+v", res)
	}
	if n, _ := e.st.Messages(ctx, store.MessageFilter{Number: "+33633333333"}); len(n) != 0 {
		t.Fatal("dry run stored a message")
	}
}

// TestAPISendBadInput: each refusal with its code, nothing stored.
func TestAPISendBadInput(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.st.CreateGroup(ctx, store.Group{AccountID: 1, Name: "Vide"}, e.clock.Now())
	e.st.AddStop(ctx, store.StopEntry{Number: "+33699999999", CreatedAt: e.clock.Now(), Source: "ui"})
	tests := []struct {
		body   string
		status int
		code   string
	}{
		{`{"text":"x"}`, 400, CodeNoRecipient},
		{`{"to":["0612345678"]}`, 400, CodeEmptyText},
		{`{"to":["0612345678"],"text":"  "}`, 400, CodeEmptyText},
		{`{"to":["12","abc"],"text":"x"}`, 422, CodeInvalidNumber},
		{`{"to":["0612345678"],"text":"` + strings.Repeat("a", 2000) + `"}`, 422, CodeTextTooLong},
		{`{"to":["0612345678"],"text":"` + strings.Repeat("a", 200) + `","max_parts":1}`, 422, CodeTextTooLong},
		{`{"to":["0612345678"],"text":"x","at":"demain"}`, 400, CodeBadDate},
		{`{"to":["0612345678"],"text":"x","at":"2026-13-01"}`, 400, CodeBadDate},
		{`{"groups":["Inconnu"],"text":"x"}`, 400, CodeUnknownGroup},
		{`{"groups":["Vide"],"text":"x"}`, 400, CodeNoRecipient},
		{`{"contacts":[4242],"text":"x"}`, 422, CodeUnknownContact},
		{`{"to":["+33699999999"],"text":"x"}`, 422, CodeStopList},
		{`{"to":["0612345678"],"text":"x","channel":"sms"}`, 400, CodeInvalidParameter},
		{`{"to":["0612345678"],"text":"x","stop":3}`, 400, CodeInvalidParameter},
		{`{"to":["0612345678"],"text":"x","validity":999999}`, 400, CodeInvalidParameter},
		{`{"to":["0612345678"],"text":"x","notify_url":"javascript:alert(1)"}`, 400, CodeInvalidParameter},
		{`{"to":["0612345678"],"text":"x","repeat":"hourly"}`, 400, CodeInvalidParameter},
		{`{"to":"0612345678","text":"x"}`, 400, CodeInvalidJSON},
	}
	for _, tc := range tests {
		r := e.api("POST", "/api/v1/messages", tc.body)
		if r.status != tc.status || errCode(t, r) != tc.code {
			t.Errorf("%.80s: %d %s, want %d %s", tc.body, r.status, r.body, tc.status, tc.code)
		}
	}
	r := e.do("POST", "/api/v1/messages", `{"to":["0612345678"],"text":"x"}`, map[string]string{"Authorization": "Bearer nope"})
	tcompare(t, "wrong key", r.status, 401)
	tcompare(t, "nothing stored", e.countMessages(), 0)
	tcompare(t, "no send stored", e.sendCount(), 0)
	// Credits, then quota.
	acct, _ := e.st.Account(ctx, 1)
	acct.Limited, acct.Credits = true, 1
	e.st.UpdateAccount(ctx, acct)
	r = e.api("POST", "/api/v1/messages", `{"to":["0612345678","0612345679"],"text":"x"}`)
	tcompare(t, "credits status", r.status, 402)
	tcompare(t, "credits code", errCode(t, r), CodeInsufficientCredits)
	acct.Limited, acct.DailyQuota = false, 1
	e.st.UpdateAccount(ctx, acct)
	r = e.api("POST", "/api/v1/messages", `{"to":["0612345678","0612345679"],"text":"x"}`)
	tcompare(t, "quota status", r.status, 429)
	tcompare(t, "quota code", errCode(t, r), CodeQuotaExceeded)
	tcompare(t, "still nothing stored", e.countMessages(), 0)
}

func TestAPIInboxConversationsCallsModems(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	at := e.clock.Now()
	err := e.st.Write(ctx, func(tx *store.Tx) error {
		for i, txt := range []string{"Bonjour", "<script>alert(1)</script>"} {
			if _, _, err := tx.InsertInbound(store.Inbound{Number: "+33612345678", Modem: "m1", Text: txt, Encoding: "gsm7", Parts: 1,
				SCTS: at, ReceivedAt: at.Add(time.Duration(i) * time.Second), ClockOK: true, DedupeKey: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.st.InsertCall(ctx, store.Call{Number: "+33612345678", Modem: "m1", At: at})
	in := decode[struct {
		Messages []inboundView `json:"messages"`
	}](t, e.api("GET", "/api/v1/inbox?unread=1", ""))
	if len(in.Messages) != 2 || in.Messages[0].Text != "<script>alert(1)</script>" || in.Messages[0].Read {
		t.Fatalf("inbox %+v", in)
	}
	r := e.api("POST", fmt.Sprintf("/api/v1/inbox/%d/read", in.Messages[0].ID), "")
	if !decode[inboundView](t, r).Read {
		t.Fatalf("read %s", r.body)
	}
	cs := decode[struct {
		Conversations []conversationView `json:"conversations"`
	}](t, e.api("GET", "/api/v1/conversations", ""))
	if len(cs.Conversations) != 1 || cs.Conversations[0].Unread != 1 {
		t.Fatalf("conversations %+v", cs)
	}
	th := decode[struct {
		Messages []threadItemView `json:"messages"`
	}](t, e.api("GET", "/api/v1/conversations/"+url.PathEscape("+33612345678"), ""))
	if len(th.Messages) != 2 || th.Messages[0].Direction != "in" {
		t.Fatalf("thread %+v", th)
	}
	tcompare(t, "read conversation", e.api("POST", "/api/v1/conversations/0612345678/read", "").status, 204)
	cs = decode[struct {
		Conversations []conversationView `json:"conversations"`
	}](t, e.api("GET", "/api/v1/conversations", ""))
	tcompare(t, "unread after", cs.Conversations[0].Unread, 0)
	calls := decode[struct {
		Calls []callView `json:"calls"`
	}](t, e.api("GET", "/api/v1/calls?number=0612345678", ""))
	tcompare(t, "calls", len(calls.Calls), 1)
	mods := decode[struct {
		Modems []modemView `json:"modems"`
	}](t, e.api("GET", "/api/v1/modems", ""))
	if len(mods.Modems) != 1 || !mods.Modems[0].Ready || mods.Modems[0].OperatorCode != "20801" {
		t.Fatalf("modems %+v", mods)
	}
	tcompare(t, "unknown inbound", e.api("GET", "/api/v1/inbox/999", "").status, 404)
	tcompare(t, "bad before", errCode(t, e.api("GET", "/api/v1/inbox?before=x", "")), CodeInvalidParameter)
}

func TestAPIDirectory(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/contacts", `{"mobile":"06 11 22 33 44","last_name":"Dupond","first_name":"Jacques","fields":{"ville":"Paris"}}`)
	tcompare(t, "create contact", r.status, 201)
	c := decode[contactView](t, r)
	tcompare(t, "mobile", c.Mobile, "+33611223344")
	tcompare(t, "duplicate mobile", e.api("POST", "/api/v1/contacts", `{"mobile":"+33611223344"}`).status, 409)
	tcompare(t, "invalid mobile", errCode(t, e.api("POST", "/api/v1/contacts", `{"mobile":"12"}`)), CodeInvalidNumber)
	r = e.api("PUT", fmt.Sprintf("/api/v1/contacts/%d", c.ID), `{"mobile":"+33611223344","last_name":"Dupont","blocked":true}`)
	if got := decode[contactView](t, r); got.LastName != "Dupont" || !got.Blocked {
		t.Fatalf("update %s", r.body)
	}
	g := decode[groupView](t, e.api("POST", "/api/v1/groups", `{"name":"Clients","description":"VIP"}`))
	g2 := decode[groupView](t, e.api("POST", "/api/v1/groups", `{"name":"Anciens"}`))
	tcompare(t, "duplicate group", e.api("POST", "/api/v1/groups", `{"name":"Clients"}`).status, 409)
	tcompare(t, "empty group name", errCode(t, e.api("POST", "/api/v1/groups", `{"name":" "}`)), CodeMissingParameter)
	r = e.api("POST", fmt.Sprintf("/api/v1/groups/%d/members", g.ID), fmt.Sprintf(`{"contacts":[%d]}`, c.ID))
	tcompare(t, "members", decode[groupView](t, r).Members, 1)
	tcompare(t, "unknown member", errCode(t, e.api("POST", fmt.Sprintf("/api/v1/groups/%d/members", g.ID), `{"contacts":[999]}`)), CodeUnknownContact)
	r = e.api("POST", fmt.Sprintf("/api/v1/groups/%d/members/move", g.ID), fmt.Sprintf(`{"to":%d,"contacts":[%d]}`, g2.ID, c.ID))
	tcompare(t, "moved", decode[groupView](t, r).Members, 1)
	tcompare(t, "source empty", decode[groupView](t, e.api("GET", fmt.Sprintf("/api/v1/groups/%d", g.ID), "")).Members, 0)
	ms := decode[struct {
		Contacts []contactView `json:"contacts"`
	}](t, e.api("GET", fmt.Sprintf("/api/v1/groups/%d/members", g2.ID), ""))
	tcompare(t, "members of the target", len(ms.Contacts), 1)
	tcompare(t, "remove member", e.api("DELETE", fmt.Sprintf("/api/v1/groups/%d/members/%d", g2.ID, c.ID), "").status, 204)
	list := decode[struct {
		Contacts []contactView `json:"contacts"`
	}](t, e.api("GET", "/api/v1/contacts?q=Dup", ""))
	tcompare(t, "search", len(list.Contacts), 1)
	tcompare(t, "rename group", decode[groupView](t, e.api("PUT", fmt.Sprintf("/api/v1/groups/%d", g.ID), `{"name":"Clients 2026"}`)).Name, "Clients 2026")
	tcompare(t, "delete group", e.api("DELETE", fmt.Sprintf("/api/v1/groups/%d", g.ID), "").status, 204)
	tcompare(t, "deleted group", e.api("GET", fmt.Sprintf("/api/v1/groups/%d", g.ID), "").status, 404)
	tcompare(t, "delete contact", e.api("DELETE", fmt.Sprintf("/api/v1/contacts/%d", c.ID), "").status, 204)
	tcompare(t, "deleted contact", e.api("GET", fmt.Sprintf("/api/v1/contacts/%d", c.ID), "").status, 404)
}

func TestAPIStopList(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/messages", `{"to":["0612345678"],"text":"promo","at":"2026-03-05T10:00"}`)
	tcompare(t, "scheduled send", r.status, 201)
	r = e.api("POST", "/api/v1/stop", `{"number":"06 12 34 56 78","note":"asked by phone"}`)
	tcompare(t, "add stop", r.status, 201)
	tcompare(t, "stop answer", r.body, `{"added":true,"number":"+33612345678","stopped_messages":1}`+"\n")
	tcompare(t, "add again", e.api("POST", "/api/v1/stop", `{"number":"+33612345678"}`).status, 200)
	list := decode[struct {
		Numbers []stopView `json:"numbers"`
	}](t, e.api("GET", "/api/v1/stop", ""))
	if len(list.Numbers) != 1 || list.Numbers[0].Source != "api" || list.Numbers[0].Note != "asked by phone" {
		t.Fatalf("stop list %+v", list)
	}
	tcompare(t, "send to a stopped number", errCode(t, e.api("POST", "/api/v1/messages", `{"to":["0612345678"],"text":"x"}`)), CodeStopList)
	tcompare(t, "remove", e.api("DELETE", "/api/v1/stop/%2B33612345678", "").status, 204)
	tcompare(t, "remove again", e.api("DELETE", "/api/v1/stop/0612345678", "").status, 404)
	tcompare(t, "invalid", errCode(t, e.api("POST", "/api/v1/stop", `{"number":"x"}`)), CodeInvalidNumber)
}

// TestAPIAccounts: sub-accounts, credits per part, transfers, key scope
// (SPEC Q11).
func TestAPIAccounts(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/accounts", `{"name":"agence-lyon","credits":10,"daily_quota":100}`)
	tcompare(t, "create", r.status, 201)
	sub := decode[accountDetail](t, r)
	if sub.Credits == nil || *sub.Credits != 10 || sub.ParentID != 1 || sub.DailyQuota != 100 {
		t.Fatalf("sub %+v", sub)
	}
	tcompare(t, "duplicate name", e.api("POST", "/api/v1/accounts", `{"name":"agence-lyon"}`).status, 409)
	k := decode[apiKeyView](t, e.api("POST", "/api/v1/apikeys", fmt.Sprintf(`{"name":"lyon","account_id":%d}`, sub.ID)))
	subH := map[string]string{"Authorization": "Bearer " + k.Key, "Content-Type": "application/json"}
	// A 2-part message costs 2 credits.
	r = e.do("POST", "/api/v1/messages", `{"to":["0612345678"],"text":"`+strings.Repeat("x", 200)+`"}`, subH)
	tcompare(t, "sub send", r.status, 201)
	me := decode[accountDetail](t, e.do("GET", "/api/v1/account", nil, subH))
	if *me.Credits != 8 || me.Today.Parts != 2 || me.Today.Messages != 1 {
		t.Fatalf("after send %+v", me)
	}
	// The sub-account sees its messages only; the parent sees it with
	// account_id; box-wide routes are refused.
	own := decode[struct {
		Messages []messageView `json:"messages"`
	}](t, e.do("GET", "/api/v1/messages", nil, subH))
	tcompare(t, "sub's messages", len(own.Messages), 1)
	parent := decode[struct {
		Messages []messageView `json:"messages"`
	}](t, e.api("GET", "/api/v1/messages", ""))
	tcompare(t, "parent's own messages", len(parent.Messages), 0)
	parent = decode[struct {
		Messages []messageView `json:"messages"`
	}](t, e.api("GET", fmt.Sprintf("/api/v1/messages?account_id=%d", sub.ID), ""))
	tcompare(t, "parent sees the sub's", len(parent.Messages), 1)
	tcompare(t, "sub cannot see the parent", e.do("GET", "/api/v1/messages?account_id=1", nil, subH).status, 403)
	tcompare(t, "sub cannot read the inbox", e.do("GET", "/api/v1/inbox", nil, subH).status, 403)
	tcompare(t, "sub cannot read another's message", e.do("GET", fmt.Sprintf("/api/v1/messages/%d", 999), nil, subH).status, 404)
	// Not enough credits: 402, nothing stored.
	r = e.do("POST", "/api/v1/messages", `{"to":["0612345670","0612345672"],"text":"`+strings.Repeat("x", 700)+`"}`, subH)
	tcompare(t, "insufficient", r.status, 402)
	// Transfers both ways.
	r = e.api("POST", "/api/v1/credits/transfer", fmt.Sprintf(`{"to":%d,"amount":5}`, sub.ID))
	tcompare(t, "transfer", r.status, 200)
	r = e.api("POST", "/api/v1/credits/transfer", fmt.Sprintf(`{"from":%d,"to":1,"amount":100}`, sub.ID))
	tcompare(t, "take back too much", r.status, 402)
	r = e.do("POST", "/api/v1/credits/transfer", `{"to":1,"amount":0}`, subH)
	tcompare(t, "zero", errCode(t, r), CodeInvalidParameter)
	acc := decode[struct {
		Accounts []accountDetail `json:"accounts"`
	}](t, e.api("GET", "/api/v1/accounts", ""))
	if len(acc.Accounts) != 2 || *acc.Accounts[1].Credits != 13 {
		t.Fatalf("accounts %+v", acc)
	}
	r = e.api("PUT", fmt.Sprintf("/api/v1/accounts/%d", sub.ID), `{"daily_quota":2,"low_credit":20}`)
	if d := decode[accountDetail](t, r); d.DailyQuota != 2 || !d.LowCredit {
		t.Fatalf("update %s", r.body)
	}
	r = e.do("POST", "/api/v1/messages", `{"to":["0612345671"],"text":"q"}`, subH)
	tcompare(t, "quota", r.status, 429)
	tcompare(t, "cannot delete with messages", e.api("DELETE", fmt.Sprintf("/api/v1/accounts/%d", sub.ID), "").status, 409)
	sub2 := decode[accountDetail](t, e.api("POST", "/api/v1/accounts", `{"name":"vide","credits":3}`))
	tcompare(t, "delete", e.api("DELETE", fmt.Sprintf("/api/v1/accounts/%d", sub2.ID), "").status, 204)
	tcompare(t, "deleted", e.api("GET", fmt.Sprintf("/api/v1/accounts/%d", sub2.ID), "").status, 404)
	tcompare(t, "sub cannot create for the parent", e.do("POST", "/api/v1/apikeys", `{"name":"x","account_id":1}`, subH).status, 400)
}

func TestAPIStatistics(t *testing.T) {
	e := newTestEnv(t)
	e.api("POST", "/api/v1/messages", `{"to":["0612345678","0612345679"],"text":"stats"}`)
	r := e.api("GET", "/api/v1/statistics?from=2026-03-01&to=2026-03-02", "")
	tcompare(t, "status", r.status, 200)
	s := decode[struct {
		Days   []statsDay       `json:"days"`
		Totals statsDay         `json:"totals"`
		Source []groupCountView `json:"by_source"`
		Queue  map[string]int   `json:"queue"`
	}](t, r)
	if len(s.Days) != 2 || s.Days[1].Messages["queued"] != 2 || s.Totals.Parts != 2 || s.Queue["queued"] != 2 ||
		len(s.Source) != 1 || s.Source[0].Key != "api" {
		t.Fatalf("statistics %s", r.body)
	}
	tcompare(t, "bad date", errCode(t, e.api("GET", "/api/v1/statistics?from=01/03/2026", "")), CodeBadDate)
	tcompare(t, "too long", errCode(t, e.api("GET", "/api/v1/statistics?from=2020-01-01&to=2026-01-01", "")), CodeBadDate)
}

func TestAPIWebhookEndpoints(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/webhooks", `{"url":"http://127.0.0.1:9/hook","events":["inbound"]}`)
	tcompare(t, "create", r.status, 201)
	ep := decode[endpointView](t, r)
	if ep.Secret == "" || ep.Format != "json" {
		t.Fatalf("endpoint %+v", ep)
	}
	list := e.api("GET", "/api/v1/webhooks", "")
	if strings.Contains(list.body, ep.Secret) || !strings.Contains(list.body, "127.0.0.1:9") {
		t.Fatalf("list %s", list.body)
	}
	tcompare(t, "bad url", errCode(t, e.api("POST", "/api/v1/webhooks", `{"url":"file:///etc/passwd"}`)), CodeInvalidParameter)
	tcompare(t, "bad event", errCode(t, e.api("POST", "/api/v1/webhooks", `{"url":"http://x/","events":["all"]}`)), CodeInvalidParameter)
	r = e.api("GET", "/api/v1/webhooks/outbox?state=failed", "")
	tcompare(t, "outbox", r.status, 200)
	tcompare(t, "bad state", errCode(t, e.api("GET", "/api/v1/webhooks/outbox?state=x", "")), CodeInvalidParameter)
	tcompare(t, "retry unknown", e.api("POST", "/api/v1/webhooks/outbox/42/retry", "").status, 404)
	tcompare(t, "delete", e.api("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", ep.ID), "").status, 204)
	tcompare(t, "delete again", e.api("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", ep.ID), "").status, 404)
}
