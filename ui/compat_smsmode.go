package ui

// sMsmode HTTP API 1.6 compatibility (SPEC A2, seed 002): scripts written
// for api.smsmode.com/http/1.6/ work by changing the base URL. Answers are
// " | "-separated lines in ISO-8859-15, HTTP 200, as the service gives.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gsmbox/queue"
)

// smsmodeError is a sMsmode return code with its description.
type smsmodeError struct {
	code int
	desc string
	err  error // cause, logged
}

func (e *smsmodeError) Error() string {
	s := fmt.Sprintf("smsmode %d %s", e.code, e.desc)
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *smsmodeError) Unwrap() error { return e.err }

// smTable holds the descriptions one endpoint gives its return codes (the
// seed words them differently per endpoint).
type smTable map[int]string

// fail returns code with this endpoint's description.
func (t smTable) fail(code int, cause error) error {
	return &smsmodeError{code: code, desc: t[code], err: cause}
}

// wrap translates any error into this endpoint's codes: authentication
// 32, credits 33, not found 61, bad input 35, the rest 31.
func (t smTable) wrap(err error) error {
	var se *smsmodeError
	if errors.As(err, &se) {
		return err
	}
	ae := asAPIError(err)
	code := 31
	switch {
	case ae.code == CodeUnauthorized:
		code = 32
	case ae.code == CodeInsufficientCredits || ae.code == CodeQuotaExceeded:
		code = 33
	case ae.status == http.StatusNotFound:
		code = 61
	case ae.status < 500:
		code = 35
	}
	if _, ok := t[code]; !ok {
		code = 35
		if ae.status >= 500 {
			code = 31
		}
	}
	return t.fail(code, err)
}

// Return codes of each endpoint (seed 002).
var (
	smSendTable = smTable{0: "Accepté", 31: "Erreur interne", 32: "Erreur d'authentification", 33: "Crédits insuffisants",
		35: "Paramètre obligatoire manquant", 50: "Temporairement inaccessible"}
	smReportTable = smTable{31: "Erreur interne lors de la requête", 32: "Erreur d'authentification",
		35: "Paramètre obligatoire manquant", 61: "SMS n'existant pas ou plus"}
	smStatusTable = smTable{31: "Erreur interne", 32: "Echec d'authentification",
		35: "Paramètre(s) incorrect(s)", 61: "smsID invalide"}
	smCreditTable     = smTable{31: "Erreur interne", 32: "Erreur d'authentification", 35: "Paramètre incorrect"}
	smListTable       = smTable{31: "Erreur interne", 32: "Erreur d'authentification", 35: "Paramètre incorrect"}
	smResponsesTable  = smTable{31: "Erreur interne", 32: "Erreur d'authentification", 35: "Paramètre incorrect"}
	smDeleteTable     = smTable{0: "SMS supprimé", 31: "Erreur interne", 32: "Erreur d'authentification", 35: "Paramètre incorrect", 61: "SMS non trouvé"}
	smContactTable    = smTable{0: "Contact ajouté", 31: "Erreur interne", 32: "Erreur d'authentification", 35: "Paramètres incorrects"}
	smSubAccountTable = smTable{0: "Création effectuée", 31: "Erreur interne", 32: "Erreur d'authentification",
		35: "Paramètres incorrects", 41: "Identifiant déjà existant"}
	// The seed copies the creation table for deleteSubAccount; the codes
	// are kept, the words say what happened.
	smDeleteSubTable = smTable{0: "Suppression effectuée", 31: "Erreur interne", 32: "Erreur d'authentification",
		35: "Paramètres incorrects", 41: "Identifiant inexistant"}
	smTransferTable = smTable{0: "Transfert effectué", 31: "Erreur interne", 32: "Erreur d'authentification",
		33: "Crédits insuffisants", 35: "Paramètres incorrects", 41: "Identifiant inexistant"}
)

// smsmodeErrorLine renders any error of a sMsmode route.
func smsmodeErrorLine(err error, ae *apiError) string {
	var se *smsmodeError
	if !errors.As(err, &se) {
		errors.As(smSendTable.wrap(err), &se)
	}
	return encodeLatin9(strconv.Itoa(se.code) + " | " + se.desc)
}

// writeSMSmode writes a sMsmode answer: ISO-8859-15 text, HTTP 200.
func writeSMSmode(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=ISO-8859-15")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(encodeLatin9(body)))
}

// smsmodeAuth reads the parameters and checks accessToken (query string or
// form body).
func (s *Server) smsmodeAuth(r *http.Request, t smTable) (params, auth, error) {
	p, err := readParams(r)
	if err != nil {
		return p, auth{}, t.wrap(err)
	}
	tok := strings.TrimSpace(p.get("accessToken"))
	if tok == "" {
		return p, auth{}, t.fail(32, errors.New("no accessToken"))
	}
	a, err := s.authKey(r.Context(), tok)
	if err != nil {
		return p, auth{}, t.wrap(err)
	}
	return p, a, nil
}

// smsmodeDateLayout is sMsmode's date format: ddMMyyyy-HH:mm.
const smsmodeDateLayout = "02012006-15:04"

// parseSMSmodeDate reads a ddMMyyyy-HH:mm date in the box's time zone.
func (s *Server) parseSMSmodeDate(v string) (time.Time, error) {
	t, err := time.ParseInLocation(smsmodeDateLayout, strings.TrimSpace(v), s.cfg.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want ddMMyyyy-HH:mm", v)
	}
	return t, nil
}

// intl writes an E.164 number as sMsmode does: international digits
// without "+" (336xxxxxxxx).
func intl(n string) string { return strings.TrimPrefix(n, "+") }

// splitList splits a comma-separated list, trimming items (a "+" sent
// unencoded arrives as a space) and dropping empty ones.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// maxRefClient bounds refClient and similar tags.
const maxRefClient = 255

// checkURL accepts an absolute http(s) URL for notifications.
func checkURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return "", fmt.Errorf("%q is not an http(s) URL", v)
	}
	return v, nil
}

// smsmodeOptions reads the options shared by sendSMS.do and
// sendSMSBatch.do into spec.
func (s *Server) smsmodeOptions(p params, spec *sendSpec, t smTable) error {
	spec.send.API = "smsmode"
	spec.req.Source = "api"
	spec.req.Channel = queue.Notification
	if v := strings.TrimSpace(p.get("date_envoi")); v != "" {
		at, err := s.parseSMSmodeDate(v)
		if err != nil {
			return t.fail(35, err)
		}
		spec.req.At = at
	}
	ref := p.text("refClient")
	if len(ref) > maxRefClient {
		return t.fail(35, errors.New("refClient too long"))
	}
	spec.req.RefClient, spec.send.RefClient = ref, ref
	nbr := 5 // sMsmode's default
	if v := strings.TrimSpace(p.get("nbr_msg")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 255 {
			return t.fail(35, fmt.Errorf("nbr_msg %q", v))
		}
		nbr = n
	}
	spec.req.MaxParts = nbr
	switch strings.TrimSpace(p.get("stop")) {
	case "1":
		spec.req.StopMention = queue.StopIfFree
	case "2":
		spec.req.StopMention = queue.StopAlways
	}
	var err error
	if spec.send.NotifyURL, err = checkURL(p.get("notification_url")); err != nil {
		return t.fail(35, err)
	}
	if spec.send.ReplyURL, err = checkURL(p.get("notification_url_reponse")); err != nil {
		return t.fail(35, err)
	}
	return nil
}

// noteSender reports that emetteur cannot apply: a SIM sends with its own
// number (SPEC A2). It is never an error; the answer line stays as the
// seed defines it, so the note goes in a header.
func (s *Server) noteSender(w http.ResponseWriter, r *http.Request, sender string) {
	if strings.TrimSpace(sender) == "" {
		return
	}
	w.Header().Set("X-Gsmbox-Notice", "emetteur not applicable: the SIM card sends with its own number")
	s.log.Debug("sender id ignored: a SIM sends with its own number", slog.String("request_id", requestID(r)),
		slog.String("emetteur", sender))
}

// smsmodeSendSMS is sendSMS.do: one text to numbers or a group.
func (s *Server) smsmodeSendSMS(w http.ResponseWriter, r *http.Request) error {
	t := smSendTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	var spec sendSpec
	if err := s.smsmodeOptions(p, &spec, t); err != nil {
		return err
	}
	text := p.text("message")
	if strings.TrimSpace(text) == "" {
		return t.fail(35, errors.New("no message"))
	}
	spec.req.Text = truncateParts(text, spec.req.MaxParts)
	numbers := splitList(p.get("numero"))
	group := strings.TrimSpace(p.text("groupe"))
	if len(numbers) == 0 && group == "" {
		return t.fail(35, errors.New("no numero nor groupe"))
	}
	if !p.post && len(numbers) > s.cfg.GETRecipients {
		return t.fail(35, fmt.Errorf("%d recipients in a GET request: at most %d, use POST", len(numbers), s.cfg.GETRecipients))
	}
	spec.req.Numbers = numbers
	if group != "" {
		spec.req.GroupNames = []string{group}
	}
	s.noteSender(w, r, p.get("emetteur"))
	out, err := s.submit(r.Context(), a, spec)
	if err != nil {
		if errors.Is(err, queue.ErrNoneAccepted) {
			return t.fail(35, refusedError(out.receipt))
		}
		return t.wrap(err)
	}
	writeSMSmode(w, "0 | "+t[0]+" | "+out.send.PublicID)
	return nil
}

// smsmodeBatchColumns are the CSV columns sendSMSBatch.do reads (seed
// 002: "seuls les paramètres numero, message, emetteur peuvent être gérés
// par le fichier batch", and its example adds refClient).
var smsmodeBatchColumns = []string{"numero", "message", "emetteur", "refclient"}

// smsmodeSendBatch is sendSMSBatch.do: a multipart CSV file with one row
// per recipient and its own text, in ISO-8859-15.
func (s *Server) smsmodeSendBatch(w http.ResponseWriter, r *http.Request) error {
	t := smSendTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	var spec sendSpec
	if err := s.smsmodeOptions(p, &spec, t); err != nil {
		return err
	}
	fh := firstFile(p.files)
	if fh == nil {
		return t.fail(35, errors.New("no CSV file in the multipart body"))
	}
	rows, err := readBatchCSV(fh)
	if err != nil {
		return t.fail(35, err)
	}
	if len(rows) == 0 {
		return t.fail(35, errors.New("the CSV file has no row"))
	}
	refs := make([]string, len(rows))
	var senders bool
	for i, row := range rows {
		spec.req.Recipients = append(spec.req.Recipients, queue.Recipient{Number: row["numero"], Text: truncateParts(row["message"], spec.req.MaxParts)})
		refs[i] = row["refclient"]
		if len(refs[i]) > maxRefClient {
			return t.fail(35, fmt.Errorf("row %d: refClient too long", i+1))
		}
		senders = senders || row["emetteur"] != ""
	}
	if text := p.text("message"); strings.TrimSpace(text) != "" {
		spec.req.Text = truncateParts(text, spec.req.MaxParts)
	}
	if senders {
		s.noteSender(w, r, "(CSV)")
	} else {
		s.noteSender(w, r, p.get("emetteur"))
	}
	spec.refs = refs
	out, err := s.submit(r.Context(), a, spec)
	if err != nil {
		if errors.Is(err, queue.ErrNoneAccepted) {
			return t.fail(35, refusedError(out.receipt))
		}
		return t.wrap(err)
	}
	writeSMSmode(w, "0 | "+t[0]+" | "+out.send.PublicID)
	return nil
}

func firstFile(files map[string][]*multipart.FileHeader) *multipart.FileHeader {
	if fhs := files["fichier"]; len(fhs) > 0 {
		return fhs[0]
	}
	for _, fhs := range files {
		if len(fhs) > 0 {
			return fhs[0]
		}
	}
	return nil
}

// readBatchCSV reads a batch file: a header row naming the columns, then
// one row per recipient. The file is ISO-8859-15 (seed 002), or UTF-8 when
// it is valid UTF-8; comma or semicolon separated; quotes optional. Only
// data is read: nothing in a cell is interpreted (SPEC S8).
func readBatchCSV(fh *multipart.FileHeader) ([]map[string]string, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open the CSV file: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read the CSV file: %w", err)
	}
	text := strings.TrimPrefix(string(raw), "\ufeff")
	if !utf8.ValidString(text) {
		text = latin9(text)
	}
	first, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	if strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("CSV file: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("the CSV file is empty")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["numero"]; !ok {
		return nil, errors.New(`the CSV header has no "numero" column`)
	}
	if _, ok := col["message"]; !ok {
		return nil, errors.New(`the CSV header has no "message" column`)
	}
	var rows []map[string]string
	for n, rec := range recs[1:] {
		row := map[string]string{}
		empty := true
		for _, name := range smsmodeBatchColumns {
			if i, ok := col[name]; ok && i < len(rec) {
				row[name] = strings.TrimSpace(rec[i])
				if row[name] != "" {
					empty = false
				}
			}
		}
		if empty {
			continue
		}
		if row["numero"] == "" {
			return nil, fmt.Errorf("row %d: no numero", n+2)
		}
		rows = append(rows, row)
	}
	return rows, nil
}
