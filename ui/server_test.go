package ui

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestHealthWithoutAuth(t *testing.T) {
	e := newTestEnv(t)
	r := e.do("GET", "/healthz", nil, nil)
	tcompare(t, "status", r.status, 200)
	tcompare(t, "body", r.body, "ok\n")
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

func TestBearerAuth(t *testing.T) {
	e := newTestEnv(t)
	for _, h := range []map[string]string{
		nil,
		{"Authorization": "Bearer"},
		{"Authorization": "Bearer gsm_wrong-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"Authorization": "Basic " + e.key},
		{"Authorization": e.key},
	} {
		r := e.do("GET", "/api/v1/account", nil, h)
		tcompare(t, "status", r.status, 401)
		var b errorBody
		if err := json.Unmarshal([]byte(r.body), &b); err != nil {
			t.Fatalf("body %q: %v", r.body, err)
		}
		tcompare(t, "code", b.Error.Code, CodeUnauthorized)
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	}
	r := e.api("GET", "/api/v1/account", "")
	tcompare(t, "status with the key", r.status, 200)
	// Scheme is case-insensitive (RFC 6750 §2.1 follows RFC 7235).
	r = e.do("GET", "/api/v1/account", nil, map[string]string{"Authorization": "bearer " + e.key})
	tcompare(t, "lower-case bearer", r.status, 200)
}

func TestRevokedKeyStopsAtOnce(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("POST", "/api/v1/apikeys", `{"name":"script"}`)
	tcompare(t, "create status", r.status, 201)
	var k apiKeyView
	json.Unmarshal([]byte(r.body), &k)
	if !strings.HasPrefix(k.Key, "gsm_") || k.Prefix == "" || !strings.HasPrefix(k.Key, k.Prefix) {
		t.Fatalf("created key %+v", k)
	}
	h := map[string]string{"Authorization": "Bearer " + k.Key}
	tcompare(t, "new key works", e.do("GET", "/api/v1/account", nil, h).status, 200)
	// The list never shows the key itself.
	r = e.api("GET", "/api/v1/apikeys", "")
	if strings.Contains(r.body, k.Key) || !strings.Contains(r.body, k.Prefix) {
		t.Fatalf("key list %s", r.body)
	}
	tcompare(t, "revoke", e.api("DELETE", "/api/v1/apikeys/"+itoa(k.ID), "").status, 204)
	tcompare(t, "revoked key refused", e.do("GET", "/api/v1/account", nil, h).status, 401)
	tcompare(t, "revoke again", e.api("DELETE", "/api/v1/apikeys/"+itoa(k.ID), "").status, 404)
}

func itoa(n int64) string { return strings.TrimSpace(strings.Replace(jsonNum(n), "\n", "", -1)) }

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("GET", "/api/v1/nope", "")
	tcompare(t, "unknown API path", r.status, 404)
	if !strings.Contains(r.body, `"code":"not_found"`) {
		t.Errorf("body %s", r.body)
	}
	r = e.api("PATCH", "/api/v1/messages", "")
	tcompare(t, "wrong method", r.status, 405)
	if !strings.Contains(r.body, `"code":"method_not_allowed"`) || r.header.Get("Allow") == "" {
		t.Errorf("405 body %s allow %q", r.body, r.header.Get("Allow"))
	}
	r = e.do("GET", "/nothing-here", nil, nil)
	tcompare(t, "unknown path", r.status, 404)
	if strings.HasPrefix(r.body, "{") {
		t.Errorf("non-API 404 in JSON: %s", r.body)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newTestEnv(t)
	big := `{"text":"` + strings.Repeat("a", DefaultMaxBody) + `","to":["0612345678"]}`
	r := e.api("POST", "/api/v1/messages", big)
	tcompare(t, "oversized JSON status", r.status, 413)
	if !strings.Contains(r.body, CodeBodyTooLarge) {
		t.Errorf("body %s", r.body)
	}
	tcompare(t, "nothing stored", e.countMessages(), 0)
}

func TestInvalidJSON(t *testing.T) {
	e := newTestEnv(t)
	for _, body := range []string{``, `{`, `[]`, `{"text":"x","to":["0612345678"],"unknown":1}`, `{"text":"x"} {}`} {
		r := e.api("POST", "/api/v1/messages", body)
		tcompare(t, "status of "+body, r.status, 400)
		if !strings.Contains(r.body, CodeInvalidJSON) {
			t.Errorf("%q: body %s", body, r.body)
		}
	}
}

// TestOpenAPIMatchesRoutes checks that every native API route is
// documented and every documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newTestEnv(t)
	r := e.api("GET", "/api/v1/openapi.json", "")
	tcompare(t, "status", r.status, 200)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	routed := map[string]bool{}
	for _, rt := range e.srv.routes {
		if rt.fam == famJSON {
			routed[rt.method+" "+rt.pattern] = true
		}
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes not documented: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("documented but not routed: %v", extra)
	}
	// Every $ref points to a defined schema.
	var full map[string]any
	json.Unmarshal([]byte(r.body), &full)
	schemas := full["components"].(map[string]any)["schemas"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := schemas[name]; !ok {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(full)
}

func TestServeShutsDownOnContext(t *testing.T) {
	e := newTestEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tcompare(t, "status", resp.StatusCode, 200)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	c := http.Client{Timeout: time.Second}
	if _, err := c.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	e := newTestEnv(t)
	hs := e.srv.HTTPServer(":0")
	if hs.ReadHeaderTimeout <= 0 || hs.IdleTimeout <= 0 || hs.ReadTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("server without limits: %+v", hs)
	}
}
