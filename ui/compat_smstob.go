package ui

// SMStoB http.php compatibility (SPEC A3, seed 003 §3): email, pass,
// numero (a number or a group name), message, diff=hhmmjjmmaaaa (a
// trailing "s" deletes that deferred send), test=o. The answer is the bare
// return code, HTTP 200.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gsmbox/queue"
)

// SMStoB return codes (seed 003). 80 is not in the seed's list, which
// starts with the deferred case: it is SMStoB's code for a message sent at
// once, and the box answers it for an immediate send.
const (
	stbSent          = 80
	stbDeferred      = 81
	stbBadLogin      = 82
	stbNoCredit      = 83
	stbBadNumber     = 84
	stbBadDiff       = 85
	stbEmptyGroup    = 86
	stbNoEmail       = 87
	stbNoPass        = 88
	stbNoNumero      = 89
	stbNoMessage     = 90
	stbDuplicate     = 91
	stbTestOK        = 92
	stbDeleted       = 94
	stbDeleteFailed  = 95
	smstobDiffLayout = "150402012006" // hhmmjjmmaaaa
)

// smstobError is an SMStoB return code.
type smstobError struct {
	code int
	err  error
}

func (e *smstobError) Error() string {
	s := fmt.Sprintf("smstob %d", e.code)
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *smstobError) Unwrap() error { return e.err }

func stbFail(code int, cause error) error { return &smstobError{code: code, err: cause} }

// smstobCode maps any error of the SMStoB route to its code.
func smstobCode(err error, ae *apiError) string {
	var se *smstobError
	if errors.As(err, &se) {
		return strconv.Itoa(se.code)
	}
	switch {
	case ae.code == CodeUnauthorized:
		return strconv.Itoa(stbBadLogin)
	case ae.code == CodeInsufficientCredits || ae.code == CodeQuotaExceeded:
		return strconv.Itoa(stbNoCredit)
	case ae.code == CodeUnknownGroup:
		return strconv.Itoa(stbEmptyGroup)
	case ae.code == CodeEmptyText:
		return strconv.Itoa(stbNoMessage)
	case ae.code == CodeBodyTooLarge:
		// No SMStoB code says it; a code of the list would be taken for a
		// verdict on the message.
		return "413"
	case ae.status < 500:
		return strconv.Itoa(stbBadNumber)
	}
	// The seed has no code for an internal error: an HTTP 200 with a
	// code would be taken for a verdict, so answer a plain 500.
	return "500"
}

// smstobNumbers reads numero: numbers (several separated by dashes, as
// SMStoB's e-mail syntax has it, or commas) or, when it has letters, a
// group name.
func smstobNumbers(v string) (numbers []string, group string) {
	v = strings.TrimSpace(v)
	if strings.IndexFunc(v, unicode.IsLetter) >= 0 {
		return nil, v
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		pieces := strings.Split(f, "-")
		multi := len(pieces) > 1
		for _, p := range pieces {
			if len(strings.TrimSpace(p)) < 8 {
				multi = false // 06-12-34-56-78: one number written with dashes
			}
		}
		if multi {
			numbers = append(numbers, pieces...)
		} else {
			numbers = append(numbers, f)
		}
	}
	return splitList(strings.Join(numbers, ",")), ""
}

// smstobSend is http.php.
func (s *Server) smstobSend(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(r)
	if err != nil {
		return err
	}
	email, pass := strings.TrimSpace(p.get("email")), strings.TrimSpace(p.get("pass"))
	switch {
	case email == "":
		return stbFail(stbNoEmail, nil)
	case pass == "":
		return stbFail(stbNoPass, nil)
	}
	a, err := s.authKey(r.Context(), pass)
	if err != nil {
		return stbFail(stbBadLogin, err)
	}
	numbers, group := smstobNumbers(p.text("numero"))
	if len(numbers) == 0 && group == "" {
		return stbFail(stbNoNumero, nil)
	}
	diff := strings.TrimSpace(p.get("diff"))
	if strings.HasSuffix(diff, "s") || strings.HasSuffix(diff, "S") {
		return s.smstobDelete(w, r, a, diff[:len(diff)-1], numbers)
	}
	text := p.text("message")
	if strings.TrimSpace(text) == "" {
		return stbFail(stbNoMessage, nil)
	}
	spec := sendSpec{
		req:  queue.Request{Text: text, Numbers: numbers, Channel: queue.Notification, Source: "api", DryRun: strings.EqualFold(p.get("test"), "o")},
		send: apiSend("smstob"),
	}
	if group != "" {
		spec.req.GroupNames = []string{group}
	}
	if diff != "" {
		at, err := time.ParseInLocation(smstobDiffLayout, diff, s.cfg.Location)
		if err != nil {
			return stbFail(stbBadDiff, err)
		}
		spec.req.At = at
	}
	out, err := s.submit(r.Context(), a, spec)
	switch {
	case errors.Is(err, queue.ErrNoneAccepted):
		return stbFail(smstobRefusal(out.receipt), err)
	case errors.Is(err, queue.ErrUnknownGroup), errors.Is(err, queue.ErrNoRecipients):
		return stbFail(stbEmptyGroup, err)
	case err != nil:
		return err
	}
	code := stbSent
	switch {
	case out.dryRun:
		code = stbTestOK
	case out.receipt.Scheduled:
		code = stbDeferred
	}
	writeText(w, http.StatusOK, strconv.Itoa(code))
	return nil
}

// smstobRefusal is the code of a send whose recipients were all refused.
func smstobRefusal(rc queue.Receipt) int {
	for _, res := range rc.Results {
		if res.Reason == queue.ReasonDuplicate {
			return stbDuplicate
		}
	}
	if len(rc.Results) > 0 {
		return rc.Results[0].Reason.SMStoBCode()
	}
	return stbBadNumber
}

// smstobDelete cancels the account's deferred messages due at diff (to
// numbers when given): 94 when some were, 95 when none could be.
func (s *Server) smstobDelete(w http.ResponseWriter, r *http.Request, a auth, diff string, numbers []string) error {
	at, err := time.ParseInLocation(smstobDiffLayout, diff, s.cfg.Location)
	if err != nil {
		return stbFail(stbBadDiff, err)
	}
	var e164 []string
	for _, n := range numbers {
		if num, ok := s.q.NormalizeNumber(n); ok {
			e164 = append(e164, num)
		}
	}
	ids, err := s.st.ScheduledBetween(r.Context(), a.Account.ID, at, at.Add(time.Minute), e164)
	if err != nil {
		return err
	}
	n, err := s.cancelMessages(r.Context(), ids)
	if err != nil {
		return err
	}
	if n == 0 {
		return stbFail(stbDeleteFailed, fmt.Errorf("no deferred message at %s", at))
	}
	writeText(w, http.StatusOK, strconv.Itoa(stbDeleted))
	return nil
}
