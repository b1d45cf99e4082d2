package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAPIFamiliesEndToEnd sends through each HTTP API family of the real
// binary in demo mode and checks the virtual modem's record of what went
// out: sMsmode, L2T URL2SMS, SMStoB, Kannel and the native JSON API.
func TestAPIFamiliesEndToEnd(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, data, "--simulate=1")
	d.waitFor(func() bool { return allReady(modemsOf(t, data), 1) }, "a ready modem")
	out, err := gsmbox(t, data, "apikey", "create", "e2e")
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	key := strings.Fields(out)[0]
	base := "http://" + d.httpAddr()

	get := func(path string, q url.Values) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		family, number string
		send           func(number string) (int, string)
		wantCode       int
		wantPrefix     string
	}{
		{"sMsmode", "+33611000001", func(n string) (int, string) {
			return get("/http/1.6/sendSMS.do", url.Values{"accessToken": {key}, "numero": {"0611000001"}, "message": {"Votre colis arrive"}})
		}, 200, "0 | "},
		{"URL2SMS", "+33611000002", func(n string) (int, string) {
			return get("/url2sms", url.Values{"key": {key}, "mobile": {"0611000002"}, "sms": {"Votre colis arrive"}, "sender": {"Boutique"}})
		}, 200, ""},
		{"SMStoB", "+33611000003", func(n string) (int, string) {
			return get("/http.php", url.Values{"email": {"shop@example.org"}, "pass": {key}, "numero": {"0611000003"}, "message": {"Votre colis arrive"}})
		}, 200, "80"},
		{"Kannel", "+33611000004", func(n string) (int, string) {
			return get("/cgi-bin/sendsms", url.Values{"username": {"nagios"}, "password": {key}, "to": {"0611000004"}, "text": {"Serveur en panne"}})
		}, 202, "0: Accepted for delivery"},
		{"native", "+33611000005", func(n string) (int, string) {
			req, _ := http.NewRequest("POST", base+"/api/v1/messages", strings.NewReader(`{"to":["0611000005"],"text":"Votre colis arrive"}`))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}, 0, ""},
	}
	for _, c := range cases {
		code, body := c.send(c.number)
		if c.wantCode != 0 && code != c.wantCode || code >= 300 || !strings.HasPrefix(body, c.wantPrefix) {
			t.Errorf("%s: HTTP %d %q; want %d starting with %q", c.family, code, body, c.wantCode, c.wantPrefix)
		}
	}
	for _, c := range cases {
		d.waitFor(func() bool {
			out, _ := gsmbox(t, data, "sim", "submitted")
			return strings.Contains(out, "to="+c.number)
		}, c.family+" message on the modem's wire")
	}
	// A wrong key is refused by every family.
	if code, body := get("/http/1.6/sendSMS.do", url.Values{"accessToken": {"gsm_wrong"}, "numero": {"0611000009"}, "message": {"x"}}); code != 200 || !strings.HasPrefix(body, "32") {
		t.Errorf("sMsmode with a wrong key: HTTP %d %q, want code 32", code, body)
	}
	if code, _ := get("/cgi-bin/sendsms", url.Values{"username": {"x"}, "password": {"wrong"}, "to": {"0611000009"}, "text": {"x"}}); code < 400 {
		t.Errorf("Kannel with a wrong key: HTTP %d", code)
	}
}
