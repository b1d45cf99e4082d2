package ui

// L2T URL2SMS compatibility (SPEC A3, seed 000 §7a): key, mobile, sender,
// sms; status codes 200 to 500. The answer is a small XML document (the
// seed shows the OK message as [CDATA[OK]]) with HTTP 200 whatever the
// status, because the scripts of such services read the body (PHP's
// file_get_contents returns nothing on a 4xx).

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"gsmbox/pdu"
	"gsmbox/queue"
)

// URL2SMS status codes and messages (seed 000, section 7a).
var url2smsMessages = map[int]string{
	200: "OK",
	400: "absence d'id",
	401: "id non autorisé",
	402: "crédit insuffisant",
	420: "quota journalier dépassé",
	430: "contenu manquant",
	431: "destination manquante",
	440: "contenu trop long",
	441: "destination non autorisée",
	442: "sender non autorisée",
	500: "erreur interne",
}

// url2smsError is a URL2SMS status.
type url2smsError struct {
	code int
	err  error
}

func (e *url2smsError) Error() string {
	s := fmt.Sprintf("url2sms %d %s", e.code, url2smsMessages[e.code])
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *url2smsError) Unwrap() error { return e.err }

func u2sFail(code int, cause error) error { return &url2smsError{code: code, err: cause} }

// url2smsCode maps any error of a URL2SMS route to its status.
func url2smsCode(err error, ae *apiError) int {
	var ue *url2smsError
	if errors.As(err, &ue) {
		return ue.code
	}
	switch {
	case ae.code == CodeUnauthorized:
		return 401
	case ae.code == CodeInsufficientCredits:
		return 402
	case ae.code == CodeQuotaExceeded:
		return 420
	case ae.code == CodeEmptyText:
		return 430
	case ae.code == CodeNoRecipient:
		return 431
	case ae.code == CodeTextTooLong || ae.code == CodeBodyTooLarge:
		return 440
	case ae.status < 500:
		return 441
	}
	return 500
}

// url2smsResponse is the XML answer.
type url2smsResponse struct {
	XMLName xml.Name `xml:"response"`
	Status  int      `xml:"status"`
	Message cdata    `xml:"message"`
	ID      string   `xml:"id,omitempty"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// writeURL2SMS writes a URL2SMS answer.
func writeURL2SMS(w http.ResponseWriter, code int, id string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(url2smsResponse{Status: code, Message: cdata{url2smsMessages[code]}, ID: id})
	w.Write([]byte("\n"))
}

// url2smsSend is the URL2SMS sendSMS method.
func (s *Server) url2smsSend(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(r)
	if err != nil {
		return err
	}
	key, _ := p.getFold("key")
	if strings.TrimSpace(key) == "" {
		return u2sFail(400, errors.New("no key"))
	}
	a, err := s.authKey(r.Context(), strings.TrimSpace(key))
	if err != nil {
		return u2sFail(401, err)
	}
	rawText, _ := p.getFold("sms")
	text := decodeText(rawText, p.charset)
	if strings.TrimSpace(text) == "" {
		return u2sFail(430, errors.New("no sms"))
	}
	// "limité à 160 caractères": one SMS, counted as the encoder counts
	// (SPEC P2: 160 GSM characters, 70 in UCS-2).
	if c := pdu.CountText(text, pdu.CountOptions{}); c.Parts > 1 {
		return u2sFail(440, fmt.Errorf("%d characters: more than one SMS", c.Chars))
	}
	mobile, _ := p.getFold("mobile")
	numbers := splitList(mobile)
	if len(numbers) == 0 {
		return u2sFail(431, errors.New("no mobile"))
	}
	if sender, _ := p.getFold("sender"); sender != "" {
		s.noteSender(w, r, sender)
	}
	spec := sendSpec{
		req:  queue.Request{Text: text, Numbers: numbers, Channel: queue.Notification, Source: "api"},
		send: apiSend("url2sms"),
	}
	out, err := s.submit(r.Context(), a, spec)
	if err != nil {
		if errors.Is(err, queue.ErrNoneAccepted) {
			return u2sFail(url2smsRefusal(out.receipt), err)
		}
		return err
	}
	writeURL2SMS(w, 200, out.send.PublicID)
	return nil
}

// url2smsRefusal is the status of a send whose recipients were all
// refused: 440 too long, 430 empty, 441 otherwise (the destination may
// not receive: invalid, STOP list, duplicate).
func url2smsRefusal(rc queue.Receipt) int {
	for _, res := range rc.Results {
		switch res.Reason {
		case queue.ReasonTooLong:
			return 440
		case queue.ReasonEmptyText:
			return 430
		}
	}
	return 441
}
