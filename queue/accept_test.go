package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"gsmbox/store"
)

func TestNormalizeNumber(t *testing.T) {
	cases := []struct {
		in, region, want string
	}{
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"0612345678", "FR", "+33612345678"},
		{"+33612345678", "FR", "+33612345678"},
		{"0033612345678", "FR", "+33612345678"},
		{"33612345678", "FR", "+33612345678"}, // sMsmode international without +
		{"06.12.34.56.78", "FR", "+33612345678"},
		{"21626676779", "TN", "+21626676779"},
		{"26676779", "TN", "+21626676779"},
		{"+21626676779", "FR", "+21626676779"},
		{"0612", "FR", ""},
		{"hello", "FR", ""},
		{"", "FR", ""},
		{"+999123", "FR", ""},
	}
	for _, c := range cases {
		n, err := newNormalizer(c.region)
		tcheck(t, err, "normalizer")
		got, ok := n.normalize(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("normalize(%q, %s) = %q, %v; want %q", c.in, c.region, got, ok, c.want)
		}
	}
}

// TestNormalizeShortcut checks that the shortcut gives what the full
// parser gives, for every calling code and a spread of national numbers.
func TestNormalizeShortcut(t *testing.T) {
	for _, region := range []string{"FR", "TN", "BE", "US", "GB", "AR", "IT"} {
		n, err := newNormalizer(region)
		tcheck(t, err, "normalizer")
		var inputs []string
		for code := range phonenumbers.GetSupportedCallingCodes() {
			for _, nat := range []string{"612345678", "712345678", "123456789", "20123456", "9876543210", "55512345", "3312345678"} {
				inputs = append(inputs, fmt.Sprintf("+%d%s", code, nat))
			}
		}
		for _, nat := range []string{"0612345678", "0712345678", "0123456789", "0470123456", "01612345678"} {
			inputs = append(inputs, nat, nat[:2]+" "+nat[2:4]+" "+nat[4:])
		}
		short := 0
		for _, in := range inputs {
			e, ok := n.shortcut(in)
			if !ok {
				continue
			}
			short++
			num, err := phonenumbers.Parse(in, region)
			if err != nil || !phonenumbers.IsValidNumber(num) || phonenumbers.Format(num, phonenumbers.E164) != e {
				t.Errorf("%s: shortcut(%q) = %q, the parser says otherwise (%v)", region, in, e, err)
			}
		}
		if region == "FR" && short < 20 {
			t.Errorf("the shortcut decided only %d numbers", short)
		}
	}
}

func TestTemplate(t *testing.T) {
	c := &store.Contact{FirstName: "Élodie", LastName: "Martin", Mobile: "+33612345678", Fields: map[string]string{"v2": "Lyon", "city": "Paris"}}
	cases := []struct {
		text    string
		values  map[string]string
		contact *store.Contact
		want    string
		missing string
	}{
		{"bonjour [[param1]] [[param2]]", map[string]string{"param1": "lyly", "param2": "miyang"}, nil, "bonjour lyly miyang", ""},
		{"Bonjour [v1], oral à [v2]", map[string]string{"v1": "Karyne"}, c, "Bonjour Karyne, oral à Lyon", ""},
		{"Bonjour {{prenom}} {{ last_name }} de {{city}}", nil, c, "Bonjour Élodie Martin de Paris", ""},
		{"[[Param1]]", map[string]string{"param1": "x"}, nil, "", "[[Param1]]"},
		{"{{x}} stays {{x}}", map[string]string{"x": "{{x}}"}, nil, "{{x}} stays {{x}}", ""},
		{"no [[ field ]] [v] {{}} [x1]", nil, nil, "no [[ field ]] [v] {{}} [x1]", ""},
		{"unclosed [[param1", map[string]string{"param1": "x"}, nil, "unclosed [[param1", ""},
	}
	for _, tc := range cases {
		got, missing := parseTemplate(tc.text).render(tc.values, tc.contact)
		if got != tc.want || missing != tc.missing {
			t.Errorf("render(%q) = %q, missing %q; want %q, %q", tc.text, got, missing, tc.want, tc.missing)
		}
	}
}

func TestSubmitFilters(t *testing.T) {
	q, st, clk := newAcceptQueue(t, Config{})
	ctx := context.Background()
	now := clk.Now()
	g, err := st.CreateGroup(ctx, store.Group{Name: "clients"}, now)
	tcheck(t, err, "group")
	var members []int64
	for _, c := range []store.Contact{
		{Mobile: "+33611111111", FirstName: "Ana"},
		{Mobile: "+33622222222", FirstName: "Bob"},   // on the STOP list
		{Mobile: "+33633333333", FirstName: "Chloé"}, // got the same text an hour ago
		{Mobile: "+33644444444", FirstName: "Dan", Blocked: true},
		{Mobile: "+33655555555"}, // no first name: the merge fails
	} {
		id, err := st.CreateContact(ctx, c, now)
		tcheck(t, err, "contact")
		members = append(members, id)
	}
	tcheck(t, st.AddMembers(ctx, g, members, now), "members")
	_, err = st.AddStop(ctx, store.StopEntry{Number: "+33622222222", CreatedAt: now, Source: "sms"})
	tcheck(t, err, "stop")
	// An hour earlier, Chloé got the very text she would get now.
	_, err = q.Submit(ctx, Request{Numbers: []string{"+33633333333"}, Text: "Bonjour Chloé, -20% ce week-end"})
	tcheck(t, err, "earlier send")
	clk.Advance(time.Hour)

	rc, err := q.Submit(ctx, Request{
		Text:     "Bonjour {{first_name}}, -20% ce week-end",
		Numbers:  []string{"06 11 11 11 11", "not a number", "0699"},
		GroupIDs: []int64{g},
		Campaign: "promo",
		Channel:  Marketing,
	})
	tcheck(t, err, "submit")
	want := []struct {
		input  string
		reason Reason
	}{
		{"06 11 11 11 11", ""},
		{"not a number", ReasonInvalidNumber},
		{"0699", ReasonInvalidNumber},
		{"+33611111111", ReasonDuplicate}, // also listed by number above: sent once
		{"+33622222222", ReasonStopList},
		{"+33633333333", ReasonDuplicate},
		{"+33644444444", ReasonBlocked},
		{"+33655555555", ReasonMergeField},
	}
	if len(rc.Results) != len(want) {
		t.Fatalf("%d results: %+v", len(rc.Results), rc.Results)
	}
	for i, w := range want {
		r := rc.Results[i]
		if r.Input != w.input || r.Reason != w.reason || (r.MessageID != 0) != (w.reason == "") {
			t.Errorf("result %d = %+v, want input %q reason %q", i, r, w.input, w.reason)
		}
		if r.Reason != "" && r.Detail == "" {
			t.Errorf("result %d has no detail", i)
		}
	}
	if rc.Accepted != 1 || rc.CampaignID == 0 {
		t.Fatalf("receipt %+v", rc)
	}
	if rc.Results[0].Number != "+33611111111" || rc.Results[0].ContactID != members[0] {
		t.Errorf("number typed by hand not matched to its contact: %+v", rc.Results[0])
	}
	m, err := st.Message(ctx, rc.Results[0].MessageID)
	tcheck(t, err, "message")
	if m.Text != "Bonjour Ana, -20% ce week-end" || m.Status != store.StatusQueued || m.Channel != store.ChannelMarketing || m.CampaignID != rc.CampaignID {
		t.Errorf("stored %+v", m)
	}
	c, err := q.Campaign(ctx, rc.CampaignID)
	tcheck(t, err, "campaign")
	if c.Recipients != 1 || c.Rejected[string(ReasonDuplicate)] != 2 || c.Rejected[string(ReasonStopList)] != 1 || c.Counts[store.StatusQueued] != 1 {
		t.Errorf("campaign %+v", c)
	}
	if ReasonDuplicate.SMStoBCode() != 91 || ReasonInvalidNumber.SMStoBCode() != 84 {
		t.Error("SMStoB codes")
	}
	// Everything rejected: an error, and nothing stored.
	rc, err = q.Submit(ctx, Request{Numbers: []string{"+33622222222"}, Text: "x"})
	if !errors.Is(err, ErrNoneAccepted) || rc.Results[0].Reason != ReasonStopList {
		t.Fatalf("all rejected: %v %+v", err, rc)
	}
}

func TestSubmitEncodesParts(t *testing.T) {
	q, st, _ := newAcceptQueue(t, Config{})
	ctx := context.Background()
	long := strings.Repeat("Une phrase de test assez longue. ", 12) // 396 chars: 3 parts
	rc, err := q.Submit(ctx, Request{Numbers: []string{"+33611111111", "+33622222222"}, Text: long})
	tcheck(t, err, "submit")
	if rc.Parts != 6 {
		t.Fatalf("parts %d, want 6", rc.Parts)
	}
	var refs []byte
	for _, id := range ids(rc) {
		ps, err := st.Parts(ctx, id)
		tcheck(t, err, "parts")
		if len(ps) != 3 {
			t.Fatalf("message %d has %d parts", id, len(ps))
		}
		// TPDU: first octet, MR, DA (len, toa, digits), PID, DCS, [VP], UDL, UDH...
		// The concatenation IE is 00 03 ref total seq.
		udh := ps[0].TPDU
		i := strings.Index(string(udh), "\x00\x03")
		if i < 0 {
			t.Fatalf("no concatenation IE in %X", ps[0].TPDU)
		}
		refs = append(refs, udh[i+2])
	}
	if refs[0] == refs[1] {
		t.Errorf("two long messages share concatenation reference %d (SPEC P6)", refs[0])
	}
	// The counter is persisted: the next submit continues after it.
	rc, err = q.Submit(ctx, Request{Numbers: []string{"+33633333333"}, Text: long})
	tcheck(t, err, "submit")
	ps, err := st.Parts(ctx, ids(rc)[0])
	tcheck(t, err, "parts")
	i := strings.Index(string(ps[0].TPDU), "\x00\x03")
	if r := ps[0].TPDU[i+2]; r == refs[0] || r == refs[1] {
		t.Errorf("reference %d reused", r)
	}
	// Too long.
	rc, err = q.Submit(ctx, Request{Numbers: []string{"+33633333333"}, Text: strings.Repeat("x", 2000)})
	if !errors.Is(err, ErrNoneAccepted) || rc.Results[0].Reason != ReasonTooLong {
		t.Fatalf("too long: %v %+v", err, rc)
	}
}

func TestSubmitCreditsQuotaDryRun(t *testing.T) {
	q, st, _ := newAcceptQueue(t, Config{})
	ctx := context.Background()
	acc, err := st.CreateAccount(ctx, store.Account{Name: "shop", Limited: true, Credits: 3, DailyQuota: 5, LowCredit: 2}, t0)
	tcheck(t, err, "account")
	events, cancel := q.Subscribe(4)
	defer cancel()
	rc, err := q.Submit(ctx, Request{AccountID: acc, Numbers: []string{"+33611111111", "+33622222222"}, Text: "a", DryRun: true})
	tcheck(t, err, "dry run")
	if rc.Accepted != 2 || rc.Results[0].MessageID != 0 {
		t.Fatalf("dry run %+v", rc)
	}
	a, _ := st.Account(ctx, acc)
	if a.Credits != 3 {
		t.Fatalf("a dry run charged credits: %d", a.Credits)
	}
	_, err = q.Submit(ctx, Request{AccountID: acc, Numbers: []string{"+33611111111", "+33622222222", "+33633333333", "+33644444444"}, Text: "a"})
	if !errors.Is(err, ErrNoCredits) {
		t.Fatalf("4 parts with 3 credits: %v", err)
	}
	rc, err = q.Submit(ctx, Request{AccountID: acc, Numbers: []string{"+33611111111", "+33622222222", "+33633333333"}, Text: "a"})
	tcheck(t, err, "3 parts with 3 credits")
	if rc.CreditsLeft != 0 || !rc.LowCredit {
		t.Fatalf("receipt %+v", rc)
	}
	if e := <-events; e.Kind != EventLowCredit || e.AccountID != acc {
		t.Fatalf("event %+v", e)
	}
	a, _ = st.Account(ctx, acc)
	if a.Credits != 0 {
		t.Fatalf("credits left %d", a.Credits)
	}
	tcheck(t, st.UpdateAccount(ctx, store.Account{ID: acc, Name: "shop", Limited: true, Credits: 100, DailyQuota: 5}), "top up")
	_, err = q.Submit(ctx, Request{AccountID: acc, Numbers: []string{"+33611111111", "+33622222222", "+33633333333"}, Text: "b"})
	if !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("quota: %v", err)
	}
}

func TestSubmitScheduleThrottleStopMention(t *testing.T) {
	q, st, clk := newAcceptQueue(t, Config{})
	ctx := context.Background()
	at := clk.Now().Add(2 * time.Hour)
	var numbers []string
	for i := range 5 {
		numbers = append(numbers, "+3361111111"+string(rune('0'+i)))
	}
	rc, err := q.Submit(ctx, Request{Numbers: numbers, Text: "Soldes", At: at, ThrottleCount: 2, ThrottlePause: 10 * time.Minute, StopMention: StopIfFree})
	tcheck(t, err, "submit")
	if rc.CampaignID == 0 || !rc.Scheduled {
		t.Fatalf("receipt %+v", rc)
	}
	for i, id := range ids(rc) {
		m, err := st.Message(ctx, id)
		tcheck(t, err, "message")
		want := at.Add(time.Duration(i/2) * 10 * time.Minute)
		if m.Status != store.StatusScheduled || !m.ScheduledAt.Equal(want) {
			t.Errorf("message %d: %s at %v, want scheduled at %v", i, m.Status, m.ScheduledAt, want)
		}
		if m.Text != "Soldes "+DefaultStopText {
			t.Errorf("text %q", m.Text)
		}
	}
}
