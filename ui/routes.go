package ui

import (
	_ "embed"
	"net/http"
	"strings"
)

// handlerFunc is a route's handler: it writes its answer, or returns an
// error that renderError writes in the route's dialect.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authKind is how a route authenticates.
type authKind int

const (
	authNone   authKind = iota // health; compat routes check their own credential parameter
	authBearer                 // Authorization: Bearer <API key>
)

// route is one entry of the route table.
type route struct {
	method  string
	pattern string // Go 1.22 path pattern
	fam     family
	auth    authKind
	upload  bool // larger body limit (file uploads)
	h       handlerFunc
}

// routeTable is every route of the server, in one place (STYLE habit 3).
// The native API routes are documented in openapi.json; a test checks
// that both agree.
func (s *Server) routeTable() []route {
	api := func(method, pattern string, h handlerFunc) route {
		return route{method: method, pattern: "/api/v1" + pattern, fam: famJSON, auth: authBearer, h: h}
	}
	var rs []route
	rs = append(rs,
		route{method: "GET", pattern: "/healthz", fam: famPlain, h: s.showHealth},

		api("GET", "/openapi.json", s.showOpenAPI),
		api("POST", "/messages", s.submitSend),
		api("GET", "/messages", s.listMessages),
		api("GET", "/messages/{id}", s.showMessage),
		api("POST", "/messages/{id}/cancel", s.cancelMessage),
		api("GET", "/sends/{id}", s.showSend),
		api("POST", "/sends/{id}/cancel", s.cancelSend),
		api("GET", "/inbox", s.listInbox),
		api("GET", "/inbox/{id}", s.showInbound),
		api("POST", "/inbox/{id}/read", s.markInbound(true)),
		api("POST", "/inbox/{id}/unread", s.markInbound(false)),
		api("GET", "/conversations", s.listConversations),
		api("GET", "/conversations/{number}", s.showConversation),
		api("POST", "/conversations/{number}/read", s.readConversation),
		api("GET", "/contacts", s.listContacts),
		api("POST", "/contacts", s.createContact),
		api("GET", "/contacts/{id}", s.showContact),
		api("PUT", "/contacts/{id}", s.updateContact),
		api("DELETE", "/contacts/{id}", s.deleteContact),
		api("GET", "/groups", s.listGroups),
		api("POST", "/groups", s.createGroup),
		api("GET", "/groups/{id}", s.showGroup),
		api("PUT", "/groups/{id}", s.updateGroup),
		api("DELETE", "/groups/{id}", s.deleteGroup),
		api("GET", "/groups/{id}/members", s.listMembers),
		api("POST", "/groups/{id}/members", s.addMembers),
		api("POST", "/groups/{id}/members/move", s.moveMembers),
		api("DELETE", "/groups/{id}/members/{contact}", s.removeMember),
		api("GET", "/stop", s.listStop),
		api("POST", "/stop", s.addStop),
		api("DELETE", "/stop/{number}", s.removeStop),
		api("GET", "/calls", s.listCalls),
		api("GET", "/modems", s.listModems),
		api("GET", "/statistics", s.showStatistics),
		api("GET", "/account", s.showOwnAccount),
		api("GET", "/accounts", s.listAccounts),
		api("POST", "/accounts", s.createAccount),
		api("GET", "/accounts/{id}", s.showAccount),
		api("PUT", "/accounts/{id}", s.updateAccount),
		api("DELETE", "/accounts/{id}", s.deleteAccount),
		api("POST", "/credits/transfer", s.transferCredits),
		api("GET", "/apikeys", s.listKeys),
		api("POST", "/apikeys", s.createKey),
		api("DELETE", "/apikeys/{id}", s.revokeKey),
		api("GET", "/webhooks", s.listEndpoints),
		api("POST", "/webhooks", s.createEndpoint),
		api("DELETE", "/webhooks/{id}", s.deleteEndpoint),
		api("GET", "/webhooks/outbox", s.listOutbox),
		api("POST", "/webhooks/outbox/{id}/retry", s.retryOutbox),
	)
	// sMsmode 1.6 (seed 002): GET and POST alike.
	sm := []struct {
		name   string
		h      handlerFunc
		upload bool
	}{
		{"sendSMS.do", s.smsmodeSendSMS, false},
		{"sendSMSBatch.do", s.smsmodeSendBatch, true},
		{"compteRendu.do", s.smsmodeReport, false},
		{"smsStatus.do", s.smsmodeStatus, false},
		{"smsList.do", s.smsmodeList, false},
		{"credit.do", s.smsmodeCredit, false},
		{"deleteSMS.do", s.smsmodeDelete, false},
		{"addContact.do", s.smsmodeAddContact, false},
		{"responseList.do", s.smsmodeResponses, false},
		{"createSubAccount.do", s.smsmodeCreateSub, false},
		{"deleteSubAccount.do", s.smsmodeDeleteSub, false},
		{"creditTransfert.do", s.smsmodeTransfer, false},
		{"createAuthorisation.do", s.smsmodeAuthorisation, false},
	}
	for _, e := range sm {
		for _, m := range []string{"GET", "POST"} {
			rs = append(rs, route{method: m, pattern: "/http/1.6/" + e.name, fam: famSMSmode, h: e.h, upload: e.upload})
		}
	}
	// The seed gives createAuthorisation.do under /http/2.0/.
	for _, m := range []string{"GET", "POST"} {
		rs = append(rs,
			route{method: m, pattern: "/http/2.0/createAuthorisation.do", fam: famSMSmode, h: s.smsmodeAuthorisation},
			route{method: m, pattern: "/url2sms", fam: famURL2SMS, h: s.url2smsSend},
			route{method: m, pattern: "/http.php", fam: famSMStoB, h: s.smstobSend},
			route{method: m, pattern: "/cgi-bin/sendsms", fam: famKannel, h: s.kannelSend},
		)
	}
	return rs
}

// matchesPath reports whether path matches the route's pattern, whatever
// the method (for 405 answers).
func (rt route) matchesPath(path string) bool {
	ps := strings.Split(strings.Trim(rt.pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return true
}

//go:embed openapi.json
var openapiJSON []byte

// showOpenAPI is GET /api/v1/openapi.json: the OpenAPI 3 description of
// the native API (SPEC A1).
func (s *Server) showOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
	return nil
}

// showHealth is GET /healthz, without authentication (SPEC S1, O5): 200
// "ok" while the database answers.
func (s *Server) showHealth(w http.ResponseWriter, r *http.Request) error {
	if err := s.st.Ping(r.Context()); err != nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "database unavailable")
	}
	writeText(w, http.StatusOK, "ok\n")
	return nil
}
