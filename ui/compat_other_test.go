package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gsmbox/store"
)

// url2smsAnswer is the XML answer of a status.
func url2smsAnswer(code int, message, id string) string {
	s := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<response><status>` + itoa(int64(code)) + `</status><message><![CDATA[` + message + `]]></message>`
	if id != "" {
		s += `<id>` + id + `</id>`
	}
	return s + `</response>` + "\n"
}

func TestURL2SMS(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, method := range []string{"GET", "POST"} {
		send := func(q string) response {
			q = strings.ReplaceAll(q, "KEY", e.key)
			if method == "GET" {
				return e.rawGet("/url2sms?" + q)
			}
			return e.do("POST", "/url2sms", q, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		}
		// The seed's form: key, mobile (international), sender, sms.
		r := send("key=KEY&mobile=3312345678,33612345678&sender=Resto&sms=Table+pr%C3%AAte+" + method)
		if r.status != 200 || !strings.HasPrefix(r.body, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<response><status>200</status><message><![CDATA[OK]]></message><id>") {
			t.Fatalf("%s: %d %q", method, r.status, r.body)
		}
		// Capitalised names, as the seed's table writes them.
		r = send("Key=KEY&Mobile=33612345679&SMS=Hello+" + method)
		if !strings.Contains(r.body, "<status>200</status>") {
			t.Fatalf("capitalised: %q", r.body)
		}
		before := e.countMessages()
		bad := []struct {
			q    string
			code int
			msg  string
		}{
			{"mobile=33612345678&sms=x", 400, "absence d'id"},
			{"key=gsm_nope-nope-nope&mobile=33612345678&sms=x", 401, "id non autorisé"},
			{"key=KEY&mobile=33612345678", 430, "contenu manquant"},
			{"key=KEY&sms=x", 431, "destination manquante"},
			{"key=KEY&mobile=33612345678&sms=" + strings.Repeat("a", 161), 440, "contenu trop long"},
			{"key=KEY&mobile=12&sms=x", 441, "destination non autorisée"},
		}
		for _, b := range bad {
			r := send(b.q)
			tcompare(t, method+" "+b.q, r.body, url2smsAnswer(b.code, b.msg, ""))
			tcompare(t, "HTTP status", r.status, 200)
		}
		tcompare(t, "nothing stored on refusal", e.countMessages(), before)
	}
	big := "key=" + e.key + "&mobile=33612345678&sms=" + strings.Repeat("a", DefaultMaxBody)
	r := e.do("POST", "/url2sms", big, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	tcompare(t, "oversized body", r.body, url2smsAnswer(440, "contenu trop long", ""))
	// Credits and the daily quota (SPEC Q11, Q7).
	acct, _ := e.st.Account(ctx, store.DefaultAccount)
	acct.DailyQuota = 4 // the 4 SMS sent above
	if err := e.st.UpdateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	r = e.rawGet("/url2sms?key=" + e.key + "&mobile=33612345670&sms=quota")
	tcompare(t, "quota", r.body, url2smsAnswer(420, "quota journalier dépassé", ""))
	acct.DailyQuota, acct.Limited, acct.Credits = 0, true, 0
	if err := e.st.UpdateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	r = e.rawGet("/url2sms?key=" + e.key + "&mobile=33612345670&sms=credit")
	tcompare(t, "credit", r.body, url2smsAnswer(402, "crédit insuffisant", ""))
}

func TestSMStoB(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for _, method := range []string{"GET", "POST"} {
		send := func(q string) string {
			q = strings.ReplaceAll(q, "KEY", url.QueryEscape(e.key))
			var r response
			if method == "GET" {
				r = e.rawGet("/http.php?" + q)
			} else {
				r = e.do("POST", "/http.php", q, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			}
			if r.status != 200 && r.status != 500 {
				t.Fatalf("HTTP %d", r.status)
			}
			return r.body
		}
		before := e.countMessages()
		for _, b := range []struct{ q, want string }{
			{"pass=KEY&numero=0612345678&message=x", "87"},
			{"email=a@b.fr&numero=0612345678&message=x", "88"},
			{"email=a@b.fr&pass=wrong&numero=0612345678&message=x", "82"},
			{"email=a@b.fr&pass=KEY&message=x", "89"},
			{"email=a@b.fr&pass=KEY&numero=0612345678", "90"},
			{"email=a@b.fr&pass=KEY&numero=12&message=x", "84"},
			{"email=a@b.fr&pass=KEY&numero=0612345678&message=x&diff=1230", "85"},
			{"email=a@b.fr&pass=KEY&numero=Inconnus&message=x", "86"},
			{"email=a@b.fr&pass=KEY&numero=0612345678&message=x&diff=153012092011s", "95"},
		} {
			tcompare(t, method+" "+b.q, send(b.q), b.want)
		}
		tcompare(t, "nothing stored on refusal", e.countMessages(), before)
		if method == "POST" {
			tcompare(t, "oversized body", send("email=a@b.fr&pass=KEY&numero=0612345678&message="+strings.Repeat("a", DefaultMaxBody)), "413")
		}
		tcompare(t, "test=o", send("email=a@b.fr&pass=KEY&numero=0612345678&message=essai+"+method+"&test=o"), "92")
		tcompare(t, "test stores nothing", e.countMessages(), before)
		tcompare(t, "immediate", send("email=a@b.fr&pass=KEY&numero=0612345678&message=Bonjour+"+method), "80")
		tcompare(t, "duplicate guard", send("email=a@b.fr&pass=KEY&numero=0612345678&message=Bonjour+"+method), "91")
		// Deferred: 12:30 on 4 December of next year; then deleted with "s".
		tcompare(t, "deferred", send("email=a@b.fr&pass=KEY&numero=0612345678&message=Plus+tard+"+method+"&diff=123004122026"), "81")
		tcompare(t, "delete deferred", send("email=a@b.fr&pass=KEY&numero=0612345678&diff=123004122026s"), "94")
		tcompare(t, "nothing left to delete", send("email=a@b.fr&pass=KEY&numero=0612345678&diff=123004122026s"), "95")
		// The seed's example date (4 December 2003) is past: sent at once.
		tcompare(t, "past diff", send("email=a@b.fr&pass=KEY&numero=0612345679&message=Passe+"+method+"&diff=123004122003"), "80")
	}
	// A group send with [v1] mail-merge (seed 003 §4).
	gid, err := e.st.CreateGroup(ctx, store.Group{AccountID: store.DefaultAccount, Name: "Oral"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Contact{
		{Mobile: "+33612263542", LastName: "Karyne", Fields: map[string]string{"v1": "Karyne", "v2": "Paris", "v3": "16/20"}},
		{Mobile: "+33638458236", LastName: "Martin", Fields: map[string]string{"v1": "Martin", "v2": "Lyon", "v3": "17/20"}},
	} {
		c.AccountID = store.DefaultAccount
		id, err := e.st.CreateContact(ctx, c, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.AddMembers(ctx, gid, []int64{id}, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	msg := url.QueryEscape("Bonjour [v1], vous avez obtenu [v3] aux écrits. Vous êtes sélectionné pour passer l'oral à [v2]")
	r := e.rawGet("/http.php?email=a@b.fr&pass=" + url.QueryEscape(e.key) + "&numero=Oral&message=" + msg)
	tcompare(t, "group send", r.body, "80")
	ms, _ := e.st.Messages(ctx, store.MessageFilter{Number: "+33612263542"})
	if len(ms) != 1 || ms[0].Text != "Bonjour Karyne, vous avez obtenu 16/20 aux écrits. Vous êtes sélectionné pour passer l'oral à Paris" {
		t.Fatalf("merged: %+v", ms)
	}
	if _, err := e.st.CreateGroup(ctx, store.Group{AccountID: store.DefaultAccount, Name: "Vide"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	tcompare(t, "empty group", e.rawGet("/http.php?email=a@b.fr&pass="+url.QueryEscape(e.key)+"&numero=Vide&message=x").body, "86")
	acct, _ := e.st.Account(ctx, store.DefaultAccount)
	acct.Limited, acct.Credits = true, 0
	e.st.UpdateAccount(ctx, acct)
	tcompare(t, "no credit", e.rawGet("/http.php?email=a@b.fr&pass="+url.QueryEscape(e.key)+"&numero=0612345670&message=x").body, "83")
}

func TestKannel(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	// A Nagios-style GET: raw %, >, " in the text, recipients separated
	// by spaces ('+'), one given with an unencoded '+'.
	r := e.rawGet(`/cgi-bin/sendsms?username=nagios&password=` + e.key + `&to=0612345678+%2B33612345679&text=PROBLEM:+load>95%+on+"web1"&dlr-mask=31&dlr-url=http%3A%2F%2F127.0.0.1%2Fdlr%3Fs%3D%25d%26to%3D%25p`)
	tcompare(t, "status", r.status, 202)
	tcompare(t, "body", r.body, "0: Accepted for delivery")
	ms, _ := e.st.Messages(ctx, store.MessageFilter{})
	if len(ms) != 2 || ms[0].Text != `PROBLEM: load>95% on "web1"` {
		t.Fatalf("stored %+v", ms)
	}
	sd, err := e.st.SendOf(ctx, ms[0].ID)
	if err != nil || sd.DLRURL != "http://127.0.0.1/dlr?s=%d&to=%p" || sd.DLRMask != 31 || sd.API != "kannel" {
		t.Fatalf("send %+v %v", sd, err)
	}
	// POST form, charset, coding=2 UCS-2 text, flash.
	r = e.do("POST", "/cgi-bin/sendsms", "user=x&pass="+url.QueryEscape(e.key)+"&to=0612345670&coding=2&mclass=0&text=%00H%00i%D8%3D%DE%00", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	tcompare(t, "POST status", r.status, 202)
	ms, _ = e.st.Messages(ctx, store.MessageFilter{Number: "+33612345670"})
	if len(ms) != 1 || ms[0].Text != "Hi😀" || !ms[0].Flash {
		t.Fatalf("UCS-2 flash %+v", ms)
	}
	// Kannel's text/plain POST with X-Kannel headers.
	r = e.do("POST", "/cgi-bin/sendsms", "Disk full on db1", map[string]string{"Content-Type": "text/plain; charset=ISO-8859-1",
		"X-Kannel-Username": "zabbix", "X-Kannel-Password": e.key, "X-Kannel-To": "0612345671"})
	tcompare(t, "text/plain POST", r.status, 202)
	before := e.countMessages()
	bad := []struct {
		q      string
		status int
		body   string
	}{
		{"to=0612345678&text=x", 403, "Authorization failed for sendsms"},
		{"username=u&password=wrong-wrong-wrong-wrong&to=0612345678&text=x", 403, "Authorization failed for sendsms"},
		{"username=u&password=KEY&text=x", 400, "Missing receiver number, rejected"},
		{"username=u&password=KEY&to=&text=x", 400, "Empty receiver number not allowed, rejected"},
		{"username=u&password=KEY&to=12+34&text=x", 400, "Number(s) has/have been denied by white- and/or black-lists."},
		{"username=u&password=KEY&to=0612345678&text=x&dlr-url=ftp://x&dlr-mask=1", 400, "DLR-URL field misformed, rejected"},
		{"username=u&password=KEY&to=0612345678&text=x&dlr-mask=99", 400, "DLR-Mask field misformed, rejected"},
		{"username=u&password=KEY&to=0612345678&text=x&coding=7", 400, "Coding field misformed, rejected"},
		{"username=u&password=KEY&to=0612345678", 400, "Missing text, rejected"},
		{"username=u&password=KEY&to=0612345678&text=" + strings.Repeat("a", 2000), 400, "Message too long, rejected"},
	}
	for _, b := range bad {
		r := e.rawGet("/cgi-bin/sendsms?" + strings.ReplaceAll(b.q, "KEY", e.key))
		tcompare(t, b.q+" status", r.status, b.status)
		tcompare(t, b.q+" body", r.body, b.body)
	}
	big := "username=u&password=" + e.key + "&to=0612345678&text=" + strings.Repeat("a", DefaultMaxBody)
	r = e.do("POST", "/cgi-bin/sendsms", big, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	tcompare(t, "oversized status", r.status, 413)
	tcompare(t, "oversized body", r.body, "Request too large, rejected")
	tcompare(t, "nothing stored on refusal", e.countMessages(), before)
	// deferred: scheduled in 10 minutes.
	r = e.rawGet("/cgi-bin/sendsms?username=u&password=" + e.key + "&to=0612345672&text=later&deferred=10")
	tcompare(t, "deferred", r.status, 202)
	ms, _ = e.st.Messages(ctx, store.MessageFilter{Number: "+33612345672"})
	if len(ms) != 1 || ms[0].Status != store.StatusScheduled || !ms[0].ScheduledAt.Equal(e.clock.Now().Add(10*time.Minute)) {
		t.Fatalf("deferred %+v", ms)
	}
}

// TestKannelRawRequestLine sends the request line exactly as a shell
// script with curl --globoff or wget would: unencoded '"', '>' and '%'.
func TestKannelRawRequestLine(t *testing.T) {
	e := newTestEnv(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /cgi-bin/sendsms?user=nagios&pass=%s&to=0612345678&text=CPU>90%%+\"db1\"+100%% HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n", e.key)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	tcompare(t, "status", resp.StatusCode, 202)
	tcompare(t, "body", string(b), "0: Accepted for delivery")
	ms, _ := e.st.Messages(context.Background(), store.MessageFilter{})
	if len(ms) != 1 || ms[0].Text != `CPU>90% "db1" 100%` {
		t.Fatalf("stored %+v", ms)
	}
}
