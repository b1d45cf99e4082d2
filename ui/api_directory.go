package ui

import (
	"errors"
	"net/http"
	"strings"

	"gsmbox/store"
)

// contactBody is the JSON of a contact to create or replace.
type contactBody struct {
	Mobile    string            `json:"mobile"`
	LastName  string            `json:"last_name"`
	FirstName string            `json:"first_name"`
	Company   string            `json:"company"`
	Fields    map[string]string `json:"fields"`
	Blocked   bool              `json:"blocked"`
	Groups    []int64           `json:"groups"`
}

// maxField bounds the text fields of contacts and groups.
const maxField = 200

func (s *Server) contactFromBody(b contactBody) (store.Contact, error) {
	num, ok := s.q.NormalizeNumber(b.Mobile)
	if !ok {
		return store.Contact{}, badParam(CodeInvalidNumber, "mobile: not a valid phone number")
	}
	for _, v := range []string{b.LastName, b.FirstName, b.Company} {
		if len(v) > maxField {
			return store.Contact{}, badParam(CodeInvalidParameter, "names and company: at most 200 bytes")
		}
	}
	if len(b.Fields) > 50 {
		return store.Contact{}, badParam(CodeInvalidParameter, "fields: at most 50")
	}
	return store.Contact{Mobile: num, LastName: strings.TrimSpace(b.LastName), FirstName: strings.TrimSpace(b.FirstName),
		Company: strings.TrimSpace(b.Company), Fields: b.Fields, Blocked: b.Blocked}, nil
}

// listContacts is GET /api/v1/contacts (?q=, ?group=, ?after=, ?limit=).
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.listAccount(r)
	if err != nil {
		return err
	}
	f := store.ContactFilter{AccountID: acct, Search: r.URL.Query().Get("q")}
	if f.GroupID, err = queryInt(r, "group", 0); err != nil {
		return err
	}
	if f.AfterID, err = queryInt(r, "after", 0); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(r); err != nil {
		return err
	}
	cs, err := s.st.Contacts(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Contacts  []contactView `json:"contacts"`
		NextAfter int64         `json:"next_after,omitempty"`
	}{Contacts: []contactView{}}
	for _, c := range cs {
		out.Contacts = append(out.Contacts, viewContact(c))
	}
	if len(cs) == f.Limit {
		out.NextAfter = cs[len(cs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createContact is POST /api/v1/contacts.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var b contactBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	c, err := s.contactFromBody(b)
	if err != nil {
		return err
	}
	a := authFrom(r)
	c.AccountID = a.Account.ID
	for _, gid := range b.Groups {
		if _, err := s.ownGroupByID(r, gid); err != nil {
			return err
		}
	}
	id, err := s.st.CreateContact(r.Context(), c, s.now())
	if errors.Is(err, store.ErrConflict) {
		return errf(http.StatusConflict, CodeConflict, "a contact with this mobile already exists")
	}
	if err != nil {
		return err
	}
	for _, gid := range b.Groups {
		if err := s.st.AddMembers(r.Context(), gid, []int64{id}, s.now()); err != nil {
			return err
		}
	}
	c, err = s.st.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewContact(c))
	return nil
}

func (s *Server) ownContact(r *http.Request) (store.Contact, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Contact{}, err
	}
	c, err := s.st.Contact(r.Context(), id)
	if err != nil {
		return c, err
	}
	if ok, err := s.visibleAccount(r.Context(), authFrom(r), c.AccountID); err != nil || !ok {
		if err != nil {
			return c, err
		}
		return c, errf(http.StatusNotFound, CodeNotFound, "no such contact")
	}
	return c, nil
}

// showContact is GET /api/v1/contacts/{id}.
func (s *Server) showContact(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownContact(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewContact(c))
	return nil
}

// updateContact is PUT /api/v1/contacts/{id}: replaces the contact's
// fields.
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.ownContact(r)
	if err != nil {
		return err
	}
	var b contactBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if len(b.Groups) > 0 {
		return badParam(CodeInvalidParameter, "groups: change memberships through /api/v1/groups/{id}/members")
	}
	c, err := s.contactFromBody(b)
	if err != nil {
		return err
	}
	c.ID, c.AccountID = cur.ID, cur.AccountID
	if err := s.st.UpdateContact(r.Context(), c, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeConflict, "another contact has this mobile")
		}
		return err
	}
	if c, err = s.st.Contact(r.Context(), c.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewContact(c))
	return nil
}

// deleteContact is DELETE /api/v1/contacts/{id}.
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownContact(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteContact(r.Context(), c.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listGroups is GET /api/v1/groups.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	acct, err := s.listAccount(r)
	if err != nil {
		return err
	}
	gs, err := s.st.Groups(r.Context(), acct)
	if err != nil {
		return err
	}
	out := struct {
		Groups []groupView `json:"groups"`
	}{Groups: []groupView{}}
	for _, g := range gs {
		out.Groups = append(out.Groups, viewGroup(g))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type groupBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func checkGroupBody(b groupBody) error {
	switch {
	case strings.TrimSpace(b.Name) == "":
		return badParam(CodeMissingParameter, "name: required")
	case len(b.Name) > maxField || len(b.Description) > 1000:
		return badParam(CodeInvalidParameter, "name at most 200 bytes, description 1000")
	}
	return nil
}

// createGroup is POST /api/v1/groups.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	var b groupBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := checkGroupBody(b); err != nil {
		return err
	}
	id, err := s.st.CreateGroup(r.Context(), store.Group{AccountID: authFrom(r).Account.ID, Name: strings.TrimSpace(b.Name),
		Description: b.Description}, s.now())
	if errors.Is(err, store.ErrConflict) {
		return errf(http.StatusConflict, CodeConflict, "a group with this name already exists")
	}
	if err != nil {
		return err
	}
	g, err := s.st.Group(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewGroup(g))
	return nil
}

func (s *Server) ownGroupByID(r *http.Request, id int64) (store.Group, error) {
	g, err := s.st.Group(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return g, errf(http.StatusNotFound, CodeUnknownGroup, "no such group")
	}
	if err != nil {
		return g, err
	}
	if ok, err := s.visibleAccount(r.Context(), authFrom(r), g.AccountID); err != nil || !ok {
		if err != nil {
			return g, err
		}
		return g, errf(http.StatusNotFound, CodeUnknownGroup, "no such group")
	}
	return g, nil
}

func (s *Server) ownGroup(r *http.Request) (store.Group, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Group{}, err
	}
	return s.ownGroupByID(r, id)
}

// showGroup is GET /api/v1/groups/{id}.
func (s *Server) showGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(g))
	return nil
}

// updateGroup is PUT /api/v1/groups/{id}: rename, describe.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	var b groupBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := checkGroupBody(b); err != nil {
		return err
	}
	g.Name, g.Description = strings.TrimSpace(b.Name), b.Description
	if err := s.st.UpdateGroup(r.Context(), g); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errf(http.StatusConflict, CodeConflict, "a group with this name already exists")
		}
		return err
	}
	if g, err = s.st.Group(r.Context(), g.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(g))
	return nil
}

// deleteGroup is DELETE /api/v1/groups/{id} (its contacts stay).
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteGroup(r.Context(), g.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listMembers is GET /api/v1/groups/{id}/members.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	f := store.ContactFilter{AccountID: g.AccountID, GroupID: g.ID}
	if f.AfterID, err = queryInt(r, "after", 0); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(r); err != nil {
		return err
	}
	cs, err := s.st.Contacts(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Contacts  []contactView `json:"contacts"`
		NextAfter int64         `json:"next_after,omitempty"`
	}{Contacts: []contactView{}}
	for _, c := range cs {
		out.Contacts = append(out.Contacts, viewContact(c))
	}
	if len(cs) == f.Limit {
		out.NextAfter = cs[len(cs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type membersBody struct {
	Contacts []int64 `json:"contacts"`
	To       int64   `json:"to"`
	Copy     bool    `json:"copy"`
}

// checkMembers verifies that every contact id belongs to the group's
// account.
func (s *Server) checkMembers(r *http.Request, g store.Group, ids []int64) error {
	if len(ids) == 0 {
		return badParam(CodeMissingParameter, "contacts: at least one contact id")
	}
	for _, id := range ids {
		c, err := s.st.Contact(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.AccountID != g.AccountID) {
			return badParam(CodeUnknownContact, "no such contact in the group's account")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addMembers is POST /api/v1/groups/{id}/members {"contacts":[ids]}.
func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	var b membersBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := s.checkMembers(r, g, b.Contacts); err != nil {
		return err
	}
	if err := s.st.AddMembers(r.Context(), g.ID, b.Contacts, s.now()); err != nil {
		return err
	}
	if g, err = s.st.Group(r.Context(), g.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(g))
	return nil
}

// removeMember is DELETE /api/v1/groups/{id}/members/{contact}.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	cid, err := pathID(r, "contact")
	if err != nil {
		return err
	}
	if err := s.st.RemoveMembers(r.Context(), g.ID, []int64{cid}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// moveMembers is POST /api/v1/groups/{id}/members/move {"to", "contacts",
// "copy"}: moves (or copies) contacts to another group (SPEC D2).
func (s *Server) moveMembers(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ownGroup(r)
	if err != nil {
		return err
	}
	var b membersBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	to, err := s.ownGroupByID(r, b.To)
	if err != nil {
		return err
	}
	if to.AccountID != g.AccountID {
		return badParam(CodeUnknownGroup, "to: a group of the same account")
	}
	if err := s.checkMembers(r, g, b.Contacts); err != nil {
		return err
	}
	if err := s.st.MoveMembers(r.Context(), g.ID, to.ID, b.Contacts, b.Copy, s.now()); err != nil {
		return err
	}
	if to, err = s.st.Group(r.Context(), to.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(to))
	return nil
}
