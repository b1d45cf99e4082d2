package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"gsmbox/store"
	"gsmbox/ui/apikey"
)

type usageView struct {
	Messages int `json:"messages"`
	Parts    int `json:"parts"`
}

type accountDetail struct {
	accountView
	Today     usageView `json:"today"`
	Month     usageView `json:"month"`
	LowCredit bool      `json:"low_credit_alert"`
}

func (s *Server) accountDetail(r *http.Request, a store.Account) (accountDetail, error) {
	now := s.now().In(s.cfg.Location)
	today, err := s.st.Usage(r.Context(), a.ID, s.dayKey(now))
	if err != nil {
		return accountDetail{}, err
	}
	first := s.dayKey(time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, s.cfg.Location))
	month, err := s.st.UsageBetween(r.Context(), a.ID, first, s.dayKey(now))
	if err != nil {
		return accountDetail{}, err
	}
	return accountDetail{accountView: viewAccount(a), Today: usageView(today), Month: usageView(month),
		LowCredit: a.Limited && a.LowCredit > 0 && a.Credits <= a.LowCredit}, nil
}

// showOwnAccount is GET /api/v1/account: the key's account with its
// credits and usage (SPEC Q11).
func (s *Server) showOwnAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.st.Account(r.Context(), authFrom(r).Account.ID)
	if err != nil {
		return err
	}
	d, err := s.accountDetail(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// listAccounts is GET /api/v1/accounts: the key's account and its
// sub-accounts.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	me := authFrom(r).Account
	a, err := s.st.Account(r.Context(), me.ID)
	if err != nil {
		return err
	}
	subs, err := s.st.SubAccounts(r.Context(), me.ID)
	if err != nil {
		return err
	}
	out := struct {
		Accounts []accountDetail `json:"accounts"`
	}{}
	for _, x := range append([]store.Account{a}, subs...) {
		d, err := s.accountDetail(r, x)
		if err != nil {
			return err
		}
		out.Accounts = append(out.Accounts, d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type accountBody struct {
	Name       string `json:"name"`
	Credits    int64  `json:"credits"`
	DailyQuota int    `json:"daily_quota"`
	LowCredit  int64  `json:"low_credit"`
}

// createAccount is POST /api/v1/accounts: a sub-account of the key's
// account (sMsmode createSubAccount); initial credits are transferred from
// the parent.
func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) error {
	var b accountBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	b.Name = strings.TrimSpace(b.Name)
	switch {
	case b.Name == "" || len([]rune(b.Name)) > maxPseudo:
		return badParam(CodeInvalidParameter, "name: 1 to 50 characters")
	case b.Credits < 0 || b.DailyQuota < 0 || b.LowCredit < 0:
		return badParam(CodeInvalidParameter, "credits, daily_quota and low_credit must not be negative")
	}
	me := authFrom(r).Account
	now := s.now()
	id, err := s.st.CreateAccount(r.Context(), store.Account{Name: b.Name, ParentID: me.ID, Limited: true,
		DailyQuota: b.DailyQuota, LowCredit: b.LowCredit}, now)
	if errors.Is(err, store.ErrConflict) {
		return errf(http.StatusConflict, CodeConflict, "an account with this name already exists")
	}
	if err != nil {
		return err
	}
	if b.Credits > 0 {
		if err := s.st.TransferCredits(r.Context(), me.ID, id, b.Credits, now); err != nil {
			// The account exists without its credits: say so rather
			// than undo it behind the caller's back.
			return err
		}
	}
	a, err := s.st.Account(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := s.accountDetail(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// subAccount returns the {id} sub-account of the key's account.
func (s *Server) subAccount(r *http.Request) (store.Account, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Account{}, err
	}
	a, err := s.st.Account(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.ParentID != authFrom(r).Account.ID) {
		return a, errf(http.StatusNotFound, CodeNotFound, "no such sub-account")
	}
	return a, err
}

// showAccount is GET /api/v1/accounts/{id}: the key's account or one of
// its sub-accounts.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if ok, err := s.visibleAccount(r.Context(), authFrom(r), id); err != nil || !ok {
		if err != nil {
			return err
		}
		return errf(http.StatusNotFound, CodeNotFound, "no such account")
	}
	a, err := s.st.Account(r.Context(), id)
	if err != nil {
		return err
	}
	d, err := s.accountDetail(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// updateAccount is PUT /api/v1/accounts/{id}: a sub-account's name, daily
// quota and low-credit threshold (credits move by transfer only).
func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.subAccount(r)
	if err != nil {
		return err
	}
	var b accountBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if b.Credits != 0 {
		return badParam(CodeInvalidParameter, "credits: move them with POST /api/v1/credits/transfer")
	}
	if b.DailyQuota < 0 || b.LowCredit < 0 {
		return badParam(CodeInvalidParameter, "daily_quota and low_credit must not be negative")
	}
	if n := strings.TrimSpace(b.Name); n != "" {
		if len([]rune(n)) > maxPseudo {
			return badParam(CodeInvalidParameter, "name: 1 to 50 characters")
		}
		a.Name = n
	}
	a.DailyQuota, a.LowCredit = b.DailyQuota, b.LowCredit
	if err := s.st.UpdateAccount(r.Context(), a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeConflict, "an account with this name already exists")
		}
		return err
	}
	s.keys.flush()
	if a, err = s.st.Account(r.Context(), a.ID); err != nil {
		return err
	}
	d, err := s.accountDetail(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// deleteAccount is DELETE /api/v1/accounts/{id}: a sub-account without
// messages; its credits go back to the parent.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.subAccount(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteSubAccount(r.Context(), authFrom(r).Account.ID, a.ID, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeConflict, "the account has messages or sub-accounts: it cannot be deleted")
		}
		return err
	}
	s.keys.flush()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// transferCredits is POST /api/v1/credits/transfer {"from", "to",
// "amount"}: between the key's account and its parent or sub-accounts
// (from defaults to the key's account; a parent may take credits back
// from a sub-account).
func (s *Server) transferCredits(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		From   int64 `json:"from"`
		To     int64 `json:"to"`
		Amount int64 `json:"amount"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	me := authFrom(r).Account
	if b.From == 0 {
		b.From = me.ID
	}
	if b.Amount <= 0 {
		return badParam(CodeInvalidParameter, "amount: a positive whole number")
	}
	from, err := s.st.Account(r.Context(), b.From)
	if err != nil || (from.ID != me.ID && from.ParentID != me.ID) {
		return badParam(CodeInvalidParameter, "from: the key's account or one of its sub-accounts")
	}
	to, err := s.st.Account(r.Context(), b.To)
	if err != nil || to.ID == from.ID || (to.ParentID != from.ID && from.ParentID != to.ID) {
		return badParam(CodeInvalidParameter, "to: the parent or a sub-account of from")
	}
	if err := s.st.TransferCredits(r.Context(), from.ID, to.ID, b.Amount, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeConflict, "the target account has unlimited credits")
		}
		return err
	}
	if from, err = s.st.Account(r.Context(), from.ID); err != nil {
		return err
	}
	if to, err = s.st.Account(r.Context(), to.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]accountView{"from": viewAccount(from), "to": viewAccount(to)})
	return nil
}

type apiKeyView struct {
	ID         int64      `json:"id"`
	AccountID  int64      `json:"account_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Key        string     `json:"key,omitempty"` // only in the answer that creates it
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func viewKey(k store.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, AccountID: k.AccountID, Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt.UTC(),
		LastUsedAt: optTime(k.LastUsedAt), RevokedAt: optTime(k.RevokedAt)}
}

// listKeys is GET /api/v1/apikeys: the keys of the key's account and its
// sub-accounts (never the keys themselves: only their prefixes).
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	me := authFrom(r).Account
	ids := []int64{me.ID}
	subs, err := s.st.SubAccounts(r.Context(), me.ID)
	if err != nil {
		return err
	}
	for _, a := range subs {
		ids = append(ids, a.ID)
	}
	out := struct {
		Keys []apiKeyView `json:"keys"`
	}{Keys: []apiKeyView{}}
	for _, id := range ids {
		ks, err := s.st.APIKeys(r.Context(), id)
		if err != nil {
			return err
		}
		for _, k := range ks {
			out.Keys = append(out.Keys, viewKey(k))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createKey is POST /api/v1/apikeys {"name", "account_id"}: the answer is
// the only time the key is shown.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name      string `json:"name"`
		AccountID int64  `json:"account_id"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	a := authFrom(r)
	if b.AccountID == 0 {
		b.AccountID = a.Account.ID
	}
	if strings.TrimSpace(b.Name) == "" || len(b.Name) > maxField {
		return badParam(CodeInvalidParameter, "name: 1 to 200 bytes")
	}
	if ok, err := s.visibleAccount(r.Context(), a, b.AccountID); err != nil || !ok {
		if err != nil {
			return err
		}
		return badParam(CodeInvalidParameter, "account_id: the key's account or one of its sub-accounts")
	}
	key, k, err := apikey.Create(r.Context(), s.st, b.AccountID, b.Name, s.now())
	if err != nil {
		return err
	}
	v := viewKey(k)
	v.Key = key
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// revokeKey is DELETE /api/v1/apikeys/{id}.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a := authFrom(r)
	ks, err := s.st.APIKeys(r.Context(), 0)
	if err != nil {
		return err
	}
	for _, k := range ks {
		if k.ID != id {
			continue
		}
		if ok, err := s.visibleAccount(r.Context(), a, k.AccountID); err != nil || !ok {
			break
		}
		if err := s.st.RevokeAPIKey(r.Context(), id, s.now()); err != nil {
			return err
		}
		s.keys.flush()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return errf(http.StatusNotFound, CodeNotFound, "no such live key")
}

type statsDay struct {
	Day      string         `json:"day"`
	Messages map[string]int `json:"messages"`
	Parts    int            `json:"parts"`
	Received int            `json:"received"`
}

type groupCountView struct {
	Key      string `json:"key"`
	Messages int    `json:"messages"`
	Parts    int    `json:"parts"`
}

// maxStatsDays bounds one statistics request.
const maxStatsDays = 366

// showStatistics is GET /api/v1/statistics?from=yyyy-mm-dd&to=yyyy-mm-dd
// (default: the last 30 days, today included): per day, by status; by
// modem and by source over the period (SPEC W13). Days are the box's.
func (s *Server) showStatistics(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.listAccount(r)
	if err != nil {
		return err
	}
	a := authFrom(r)
	if a.TopLevel() && r.URL.Query().Get("account_id") == "" {
		acct = 0 // the whole box
	}
	loc := s.cfg.Location
	now := s.now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from, to := today.AddDate(0, 0, -29), today
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = time.ParseInLocation("2006-01-02", v, loc); err != nil {
			return badParam(CodeBadDate, "from: yyyy-mm-dd")
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = time.ParseInLocation("2006-01-02", v, loc); err != nil {
			return badParam(CodeBadDate, "to: yyyy-mm-dd")
		}
	}
	if to.Before(from) || to.Sub(from) > maxStatsDays*24*time.Hour {
		return badParam(CodeBadDate, "from must be before to, at most 366 days apart")
	}
	out := struct {
		From     string           `json:"from"`
		To       string           `json:"to"`
		Days     []statsDay       `json:"days"`
		Totals   statsDay         `json:"totals"`
		ByModem  []groupCountView `json:"by_modem"`
		BySource []groupCountView `json:"by_source"`
		Queue    map[string]int   `json:"queue"`
	}{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Totals: statsDay{Messages: map[string]int{}},
		ByModem: []groupCountView{}, BySource: []groupCountView{}, Queue: map[string]int{}}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		ps, err := s.st.Stats(r.Context(), acct, d, d.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		day := statsDay{Day: d.Format("2006-01-02"), Messages: map[string]int{}, Parts: ps.Parts, Received: ps.Received}
		for st, n := range ps.Messages {
			day.Messages[string(st)] = n
			out.Totals.Messages[string(st)] += n
		}
		out.Totals.Parts += ps.Parts
		out.Totals.Received += ps.Received
		out.Days = append(out.Days, day)
	}
	end := to.AddDate(0, 0, 1)
	for by, dst := range map[string]*[]groupCountView{"modem": &out.ByModem, "source": &out.BySource} {
		gs, err := s.st.StatsBy(r.Context(), acct, from, end, by)
		if err != nil {
			return err
		}
		for _, g := range gs {
			*dst = append(*dst, groupCountView(g))
		}
	}
	depth, err := s.st.QueueDepth(r.Context())
	if err != nil {
		return err
	}
	for st, n := range depth {
		out.Queue[string(st)] = n
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
