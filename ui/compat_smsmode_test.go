package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gsmbox/store"
)

// acceptedPrefix starts an accepted answer, in ISO-8859-15 as sMsmode
// answers.
const acceptedPrefix = "0 | Accept\xe9 | "

var publicID = regexp.MustCompile(`^[0-9A-Za-z]{12}$`)

// smsmodeID checks an accepted sendSMS answer and returns its smsID.
func smsmodeID(t *testing.T, r response) string {
	t.Helper()
	id, ok := strings.CutPrefix(r.body, acceptedPrefix)
	if r.status != 200 || !ok || !publicID.MatchString(id) {
		t.Fatalf("answer %d %q, want 0 | Accepté | <smsID>", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=ISO-8859-15" {
		t.Errorf("content type %q", ct)
	}
	return id
}

// sm sends a sMsmode request with the test key, by GET (query) or POST
// (form body), with the seed's parameters given as a raw query string.
func (e *testEnv) sm(method, endpoint, rawQuery string) response {
	e.t.Helper()
	q := "accessToken=" + e.key
	if rawQuery != "" {
		q += "&" + rawQuery
	}
	if method == "GET" {
		return e.rawGet("/http/1.6/" + endpoint + "?" + q)
	}
	return e.do("POST", "/http/1.6/"+endpoint, q, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (e *testEnv) sendCount() int {
	e.t.Helper()
	ss, err := e.st.SendSummaries(context.Background(), store.DefaultAccount, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ss)
}

// TestSMSmodeSeedExamples runs the seed's own example requests (seed 002),
// by GET and by POST, each on a fresh box.
func TestSMSmodeSeedExamples(t *testing.T) {
	sends := []struct {
		name, query string
		report      string // compteRendu answer, "" when the send is refused
		refused     string
	}{
		// 3363123456 is not a valid French number (8 digits after 33):
		// it is reported 3998 (invalid), the other one is in progress.
		{"sendSMS", "message=Bonjour+Maman&numero=3363123456,0623123457", "33623123457 1 | 3363123456 3998", ""},
		// Its only number is invalid: refused, nothing stored.
		{"sendSMS date_envoi", "message=Bon+anniversaire&numero=3363123456&date_envoi=21122005-14:35", "",
			"35 | Param\xe8tre obligatoire manquant"},
		{"sendSMS stop", "message=Bonjour+Maman&numero=3363123456,0623123457&stop=1", "33623123457 1 | 3363123456 3998", ""},
		{"notification_url", "message=Bonjour+test&numero=336xyyzzaa&notification_url=http://www.votreURLdeNotificationdeCR.com/compteRenduNotification.php&refClient=12azer34",
			"", "35 | Param\xe8tre obligatoire manquant"},
		{"unicode", "classe_msg=9&message=%E2%98%BA&emetteur=PERSO&numero=3363123456,0623123457", "33623123457 1 | 3363123456 3998", ""},
	}
	for _, method := range []string{"GET", "POST"} {
		for _, ex := range sends {
			t.Run(method+" "+ex.name, func(t *testing.T) {
				e := newTestEnv(t)
				r := e.sm(method, "sendSMS.do", ex.query)
				if ex.refused != "" {
					tcompare(t, "answer", r.body, ex.refused)
					tcompare(t, "nothing stored", e.countMessages(), 0)
					tcompare(t, "no send stored", e.sendCount(), 0)
					return
				}
				id := smsmodeID(t, r)
				tcompare(t, "compteRendu", e.sm(method, "compteRendu.do", "smsID="+id).body, ex.report)
				tcompare(t, "smsStatus", e.sm(method, "smsStatus.do", "smsID="+id).body, "1 | En cours")
			})
		}
	}
	for _, method := range []string{"GET", "POST"} {
		t.Run(method+" details", func(t *testing.T) {
			e := newTestEnv(t)
			// A date in the past is sent at once.
			smsmodeID(t, e.sm(method, "sendSMS.do", "message=Bon+anniversaire&numero=0623123457&date_envoi=21122005-14:35"))
			// notification_url and refClient are kept with the send.
			id4 := smsmodeID(t, e.sm(method, "sendSMS.do", "message=Bonjour+test&numero=33623123459&notification_url=http://www.votreURLdeNotificationdeCR.com/compteRenduNotification.php&refClient=12azer34"))
			sd := mustSend(t, e, id4)
			tcompare(t, "notification_url kept", sd.NotifyURL, "http://www.votreURLdeNotificationdeCR.com/compteRenduNotification.php")
			tcompare(t, "refClient kept", sd.RefClient, "12azer34")
			// Unicode: the text is UTF-8; emetteur is noted, not an error.
			r := e.sm(method, "sendSMS.do", "classe_msg=9&message=%E2%98%BA&emetteur=PERSO&numero=3363123456,0623123457")
			id5 := smsmodeID(t, r)
			if !strings.Contains(r.header.Get("X-Gsmbox-Notice"), "emetteur") {
				t.Errorf("no notice about emetteur: %v", r.header)
			}
			rs, err := e.st.SendRecipients(context.Background(), mustSend(t, e, id5).ID)
			if err != nil || len(rs) != 1 || rs[0].Message.Text != "☺" {
				t.Fatalf("unicode send stored %+v, %v", rs, err)
			}

			// The seed's other examples.
			tcompare(t, "deleteSMS of an unknown smsID", e.sm(method, "deleteSMS.do", "smsID=06000000").body, "61 | SMS non trouv\xe9")
			r = e.sm(method, "smsList.do", "offset=2")
			lines := strings.Split(strings.TrimSuffix(r.body, "\n"), "\n")
			if len(lines) != 2 || lines[0] != id5+" | 02032026-09:00 | ? | 33623123457 | 1 | 1 |" {
				t.Errorf("smsList: %q", r.body)
			}
			tcompare(t, "responseList (none yet)", e.sm(method, "responseList.do", "").body, "")
			tcompare(t, "responseList by date", e.sm(method, "responseList.do", "startDate=01012014-00:00&endDate=01022014-00:00").body, "")
			tcompare(t, "responseList paged", e.sm(method, "responseList.do", "start=50&offset=150").body, "")
			tcompare(t, "createSubAccount", e.sm(method, "createSubAccount.do", "newPseudo=bbbbb&newPass=yyyyyy").body, "0 | Cr\xe9ation effectu\xe9e")
			tcompare(t, "createSubAccount again", e.sm(method, "createSubAccount.do", "newPseudo=bbbbb&newPass=yyyyyy").body, "41 | Identifiant d\xe9j\xe0 existant")
			// The transfer example names "bbbb", which does not exist.
			tcompare(t, "creditTransfert to an unknown account", e.sm(method, "creditTransfert.do", "targetPseudo=bbbb&creditAmount=12&reference=blablabla").body,
				"41 | Identifiant inexistant")
			tcompare(t, "creditTransfert", e.sm(method, "creditTransfert.do", "targetPseudo=bbbbb&creditAmount=12&reference=blablabla").body, "0 | Transfert effectu\xe9")
			sub, err := e.st.AccountByName(context.Background(), "bbbbb")
			if err != nil || !sub.Limited || sub.Credits != 12 || sub.ParentID != store.DefaultAccount {
				t.Fatalf("sub-account %+v, %v", sub, err)
			}
			// The addContact example's mobile (06XXXXXXXXXX) is no number.
			tcompare(t, "addContact example", e.sm(method, "addContact.do", "nom=Dupond&prenom=jacques&mobile=06XXXXXXXXXX&groupes=Groupe1,Groupe2").body,
				"35 | Param\xe8tres incorrects")
			tcompare(t, "addContact", e.sm(method, "addContact.do", "nom=Dupond&prenom=jacques&mobile=0611223344&groupes=Groupe1,Groupe2").body, "0 | Contact ajout\xe9")
			gs, err := e.st.Groups(context.Background(), store.DefaultAccount)
			if err != nil || len(gs) != 2 || gs[0].Members != 1 || gs[1].Members != 1 {
				t.Fatalf("groups %+v, %v", gs, err)
			}
			// deleteSubAccount example names "sousCompte".
			tcompare(t, "deleteSubAccount unknown", e.sm(method, "deleteSubAccount.do", "pseudoToDelete=sousCompte").body, "41 | Identifiant inexistant")
			tcompare(t, "deleteSubAccount", e.sm(method, "deleteSubAccount.do", "pseudoToDelete=bbbbb").body, "0 | Suppression effectu\xe9e")
			// The main account has no credit limit: sMsmode's post-paid
			// answer, minus the SMS parts used this month.
			tcompare(t, "credit.do", e.sm(method, "credit.do", "").body, "-3")
		})
	}
}

func mustSend(t *testing.T, e *testEnv, id string) store.Send {
	t.Helper()
	sd, err := e.st.SendByPublicID(context.Background(), 0, id)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

func TestSMSmodeCreditAndStatuses(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	acct, _ := e.st.Account(ctx, store.DefaultAccount)
	acct.Limited, acct.Credits = true, 212
	if err := e.st.UpdateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	tcompare(t, "credit.do", e.sm("GET", "credit.do", "").body, "212")
	// A long text costs its parts (3 here: 400 GSM characters).
	id := smsmodeID(t, e.sm("GET", "sendSMS.do", "message="+strings.Repeat("a", 400)+"&numero=0612345678"))
	tcompare(t, "credit after 3 parts", e.sm("GET", "credit.do", "").body, "209")
	// nbr_msg=1 cuts the text to one SMS (160 characters).
	id1 := smsmodeID(t, e.sm("GET", "sendSMS.do", "message="+strings.Repeat("b", 400)+"&numero=0612345678&nbr_msg=1"))
	rs, _ := e.st.SendRecipients(ctx, mustSend(t, e, id1).ID)
	tcompare(t, "truncated to one part", len(rs[0].Message.Text), 160)
	tcompare(t, "credit after", e.sm("GET", "credit.do", "").body, "208")
	// Scheduled: 10.
	idS := smsmodeID(t, e.sm("GET", "sendSMS.do", "message=Plus+tard&numero=0612345679&date_envoi=03032026-10:30"))
	tcompare(t, "scheduled status", e.sm("GET", "smsStatus.do", "smsID="+idS).body, "10 | Envoi programm\xe9")
	tcompare(t, "scheduled report", e.sm("GET", "compteRendu.do", "smsID="+idS).body, "33612345679 10")
	m := rs[0].Message
	_ = id
	// Delivery: sent (13), then a status report (11).
	now := e.clock.Now()
	res, err := e.st.Claim(ctx, store.ClaimRequest{Modem: "m1", Marketing: true, Now: now})
	if err != nil || res.Out == nil {
		t.Fatalf("claim: %+v %v", res, err)
	}
	for res.Out.Message.ID != m.ID {
		// Finish the other messages first.
		sendAll(t, e, res.Out)
		if res, err = e.st.Claim(ctx, store.ClaimRequest{Modem: "m1", Marketing: true, Now: now}); err != nil || res.Out == nil {
			t.Fatalf("claim: %+v %v", res, err)
		}
	}
	sendAll(t, e, res.Out)
	tcompare(t, "sent: délivré opérateur", e.sm("GET", "compteRendu.do", "smsID="+id1).body, "33612345678 13")
	tcompare(t, "sent status", e.sm("GET", "smsStatus.do", "smsID="+id1).body, "13 | D\xe9livr\xe9")
	ps, _ := e.st.Parts(ctx, m.ID)
	if _, err := e.st.RecordDelivery(ctx, store.DeliveryReport{Modem: "m1", MR: ps[0].MR, Number: m.Number, TPStatus: 0,
		Outcome: store.DeliveryDelivered, Discharge: now, Since: now.Add(-time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	tcompare(t, "delivered", e.sm("GET", "compteRendu.do", "smsID="+id1).body, "33612345678 11")
	tcompare(t, "delivered status", e.sm("GET", "smsStatus.do", "smsID="+id1).body, "11 | Re\xe7u")
	// deleteSMS: what already left cannot be deleted; the scheduled one can.
	tcompare(t, "delete sent", e.sm("GET", "deleteSMS.do", "smsID="+id1).body, "61 | SMS non trouv\xe9")
	tcompare(t, "delete scheduled by numero", e.sm("GET", "deleteSMS.do", "numero=0612345679").body, "0 | SMS supprim\xe9")
	tcompare(t, "deleted report", e.sm("GET", "compteRendu.do", "smsID="+idS).body, "61 | SMS n'existant pas ou plus")
	tcompare(t, "credit refunded", e.sm("GET", "credit.do", "").body, "208")
}

// sendAll marks every part of a claimed message sent (what the dispatcher
// does after +CMGS), with MRs from 1.
func sendAll(t *testing.T, e *testEnv, out *store.Outgoing) {
	t.Helper()
	ctx := context.Background()
	p := &out.Part
	mr := 1
	for p != nil {
		next, err := e.st.PartSent(ctx, out.Message.ID, p.Seq, mr, "m1", e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		mr++
		p = next
	}
}

// TestSMSmodeCharsets: ISO-8859-15 (the seed's charset) and UTF-8 text,
// '+' sent unencoded (arrives as a space), national and international
// numbers.
func TestSMSmodeCharsets(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		query, number, text string
	}{
		{"message=%A4+%E9t%E9&numero=0612345601", "+33612345601", "€ été"},
		{"message=%E2%82%AC+%C3%A9t%C3%A9&numero=33612345602", "+33612345602", "€ été"},
		{"message=Prix+%3A+10%A4&numero=+33612345603", "+33612345603", "Prix : 10€"},
		{"message=x&numero=%2B33612345604", "+33612345604", "x"},
		{"message=y&numero=0033612345605", "+33612345605", "y"},
	}
	for _, tc := range tests {
		id := smsmodeID(t, e.sm("GET", "sendSMS.do", tc.query))
		rs, err := e.st.SendRecipients(context.Background(), mustSend(t, e, id).ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %v %v", tc.query, rs, err)
		}
		tcompare(t, tc.query+" number", rs[0].Message.Number, tc.number)
		tcompare(t, tc.query+" text", rs[0].Message.Text, tc.text)
	}
}

func TestSMSmodeGETRecipientLimit(t *testing.T) {
	e := newTestEnv(t)
	var nums []string
	for i := 1; i <= 301; i++ {
		nums = append(nums, fmt.Sprintf("06123%05d", i))
	}
	q := "message=Hello&numero=" + strings.Join(nums, ",")
	tcompare(t, "301 by GET", e.sm("GET", "sendSMS.do", q).body, "35 | Param\xe8tre obligatoire manquant")
	tcompare(t, "nothing stored", e.countMessages(), 0)
	smsmodeID(t, e.sm("GET", "sendSMS.do", "message=Hello&numero="+strings.Join(nums[:300], ",")))
	tcompare(t, "300 by GET stored", e.countMessages(), 300)
	id := smsmodeID(t, e.sm("POST", "sendSMS.do", "message=Hello+again&numero="+strings.Join(nums, ",")))
	rs, err := e.st.SendRecipients(context.Background(), mustSend(t, e, id).ID)
	if err != nil || len(rs) != 301 {
		t.Fatalf("301 by POST: %d messages, %v", len(rs), err)
	}
}

// TestSMSmodeBadInput: each refusal with its documented code, and nothing
// stored.
func TestSMSmodeBadInput(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if _, err := e.st.CreateGroup(ctx, store.Group{AccountID: store.DefaultAccount, Name: "Vide"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	missing := "35 | Param\xe8tre obligatoire manquant"
	tests := []struct {
		name, raw string // raw: the whole query; "KEY" is replaced by the key
		want      string
	}{
		{"no accessToken", "message=Hello&numero=0612345678", "32 | Erreur d'authentification"},
		{"wrong accessToken", "accessToken=gsm_nope-nope-nope-nope-nope-nope-nope-nope-nope-noo&message=Hello&numero=0612345678", "32 | Erreur d'authentification"},
		{"no message", "accessToken=KEY&numero=0612345678", missing},
		{"empty message", "accessToken=KEY&message=+&numero=0612345678", missing},
		{"no numero", "accessToken=KEY&message=Hello", missing},
		{"invalid number", "accessToken=KEY&message=Hello&numero=12", missing},
		{"invalid numbers", "accessToken=KEY&message=Hello&numero=06XXXXXXXXXX,3363123456", missing},
		{"bad date", "accessToken=KEY&message=Hello&numero=0612345678&date_envoi=2026-03-01+10:00", missing},
		{"impossible date", "accessToken=KEY&message=Hello&numero=0612345678&date_envoi=32132026-25:00", missing},
		{"unknown group", "accessToken=KEY&message=Hello&groupe=Inconnu", missing},
		{"empty group", "accessToken=KEY&message=Hello&groupe=Vide", missing},
		{"bad nbr_msg", "accessToken=KEY&message=Hello&numero=0612345678&nbr_msg=0", missing},
		{"bad notification_url", "accessToken=KEY&message=Hello&numero=0612345678&notification_url=ftp://x", missing},
		{"too long refClient", "accessToken=KEY&message=Hello&numero=0612345678&refClient=" + strings.Repeat("r", 300), missing},
	}
	for _, tc := range tests {
		for _, method := range []string{"GET", "POST"} {
			q := strings.ReplaceAll(tc.raw, "KEY", e.key)
			var r response
			if method == "GET" {
				r = e.rawGet("/http/1.6/sendSMS.do?" + q)
			} else {
				r = e.do("POST", "/http/1.6/sendSMS.do", q, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			}
			tcompare(t, tc.name+" "+method, r.body, tc.want)
			tcompare(t, tc.name+" "+method+" HTTP", r.status, 200)
		}
	}
	// Oversized body.
	big := "accessToken=" + e.key + "&numero=0612345678&message=" + strings.Repeat("a", DefaultMaxBody)
	r := e.do("POST", "/http/1.6/sendSMS.do", big, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	tcompare(t, "oversized body", r.body, missing)
	// No credits: 33.
	acct, _ := e.st.Account(ctx, store.DefaultAccount)
	acct.Limited, acct.Credits = true, 0
	if err := e.st.UpdateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	tcompare(t, "no credits", e.sm("GET", "sendSMS.do", "message=Hello&numero=0612345678").body, "33 | Cr\xe9dits insuffisants")
	tcompare(t, "nothing stored", e.countMessages(), 0)
	tcompare(t, "no send stored", e.sendCount(), 0)

	// The other endpoints' refusals.
	others := []struct{ endpoint, query, want string }{
		{"compteRendu.do", "", "35 | Param\xe8tre obligatoire manquant"},
		{"compteRendu.do", "smsID=nope", "61 | SMS n'existant pas ou plus"},
		{"smsStatus.do", "", "35 | Param\xe8tre(s) incorrect(s)"},
		{"smsStatus.do", "smsID=nope", "61 | smsID invalide"},
		{"deleteSMS.do", "", "35 | Param\xe8tre incorrect"},
		{"deleteSMS.do", "numero=abc", "35 | Param\xe8tre incorrect"},
		{"smsList.do", "offset=-1", "35 | Param\xe8tre incorrect"},
		{"responseList.do", "startDate=01012014-00:00", "35 | Param\xe8tre incorrect"},
		{"responseList.do", "startDate=2014&endDate=01022014-00:00", "35 | Param\xe8tre incorrect"},
		{"createSubAccount.do", "newPseudo=x", "35 | Param\xe8tres incorrects"},
		{"createSubAccount.do", "newPseudo=" + strings.Repeat("x", 51) + "&newPass=y", "35 | Param\xe8tres incorrects"},
		{"creditTransfert.do", "targetPseudo=x&creditAmount=1.5", "35 | Param\xe8tres incorrects"},
		{"deleteSubAccount.do", "", "35 | Param\xe8tres incorrects"},
		{"addContact.do", "nom=X", "35 | Param\xe8tres incorrects"},
		{"sendSMSBatch.do", "", "35 | Param\xe8tre obligatoire manquant"},
	}
	for _, o := range others {
		tcompare(t, o.endpoint+"?"+o.query, e.sm("GET", o.endpoint, o.query).body, o.want)
		r := e.rawGet("/http/1.6/" + o.endpoint + "?accessToken=wrong-key-wrong-key-wrong&" + o.query)
		if !strings.HasPrefix(r.body, "32 | ") {
			t.Errorf("%s with a wrong key: %q", o.endpoint, r.body)
		}
	}
	tcompare(t, "credit.do wrong key", e.rawGet("/http/1.6/credit.do?accessToken=x").body, "32 | Erreur d'authentification")
}

// seedBatchCSV is the file of seed 002's sendSMSBatch.do example, in
// ISO-8859-15.
const seedBatchCSV = `"numero","message","emetteur","refClient"
"99999911","Ceci est le corps du message 1, test fichier CSV","RDV","ref123"
88888888,"Ceci est le corps du message 2, test fichier CSV","","ref456"
77777777,"Ceci est le corps du message 3, test fichier CSV","TOTO","ref789"
`

func multipartCSV(t *testing.T, field, name, content string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

// TestSMSmodeBatchSeedExample sends the seed's CSV as its curl example
// does (multipart, field "fichier", accessToken in the URL). Its numbers
// are 8 digits: valid with a Tunisian default country.
func TestSMSmodeBatchSeedExample(t *testing.T) {
	e := newTestEnv(t, envOptions{country: "TN"})
	body, ct := multipartCSV(t, "fichier", "fichier.csv", seedBatchCSV)
	r := e.do("POST", "/http/1.6/sendSMSBatch.do?accessToken="+e.key, body, map[string]string{"Content-Type": ct})
	id := smsmodeID(t, r)
	rs, err := e.st.SendRecipients(context.Background(), mustSend(t, e, id).ID)
	if err != nil || len(rs) != 3 {
		t.Fatalf("batch: %d messages, %v", len(rs), err)
	}
	want := []struct{ number, text, ref string }{
		{"+21699999911", "Ceci est le corps du message 1, test fichier CSV", "ref123"},
		{"+21688888888", "Ceci est le corps du message 2, test fichier CSV", "ref456"},
		{"+21677777777", "Ceci est le corps du message 3, test fichier CSV", "ref789"},
	}
	for i, w := range want {
		m := rs[i].Message
		if m.Number != w.number || m.Text != w.text || m.RefClient != w.ref {
			t.Errorf("row %d: %s %q %q", i, m.Number, m.Text, m.RefClient)
		}
	}
	tcompare(t, "report", e.sm("GET", "compteRendu.do", "smsID="+id).body, "21699999911 1 | 21688888888 1 | 21677777777 1")
	// ISO-8859-15 file, semicolons.
	body, ct = multipartCSV(t, "fichier", "f.csv", "numero;message\n99999912;Co\xfbt : 5 \xa4\n")
	id = smsmodeID(t, e.do("POST", "/http/1.6/sendSMSBatch.do?accessToken="+e.key, body, map[string]string{"Content-Type": ct}))
	rs, _ = e.st.SendRecipients(context.Background(), mustSend(t, e, id).ID)
	if len(rs) != 1 || rs[0].Message.Text != "Coût : 5 €" {
		t.Fatalf("latin-9 batch: %+v", rs)
	}
	// Refusals: no file, no numero column, no valid number: 35, nothing stored.
	before := e.countMessages()
	for _, content := range []string{"", "tel,message\n1,2\n", "numero,message\n12,Hello\n"} {
		body, ct = multipartCSV(t, "fichier", "f.csv", content)
		r = e.do("POST", "/http/1.6/sendSMSBatch.do?accessToken="+e.key, body, map[string]string{"Content-Type": ct})
		tcompare(t, fmt.Sprintf("batch %q", content), r.body, "35 | Param\xe8tre obligatoire manquant")
	}
	tcompare(t, "nothing more stored", e.countMessages(), before)
}

func TestSMSmodeCreateAuthorisation(t *testing.T) {
	e := newTestEnv(t)
	r := e.rawGet("/http/2.0/createAuthorisation.do?accessToken=" + e.key)
	tcompare(t, "status", r.status, 200)
	var doc struct {
		ID           int64   `json:"id"`
		AccessToken  string  `json:"accessToken"`
		CreationDate string  `json:"creationDate"`
		State        string  `json:"state"`
		Expiration   *string `json:"expiration"`
		Account      string  `json:"account"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("%q: %v", r.body, err)
	}
	if doc.ID == 0 || doc.AccessToken == "" || doc.Account != "main" || doc.CreationDate == "" {
		t.Fatalf("%+v", doc)
	}
	// The new key works.
	r = e.rawGet("/http/1.6/credit.do?accessToken=" + url.QueryEscape(doc.AccessToken))
	if strings.HasPrefix(r.body, "32") {
		t.Fatalf("new key refused: %q", r.body)
	}
}

// TestSMSmodeReplies: responseList.do lists received SMS with the smsID
// they answer.
func TestSMSmodeReplies(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	id := smsmodeID(t, e.sm("GET", "sendSMS.do", "message=Venez-vous+%3F&numero=0612345678"))
	out, _ := e.st.Claim(ctx, store.ClaimRequest{Modem: "m1", Now: e.clock.Now()})
	sendAll(t, e, out.Out)
	at := e.clock.Now().Add(time.Minute)
	err := e.st.Write(ctx, func(tx *store.Tx) error {
		_, _, err := tx.InsertInbound(store.Inbound{Number: "+33612345678", Modem: "m1", Text: "Oui, j'arrive", Encoding: "gsm7", Parts: 1,
			SCTS: at, ReceivedAt: at, ClockOK: true, DedupeKey: "k1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.sm("GET", "responseList.do", "")
	if !regexp.MustCompile(`^\d+ \| 02032026-09:01 \| 33612345678 \| Oui, j'arrive \| m1 \| ` + id + "\n$").MatchString(r.body) {
		t.Fatalf("responseList %q", r.body)
	}
	tcompare(t, "by date", e.sm("GET", "responseList.do", "startDate=02032026-09:00&endDate=02032026-09:02").body, r.body)
	tcompare(t, "outside", e.sm("GET", "responseList.do", "startDate=02032026-09:02&endDate=02032026-10:00").body, "")
}
