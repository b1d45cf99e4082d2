package ui

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"gsmbox/store"
)

// family is the HTTP dialect a route speaks: it decides how an error is
// written back (SPEC A1-A5). Every error of every route is rendered by
// renderError, the one place that maps errors to HTTP.
type family int

const (
	famJSON    family = iota // native API: {"error":{"code","message"}}
	famSMSmode               // sMsmode 1.6: "code | description", HTTP 200
	famURL2SMS               // L2T URL2SMS: XML status document, HTTP 200
	famSMStoB                // SMStoB http.php: the bare code, HTTP 200
	famKannel                // Kannel sendsms: text with Kannel's HTTP status
	famPlain                 // health and other plain-text routes
)

// Error codes of the native API. They are part of the API contract: scripts
// switch on them, so they never change once released.
const (
	CodeBadRequest          = "bad_request"
	CodeInvalidJSON         = "invalid_json"
	CodeMissingParameter    = "missing_parameter"
	CodeInvalidParameter    = "invalid_parameter"
	CodeInvalidNumber       = "invalid_number"
	CodeNoRecipient         = "no_recipient"
	CodeEmptyText           = "empty_text"
	CodeTextTooLong         = "text_too_long"
	CodeBadDate             = "bad_date"
	CodeUnknownGroup        = "unknown_group"
	CodeUnknownContact      = "unknown_contact"
	CodeNotFound            = "not_found"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeConflict            = "conflict"
	CodeNotCancellable      = "not_cancellable"
	CodeInsufficientCredits = "insufficient_credits"
	CodeQuotaExceeded       = "quota_exceeded"
	CodeDuplicate           = "duplicate"
	CodeBodyTooLarge        = "body_too_large"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeInternal            = "internal"
)

// apiError is an error with its HTTP status and stable code for the native
// API; compatibility routes translate it to their own codes.
type apiError struct {
	status  int
	code    string
	message string
	err     error // cause, logged, never shown
}

func (e *apiError) Error() string {
	if e.err != nil {
		return e.code + ": " + e.message + ": " + e.err.Error()
	}
	return e.code + ": " + e.message
}

func (e *apiError) Unwrap() error { return e.err }

// errf builds an apiError.
func errf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func badParam(code, message string) *apiError {
	return errf(http.StatusBadRequest, code, message)
}

// asAPIError classifies any error: an *apiError keeps its code; errors of
// the store and of the body limit get theirs; anything else is internal.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if ae := classifyQueueError(err); ae != nil {
		return ae
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge, message: "request body too large", err: err}
	case errors.Is(err, store.ErrInsufficientCredits):
		return &apiError{status: http.StatusPaymentRequired, code: CodeInsufficientCredits, message: "insufficient credits", err: err}
	case errors.Is(err, store.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: CodeNotFound, message: "not found", err: err}
	case errors.Is(err, store.ErrConflict):
		return &apiError{status: http.StatusConflict, code: CodeConflict, message: "conflict with the current state", err: err}
	}
	return &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error", err: err}
}

// errorBody is the JSON shape of every native API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// renderError writes err in the dialect of the route. Internal errors are
// logged with the request id and never shown to the client (STYLE habit 4).
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, fam family, err error) {
	ae := asAPIError(err)
	if ae.status >= 500 {
		s.log.Error("request failed", slog.String("request_id", requestID(r)), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
	} else {
		s.log.Debug("request refused", slog.String("request_id", requestID(r)), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	switch fam {
	case famSMSmode:
		writeText(w, http.StatusOK, smsmodeErrorLine(err, ae))
	case famURL2SMS:
		writeURL2SMS(w, url2smsCode(err, ae), "")
	case famSMStoB:
		code := smstobCode(err, ae)
		status := http.StatusOK
		if code == "500" {
			status = http.StatusInternalServerError
		}
		writeText(w, status, code)
	case famKannel:
		status, text := kannelAnswer(err, ae)
		writeText(w, status, text)
	case famPlain:
		writeText(w, ae.status, ae.message+"\n")
	default:
		var b errorBody
		b.Error.Code, b.Error.Message = ae.code, ae.message
		if ae.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gsmbox"`)
		}
		writeJSON(w, ae.status, b)
	}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeText writes a plain-text body with status.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(body))
}
