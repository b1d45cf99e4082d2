package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"gsmbox/pdu"
	"gsmbox/queue"
	"gsmbox/store"
)

// Codes of refused recipients, when every recipient of a send was refused
// (HTTP 422). They are queue.Reason values except where a generic code
// already says the same.
const (
	CodeStopList       = "stop_list"
	CodeBlockedContact = "blocked_contact"
	CodeMergeField     = "merge_field"
	CodeNoneAccepted   = "no_recipient_accepted"
)

// sendSpec is a send request of any API family: what the queue needs and
// what belongs to the request (its send row: notification URLs, API).
type sendSpec struct {
	req  queue.Request
	send store.Send
	// refs, when set, are per-row refClients of req.Recipients (the
	// sMsmode batch file's column), written on each row's message.
	refs []string
}

// apiSend is the send row of a request made through api.
func apiSend(api string) store.Send { return store.Send{API: api} }

// sendOutcome is what a send did.
type sendOutcome struct {
	send    store.Send
	receipt queue.Receipt
	dryRun  bool
}

// errRollback undoes a request that must store nothing (a dry run, or a
// send whose recipients were all refused).
var errRollback = errors.New("ui: roll back")

// submit runs one send request for account a: the queue accepts it and,
// in the same transaction, the send row is stored and its messages linked
// to it, so a request is stored entirely or not at all (SPEC Q1). When
// every recipient is refused nothing is stored and the error is
// queue.ErrNoneAccepted, with the outcome telling why. (The store shares
// one commit among concurrent writers: group commit.)
func (s *Server) submit(ctx context.Context, a auth, spec sendSpec) (sendOutcome, error) {
	spec.req.AccountID = a.Account.ID
	spec.send.AccountID = a.Account.ID
	spec.send.CreatedAt = s.now()
	out := sendOutcome{dryRun: spec.req.DryRun}
	// Validation, numbers and encoding are done before the store's single
	// writer is taken: concurrent requests do them in parallel.
	p, err := s.q.Prepare(spec.req)
	if err != nil {
		return out, err
	}
	err = s.st.Write(ctx, func(tx *store.Tx) error { return s.submitTx(tx, spec, p, &out) })
	if err != nil {
		out.send = store.Send{} // rolled back with the rest
	}
	switch {
	case errors.Is(err, errRollback) && out.receipt.Accepted == 0:
		return out, queue.ErrNoneAccepted
	case errors.Is(err, errRollback):
		return out, nil // a dry run
	case err != nil:
		return out, err
	}
	s.q.Kick()
	if s.hooks != nil {
		s.hooks.Kick()
	}
	return out, nil
}

// submitTx is one request inside a write transaction; errRollback undoes
// it without it being an error.
func (s *Server) submitTx(tx *store.Tx, spec sendSpec, p *queue.Prepared, out *sendOutcome) error {
	// The send row goes first so that every message is inserted with its
	// send id; the refusals, known after, are added when there are some.
	if !spec.req.DryRun {
		sd, err := tx.InsertSend(spec.send)
		if err != nil {
			return err
		}
		out.send = sd
	}
	rc, err := s.q.SubmitPreparedTx(tx, p, out.send.ID)
	if err != nil {
		return err
	}
	out.receipt = rc
	if rc.Accepted == 0 || spec.req.DryRun {
		return errRollback
	}
	if rej := rejections(rc); len(rej) > 0 {
		if err := tx.SetSendRejected(out.send.ID, rej); err != nil {
			return err
		}
		out.send.Rejected = rej
	}
	for i, r := range rc.Results {
		// Results follow the request's order: Numbers, then the
		// Recipients rows; refs go with the rows.
		if k := i - len(spec.req.Numbers); r.MessageID != 0 && spec.refs != nil && k >= 0 && k < len(spec.refs) && spec.refs[k] != "" {
			if err := tx.SetRefClient(r.MessageID, spec.refs[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// rejections lists the refused recipients of a receipt.
func rejections(rc queue.Receipt) []store.SendRejection {
	var out []store.SendRejection
	for _, r := range rc.Results {
		if r.Accepted() {
			continue
		}
		n := r.Number
		if n == "" {
			n = r.Input
		}
		out = append(out, store.SendRejection{Number: n, Reason: string(r.Reason)})
	}
	return out
}

// refusedError explains a send whose recipients were all refused: the
// common reason's code when they share one, no_recipient_accepted
// otherwise (HTTP 422).
func refusedError(rc queue.Receipt) *apiError {
	var reason queue.Reason
	var details []string
	same := true
	for i, r := range rc.Results {
		if i == 0 {
			reason = r.Reason
		} else if r.Reason != reason {
			same = false
		}
		if len(details) < 5 {
			details = append(details, fmt.Sprintf("%s: %s", r.Input, r.Detail))
		}
	}
	code := CodeNoneAccepted
	if same {
		code = reasonCode(reason)
	}
	msg := "no recipient accepted"
	if len(details) > 0 {
		msg += ": " + strings.Join(details, "; ")
	}
	return errf(http.StatusUnprocessableEntity, code, msg)
}

// reasonCode is the native API code of a refusal reason.
func reasonCode(r queue.Reason) string {
	switch r {
	case queue.ReasonTooLong:
		return CodeTextTooLong
	case queue.ReasonEmptyText:
		return CodeEmptyText
	case queue.ReasonInvalidNumber:
		return CodeInvalidNumber
	case queue.ReasonUnknownContact:
		return CodeUnknownContact
	case queue.ReasonDuplicate:
		return CodeDuplicate
	case queue.ReasonStopList:
		return CodeStopList
	case queue.ReasonBlocked:
		return CodeBlockedContact
	case queue.ReasonMergeField:
		return CodeMergeField
	}
	return CodeNoneAccepted
}

// classifyQueueError gives the queue's request-level errors their code;
// nil when err is not one of them.
func classifyQueueError(err error) *apiError {
	switch {
	case errors.Is(err, queue.ErrNoCredits):
		return &apiError{status: http.StatusPaymentRequired, code: CodeInsufficientCredits, message: "insufficient credits", err: err}
	case errors.Is(err, queue.ErrQuotaExceeded):
		return &apiError{status: http.StatusTooManyRequests, code: CodeQuotaExceeded, message: "daily quota exceeded", err: err}
	case errors.Is(err, queue.ErrUnknownGroup):
		return &apiError{status: http.StatusBadRequest, code: CodeUnknownGroup, message: strings.TrimPrefix(err.Error(), "queue: "), err: err}
	case errors.Is(err, queue.ErrEmptyText):
		return &apiError{status: http.StatusBadRequest, code: CodeEmptyText, message: "the text is empty", err: err}
	case errors.Is(err, queue.ErrNoRecipients):
		return &apiError{status: http.StatusBadRequest, code: CodeNoRecipient, message: "no recipient given", err: err}
	case errors.Is(err, queue.ErrNoneAccepted):
		return &apiError{status: http.StatusUnprocessableEntity, code: CodeNoneAccepted, message: "no recipient accepted", err: err}
	case errors.Is(err, queue.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidParameter, message: strings.TrimPrefix(err.Error(), "queue: "), err: err}
	}
	return nil
}

// truncateParts cuts text to the longest prefix that fits in n SMS parts,
// as sMsmode's nbr_msg does ("le message sera coupé"), counting exactly as
// the encoder splits (SPEC P2).
func truncateParts(text string, n int) string {
	if n <= 0 || pdu.CountText(text, pdu.CountOptions{}).Parts <= n {
		return text
	}
	r := []rune(text)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if pdu.CountText(string(r[:mid]), pdu.CountOptions{}).Parts <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(r[:lo])
}
