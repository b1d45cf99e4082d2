package ui

// Kannel /cgi-bin/sendsms compatibility (SPEC A5), so that monitoring
// scripts written for Kannel (Nagios, Zabbix) work: username, password
// (an API key), to (numbers separated by spaces), text, from, charset,
// coding, mclass, validity, deferred, dlr-mask, dlr-url. Answers and HTTP
// statuses are Kannel's: 202 "0: Accepted for delivery", 403
// "Authorization failed for sendsms", 400 with Kannel's messages.

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gsmbox/queue"
)

// kannelErr is a Kannel answer: HTTP status and text.
type kannelErr struct {
	status int
	text   string
	err    error
}

func (e *kannelErr) Error() string {
	s := "kannel " + strconv.Itoa(e.status) + " " + e.text
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *kannelErr) Unwrap() error { return e.err }

func kannelFail(status int, text string, cause error) error {
	return &kannelErr{status: status, text: text, err: cause}
}

// kannelAnswer maps any error of the Kannel route.
func kannelAnswer(err error, ae *apiError) (int, string) {
	var ke *kannelErr
	if errors.As(err, &ke) {
		return ke.status, ke.text
	}
	switch {
	case ae.code == CodeUnauthorized:
		return http.StatusForbidden, "Authorization failed for sendsms"
	case ae.code == CodeInsufficientCredits || ae.code == CodeQuotaExceeded:
		return http.StatusPaymentRequired, "Insufficient credits, rejected"
	case ae.code == CodeBodyTooLarge:
		return http.StatusRequestEntityTooLarge, "Request too large, rejected"
	case ae.status < 500:
		return http.StatusBadRequest, ae.message
	}
	return http.StatusInternalServerError, "Sending failed."
}

// kannelParam returns the first of names given (Kannel accepts "user" for
// "username", "dlrurl" for "dlr-url" and so on).
func kannelParam(p params, names ...string) (string, bool) {
	for _, n := range names {
		if vs, ok := p.v[n]; ok && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// kannelInt reads an optional integer parameter, -1 when absent.
func kannelInt(p params, names ...string) (int, bool) {
	v, ok := kannelParam(p, names...)
	if !ok || strings.TrimSpace(v) == "" {
		return -1, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// kannelHeaders maps the X-Kannel-* headers of a text/plain POST to the
// CGI names.
var kannelHeaders = map[string]string{
	"X-Kannel-Username": "username", "X-Kannel-Password": "password", "X-Kannel-To": "to", "X-Kannel-From": "from",
	"X-Kannel-Coding": "coding", "X-Kannel-MClass": "mclass", "X-Kannel-Validity": "validity",
	"X-Kannel-Deferred": "deferred", "X-Kannel-DLR-Mask": "dlr-mask", "X-Kannel-DLR-Url": "dlr-url",
}

// kannelSend is /cgi-bin/sendsms.
func (s *Server) kannelSend(w http.ResponseWriter, r *http.Request) error {
	var p params
	if ct := r.Header.Get("Content-Type"); r.Method == http.MethodPost && (strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "application/octet-stream")) {
		// Kannel's POST form: the body is the text, the rest in headers.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		p = params{v: map[string][]string{"text": {string(body)}}, post: true}
		for h, name := range kannelHeaders {
			if v := r.Header.Get(h); v != "" {
				p.v[name] = []string{v}
			}
		}
		parseLenient(p.v, r.URL.RawQuery)
		_, ctp, _ := strings.Cut(ct, "charset=")
		p.charset = strings.ToLower(strings.Trim(ctp, `" `))
	} else {
		var err error
		if p, err = readParams(r); err != nil {
			return err
		}
	}
	user, _ := kannelParam(p, "username", "user")
	pass, _ := kannelParam(p, "password", "pass")
	if strings.TrimSpace(user) == "" || strings.TrimSpace(pass) == "" {
		return kannelFail(http.StatusForbidden, "Authorization failed for sendsms", errors.New("no username or password"))
	}
	a, err := s.authKey(r.Context(), strings.TrimSpace(pass))
	if err != nil {
		return kannelFail(http.StatusForbidden, "Authorization failed for sendsms", err)
	}
	to, ok := kannelParam(p, "to")
	if !ok {
		return kannelFail(http.StatusBadRequest, "Missing receiver number, rejected", nil)
	}
	numbers := strings.Fields(to)
	if len(numbers) == 0 {
		return kannelFail(http.StatusBadRequest, "Empty receiver number not allowed, rejected", nil)
	}
	coding, ok := kannelInt(p, "coding")
	if !ok || coding < -1 || coding > 2 {
		return kannelFail(http.StatusBadRequest, "Coding field misformed, rejected", nil)
	}
	rawText, _ := kannelParam(p, "text")
	charset, _ := kannelParam(p, "charset")
	charset = strings.ToLower(strings.TrimSpace(charset))
	if charset == "" {
		charset = p.charset
	}
	text := decodeText(rawText, charset)
	if charset == "utf-16be" || charset == "ucs-2" || charset == "ucs2" || (coding == 2 && charset == "") {
		if text, err = decodeUTF16BE(rawText); err != nil {
			return kannelFail(http.StatusBadRequest, "Charset or body misformed, rejected", err)
		}
	}
	if strings.TrimSpace(text) == "" {
		return kannelFail(http.StatusBadRequest, "Missing text, rejected", nil)
	}
	mask, ok := kannelInt(p, "dlr-mask", "dlrmask")
	if !ok || mask < -1 || mask > 63 {
		return kannelFail(http.StatusBadRequest, "DLR-Mask field misformed, rejected", nil)
	}
	dlrURL, _ := kannelParam(p, "dlr-url", "dlrurl")
	dlrURL = strings.TrimSpace(dlrURL)
	if dlrURL != "" && !strings.HasPrefix(strings.ToLower(dlrURL), "http://") && !strings.HasPrefix(strings.ToLower(dlrURL), "https://") {
		return kannelFail(http.StatusBadRequest, "DLR-URL field misformed, rejected", nil)
	}
	mclass, ok := kannelInt(p, "mclass")
	if !ok || mclass < -1 || mclass > 3 {
		return kannelFail(http.StatusBadRequest, "MClass field misformed, rejected", nil)
	}
	flash, _ := kannelInt(p, "flash")
	validity, ok := kannelInt(p, "validity")
	if !ok || validity < -1 {
		return kannelFail(http.StatusBadRequest, "Validity field misformed, rejected", nil)
	}
	deferred, ok := kannelInt(p, "deferred")
	if !ok || deferred < -1 {
		return kannelFail(http.StatusBadRequest, "Deferred field misformed, rejected", nil)
	}
	if from, _ := kannelParam(p, "from"); from != "" {
		s.noteSender(w, r, from)
	}
	req := queue.Request{Text: text, Numbers: numbers, Channel: queue.Notification, Source: "api",
		Flash: mclass == 0 || flash == 1}
	if validity > 0 {
		req.Validity = time.Duration(validity) * time.Minute
	}
	if deferred > 0 {
		req.At = s.now().Add(time.Duration(deferred) * time.Minute)
	}
	send := apiSend("kannel")
	if dlrURL != "" && mask > 0 {
		send.DLRURL, send.DLRMask = dlrURL, mask
	}
	out, err := s.submit(r.Context(), a, sendSpec{req: req, send: send})
	if err != nil {
		if errors.Is(err, queue.ErrNoneAccepted) {
			ae := refusedError(out.receipt)
			if ae.code == CodeTextTooLong {
				return kannelFail(http.StatusBadRequest, "Message too long, rejected", ae)
			}
			return kannelFail(http.StatusBadRequest, "Number(s) has/have been denied by white- and/or black-lists.", ae)
		}
		return err
	}
	w.Header().Set("X-Gsmbox-Send-Id", out.send.PublicID)
	writeText(w, http.StatusAccepted, "0: Accepted for delivery")
	return nil
}
