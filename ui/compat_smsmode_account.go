package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gsmbox/store"
	"gsmbox/ui/apikey"
)

// dayKey is the account_usage day of t in the box's zone (yyyymmdd).
func (s *Server) dayKey(t time.Time) int {
	y, m, d := t.In(s.cfg.Location).Date()
	return y*10000 + int(m)*100 + d
}

// smsmodeCredit is credit.do: the account's remaining credits. An account
// without a credit limit is a post-paid account for sMsmode, which reports
// a negative value: minus the SMS parts used this month.
func (s *Server) smsmodeCredit(w http.ResponseWriter, r *http.Request) error {
	t := smCreditTable
	_, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	acct, err := s.st.Account(r.Context(), a.Account.ID)
	if err != nil {
		return t.wrap(err)
	}
	if acct.Limited {
		writeSMSmode(w, strconv.FormatInt(acct.Credits, 10))
		return nil
	}
	now := s.now().In(s.cfg.Location)
	first := s.dayKey(time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, s.cfg.Location))
	u, err := s.st.UsageBetween(r.Context(), acct.ID, first, s.dayKey(now))
	if err != nil {
		return t.wrap(err)
	}
	writeSMSmode(w, strconv.Itoa(-u.Parts))
	return nil
}

// maxPseudo is sMsmode's limit on a sub-account identifier.
const maxPseudo = 50

// smsmodeCreateSub is createSubAccount.do: a sub-account of the caller's
// account, with no credits until some are transferred (SPEC Q11). The box
// authenticates API calls with keys, not passwords: newPass is required as
// sMsmode requires it, and the sub-account gets its keys from
// createAuthorisation.do (pseudo=...) or the native API.
func (s *Server) smsmodeCreateSub(w http.ResponseWriter, r *http.Request) error {
	t := smSubAccountTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(p.text("newPseudo"))
	switch {
	case name == "" || strings.TrimSpace(p.get("newPass")) == "":
		return t.fail(35, errors.New("newPseudo and newPass are required"))
	case len([]rune(name)) > maxPseudo:
		return t.fail(35, fmt.Errorf("newPseudo longer than %d characters", maxPseudo))
	}
	_, err = s.st.CreateAccount(r.Context(), store.Account{Name: name, ParentID: a.Account.ID, Limited: true}, s.now())
	if errors.Is(err, store.ErrConflict) {
		return t.fail(41, err)
	}
	if err != nil {
		return t.wrap(err)
	}
	writeSMSmode(w, "0 | "+t[0])
	return nil
}

// smsmodeDeleteSub is deleteSubAccount.do: removes a sub-account of the
// caller, giving its remaining credits back.
func (s *Server) smsmodeDeleteSub(w http.ResponseWriter, r *http.Request) error {
	t := smDeleteSubTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(p.text("pseudoToDelete"))
	if name == "" {
		return t.fail(35, errors.New("no pseudoToDelete"))
	}
	sub, err := s.st.AccountByNameIn(r.Context(), a.Account.ID, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sub.ParentID != a.Account.ID) {
		return t.fail(41, fmt.Errorf("%q is not a sub-account of this account", name))
	}
	if err != nil {
		return t.wrap(err)
	}
	if err := s.st.DeleteSubAccount(r.Context(), a.Account.ID, sub.ID, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return t.fail(35, err)
		}
		return t.wrap(err)
	}
	s.keys.flush()
	writeSMSmode(w, "0 | "+t[0])
	return nil
}

// smsmodeTransfer is creditTransfert.do: moves whole credits to a
// sub-account, or from a sub-account to its parent.
func (s *Server) smsmodeTransfer(w http.ResponseWriter, r *http.Request) error {
	t := smTransferTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(p.text("targetPseudo"))
	amount := strings.TrimSpace(p.get("creditAmount"))
	if name == "" || amount == "" {
		return t.fail(35, errors.New("targetPseudo and creditAmount are required"))
	}
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil || n <= 0 {
		return t.fail(35, fmt.Errorf("creditAmount %q: a positive whole number", amount))
	}
	target, err := s.st.AccountByNameIn(r.Context(), a.Account.ID, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && target.ID == a.Account.ID) {
		return t.fail(41, fmt.Errorf("no account %q among this account's parent and sub-accounts", name))
	}
	if err != nil {
		return t.wrap(err)
	}
	if err := s.st.TransferCredits(r.Context(), a.Account.ID, target.ID, n, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return t.fail(35, err)
		}
		return t.wrap(err)
	}
	writeSMSmode(w, "0 | "+t[0])
	return nil
}

// smsmodeAddContact is addContact.do: adds (or updates, by mobile) a
// contact, creating the named groups that do not exist.
func (s *Server) smsmodeAddContact(w http.ResponseWriter, r *http.Request) error {
	t := smContactTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	name, mobile := strings.TrimSpace(p.text("nom")), strings.TrimSpace(p.get("mobile"))
	if name == "" || mobile == "" {
		return t.fail(35, errors.New("nom and mobile are required"))
	}
	num, ok := s.q.NormalizeNumber(mobile)
	if !ok {
		return t.fail(35, fmt.Errorf("mobile %q is not a phone number", mobile))
	}
	fields := map[string]string{}
	for _, k := range []string{"other", "date"} {
		if v := strings.TrimSpace(p.text(k)); v != "" {
			fields[k] = v
		}
	}
	c := store.Contact{AccountID: a.Account.ID, Mobile: num, LastName: name, FirstName: strings.TrimSpace(p.text("prenom")),
		Company: strings.TrimSpace(p.text("societe")), Fields: fields}
	if _, err := s.st.UpsertContactInGroups(r.Context(), c, splitList(p.text("groupes")), s.now()); err != nil {
		return t.wrap(err)
	}
	writeSMSmode(w, "0 | "+t[0])
	return nil
}

// smsmodeAuthorisation is createAuthorisation.do: a new API key, answered
// in JSON as the seed documents (id, accessToken, creationDate, state,
// expiration, account). With pseudo=<sub-account> the key is made for
// that sub-account of the caller.
func (s *Server) smsmodeAuthorisation(w http.ResponseWriter, r *http.Request) error {
	t := smCreditTable
	p, a, err := s.smsmodeAuth(r, t)
	if err != nil {
		return err
	}
	acct := a.Account
	if name := strings.TrimSpace(p.text("pseudo")); name != "" {
		sub, err := s.st.AccountByNameIn(r.Context(), a.Account.ID, name)
		if err != nil || sub.ParentID != a.Account.ID {
			return t.fail(35, fmt.Errorf("%q is not a sub-account of this account", name))
		}
		acct = sub
	}
	now := s.now()
	key, k, err := apikey.Create(r.Context(), s.st, acct.ID, "createAuthorisation "+now.In(s.cfg.Location).Format("2006-01-02 15:04"), now)
	if err != nil {
		return t.wrap(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":           k.ID,
		"accessToken":  key,
		"creationDate": now.UTC().Format(time.RFC3339),
		"state":        "VALID",
		"expiration":   nil,
		"account":      acct.Name,
	})
	return nil
}
