package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Contact is one entry of the directory (SPEC D1).
type Contact struct {
	ID        int64
	AccountID int64
	Mobile    string // E.164
	LastName  string
	FirstName string
	Company   string
	// Fields are free fields (mail-merge values such as v1, param1, city).
	Fields    map[string]string
	Blocked   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

const contactColumns = `id, account_id, mobile, last_name, first_name, company, fields, blocked, created_at, updated_at`

func scanContact(sc scanner) (Contact, error) {
	var c Contact
	var fields string
	var created, updated int64
	err := sc.Scan(&c.ID, &c.AccountID, &c.Mobile, &c.LastName, &c.FirstName, &c.Company, &fields, &c.Blocked, &created, &updated)
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	if fields != "" && fields != "{}" {
		if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
			return c, fmt.Errorf("fields of contact %d: %w", c.ID, err)
		}
	}
	return c, nil
}

func fieldsJSON(f map[string]string) (string, error) {
	if len(f) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

func scanContacts(rows *sql.Rows, what string) ([]Contact, error) {
	return scanRows(rows, scanContact, what)
}

const qInsertContact = `INSERT INTO contacts (account_id, mobile, last_name, first_name, company, fields, blocked, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// CreateContact adds a contact; its mobile must already be E.164 and
// unique within the account (ErrConflict otherwise).
func (s *Store) CreateContact(ctx context.Context, c Contact, now time.Time) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateContact(c, now)
		return err
	})
	return id, err
}

// CreateContact is Store.CreateContact inside a transaction.
func (tx *Tx) CreateContact(c Contact, now time.Time) (int64, error) {
	if c.AccountID == 0 {
		c.AccountID = DefaultAccount
	}
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return 0, fmt.Errorf("store: create contact %s: %w", c.Mobile, err)
	}
	var id int64
	err = tx.queryRow(qInsertContact, c.AccountID, c.Mobile, c.LastName, c.FirstName, c.Company, fields,
		boolInt(c.Blocked), ms(now), ms(now)).Scan(&id)
	if isUnique(err) {
		return 0, fmt.Errorf("store: create contact %s: %w", c.Mobile, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("store: create contact %s: %w", c.Mobile, err)
	}
	return id, nil
}

// UpdateContact replaces a contact's fields (not its account).
func (s *Store) UpdateContact(ctx context.Context, c Contact, now time.Time) error {
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return fmt.Errorf("store: update contact %d: %w", c.ID, err)
	}
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE contacts SET mobile = ?, last_name = ?, first_name = ?, company = ?, fields = ?, blocked = ?, updated_at = ? WHERE id = ?`,
			c.Mobile, c.LastName, c.FirstName, c.Company, fields, boolInt(c.Blocked), ms(now), c.ID)
		if isUnique(err) {
			return fmt.Errorf("store: update contact %d: %w", c.ID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: update contact %d: %w", c.ID, err)
		}
		return affected(res, fmt.Sprintf("update contact %d", c.ID))
	})
}

// DeleteContact removes a contact (and its group memberships).
func (s *Store) DeleteContact(ctx context.Context, id int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM contacts WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete contact %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("delete contact %d", id))
	})
}

// Contact returns contact id.
func (s *Store) Contact(ctx context.Context, id int64) (Contact, error) {
	c, err := scanContact(s.r.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: contact %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: contact %d: %w", id, err)
	}
	return c, nil
}

// ContactByMobile returns the contact of accountID with that E.164 mobile.
func (s *Store) ContactByMobile(ctx context.Context, accountID int64, mobile string) (Contact, error) {
	c, err := scanContact(s.r.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE account_id = ? AND mobile = ?`, accountID, mobile))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: contact %s: %w", mobile, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: contact %s: %w", mobile, err)
	}
	return c, nil
}

// ContactFilter selects contacts for lists (UI W9); zero fields do not
// filter.
type ContactFilter struct {
	AccountID int64
	GroupID   int64
	// Search matches the start of the last name, first name or company
	// (case-insensitive), or any part of the mobile.
	Search  string
	Blocked *bool
	AfterID int64 // pages forwards by id
	Limit   int
}

// Contacts lists contacts matching f by id.
func (s *Store) Contacts(ctx context.Context, f ContactFilter) ([]Contact, error) {
	var where []string
	var args []any
	if f.AccountID != 0 {
		where = append(where, `account_id = ?`)
		args = append(args, f.AccountID)
	}
	if f.GroupID != 0 {
		where = append(where, `id IN (SELECT contact_id FROM group_members WHERE group_id = ?)`)
		args = append(args, f.GroupID)
	}
	if f.Search != "" {
		where = append(where, `(last_name LIKE ? ESCAPE '\' OR first_name LIKE ? ESCAPE '\' OR company LIKE ? ESCAPE '\' OR mobile LIKE ? ESCAPE '\')`)
		p := likeEscape(f.Search)
		args = append(args, p+"%", p+"%", p+"%", "%"+p+"%")
	}
	if f.Blocked != nil {
		where = append(where, `blocked = ?`)
		args = append(args, boolInt(*f.Blocked))
	}
	if f.AfterID > 0 {
		where = append(where, `id > ?`)
		args = append(args, f.AfterID)
	}
	q := `SELECT ` + contactColumns + ` FROM contacts`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, clampLimit(f.Limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list contacts: %w", err)
	}
	return scanContacts(rows, "list contacts")
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ContactsByID returns the contacts of accountID among ids (unknown ids are
// left out).
func (tx *Tx) ContactsByID(accountID int64, ids []int64) ([]Contact, error) {
	var out []Contact
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		args := []any{accountID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := tx.query(inQuery(qContactsByID, len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("store: contacts by id: %w", err)
		}
		cs, err := scanContacts(rows, "contacts by id")
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// ContactsByMobile returns the contacts of accountID whose mobile is among
// numbers, keyed by mobile.
func (tx *Tx) ContactsByMobile(accountID int64, numbers []string) (map[string]Contact, error) {
	out := map[string]Contact{}
	for start := 0; start < len(numbers); start += inChunk {
		chunk := numbers[start:min(start+inChunk, len(numbers))]
		args := []any{accountID}
		for _, n := range chunk {
			args = append(args, n)
		}
		rows, err := tx.query(inQuery(qContactsByMobile, len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("store: contacts by mobile: %w", err)
		}
		cs, err := scanContacts(rows, "contacts by mobile")
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.Mobile] = c
		}
	}
	return out, nil
}

// GroupContacts returns the members of the groups of accountID (a contact
// in several groups once), by contact id. It fails with ErrNotFound when
// a group does not exist in that account.
func (tx *Tx) GroupContacts(accountID int64, groupIDs []int64) ([]Contact, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	args := []any{accountID}
	for _, id := range groupIDs {
		args = append(args, id)
	}
	var found int
	if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM contact_groups WHERE account_id = ? AND id IN (`+placeholders(len(groupIDs))+`)`, args...).Scan(&found); err != nil {
		return nil, fmt.Errorf("store: expand groups: %w", err)
	}
	if found != len(uniqueIDs(groupIDs)) {
		return nil, fmt.Errorf("store: expand groups %v: %w", groupIDs, ErrNotFound)
	}
	q := `SELECT ` + contactColumns + ` FROM contacts WHERE account_id = ? AND id IN
		(SELECT contact_id FROM group_members WHERE group_id IN (` + placeholders(len(groupIDs)) + `)) ORDER BY id`
	if len(groupIDs) == 1 {
		// One group: its members in primary key order, each contact
		// found by id, without the temporary index the IN (SELECT)
		// builds (a third of a 100 000-member expansion).
		q = `SELECT ` + prefixed("c.", contactColumns) + ` FROM group_members m JOIN contacts c ON c.id = m.contact_id
			WHERE c.account_id = ? AND m.group_id = ? ORDER BY m.contact_id`
	}
	rows, err := tx.tx.QueryContext(tx.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: expand groups: %w", err)
	}
	return scanContacts(rows, "expand groups")
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// inChunk bounds the parameters of one IN (...) list.
const inChunk = 500

// Queries with an IN list, "%s" standing for its placeholders.
const (
	qContactsByID     = `SELECT ` + contactColumns + ` FROM contacts WHERE account_id = ? AND id IN (%s)`
	qContactsByMobile = `SELECT ` + contactColumns + ` FROM contacts WHERE account_id = ? AND mobile IN (%s)`
	qStoppedAmong     = `SELECT number FROM stop_list WHERE number IN (%s)`
	qRecentHashesIn   = `SELECT number, text_hash FROM messages INDEXED BY messages_number
		WHERE number IN (%s) AND created_at >= ? AND status NOT IN ('cancelled', 'stopped', 'failed')`
)

// inQuery fills an IN list of n placeholders. The lists of 1 and inChunk
// values are among the hot statements, so bulk lookups run prepared
// statements.
func inQuery(format string, n int) string {
	if q, ok := builtIn[inKey{format, n}]; ok {
		return q
	}
	return fmt.Sprintf(format, placeholders(n))
}

type inKey struct {
	format string
	n      int
}

// builtIn holds the IN-list statements of the hot path for the list
// sizes prepared at Open, built once (read-only after init): formatting
// them for every single-recipient send cost a fifth of the lookup.
var builtIn = func() map[inKey]string {
	m := map[inKey]string{}
	for _, f := range []string{qContactsByID, qContactsByMobile, qStoppedAmong, qRecentHashesIn} {
		for _, n := range []int{1, inChunk} {
			m[inKey{f, n}] = fmt.Sprintf(f, placeholders(n))
		}
	}
	return m
}()

// Group is a distribution list (SPEC D2).
type Group struct {
	ID          int64
	AccountID   int64
	Name        string
	Description string
	CreatedAt   time.Time
	Members     int
}

const groupColumns = `g.id, g.account_id, g.name, g.description, g.created_at, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(sc scanner) (Group, error) {
	var g Group
	var created int64
	err := sc.Scan(&g.ID, &g.AccountID, &g.Name, &g.Description, &created, &g.Members)
	g.CreatedAt = fromMS(created)
	return g, err
}

// CreateGroup adds a group; names are unique within an account.
func (s *Store) CreateGroup(ctx context.Context, g Group, now time.Time) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.CreateGroup(g, now)
		return err
	})
	return id, err
}

// CreateGroup is Store.CreateGroup inside a transaction.
func (tx *Tx) CreateGroup(g Group, now time.Time) (int64, error) {
	if g.AccountID == 0 {
		g.AccountID = DefaultAccount
	}
	var id int64
	err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO contact_groups (account_id, name, description, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		g.AccountID, g.Name, g.Description, ms(now)).Scan(&id)
	if isUnique(err) {
		return 0, fmt.Errorf("store: create group %q: %w", g.Name, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("store: create group %q: %w", g.Name, err)
	}
	return id, nil
}

// UpdateGroup renames a group and changes its description.
func (s *Store) UpdateGroup(ctx context.Context, g Group) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE contact_groups SET name = ?, description = ? WHERE id = ?`, g.Name, g.Description, g.ID)
		if isUnique(err) {
			return fmt.Errorf("store: update group %d: %w", g.ID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: update group %d: %w", g.ID, err)
		}
		return affected(res, fmt.Sprintf("update group %d", g.ID))
	})
}

// DeleteGroup removes a group (not its contacts).
func (s *Store) DeleteGroup(ctx context.Context, id int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM contact_groups WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete group %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("delete group %d", id))
	})
}

// Group returns group id with its member count.
func (s *Store) Group(ctx context.Context, id int64) (Group, error) {
	g, err := scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM contact_groups g WHERE g.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("store: group %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("store: group %d: %w", id, err)
	}
	return g, nil
}

// Groups lists the groups of accountID (0: all) by name, with member
// counts.
func (s *Store) Groups(ctx context.Context, accountID int64) ([]Group, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+groupColumns+` FROM contact_groups g WHERE ? = 0 OR g.account_id = ? ORDER BY g.name`, accountID, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: groups: %w", err)
	}
	return scanRows(rows, scanGroup, "groups")
}

// GroupIDsByName resolves group names of accountID (the sMsmode "groupe"
// and SMStoB "numero = group name" parameters); it fails with ErrNotFound
// naming the first unknown group.
func (tx *Tx) GroupIDsByName(accountID int64, names []string) ([]int64, error) {
	var ids []int64
	for _, n := range names {
		var id int64
		err := tx.tx.QueryRowContext(tx.ctx, `SELECT id FROM contact_groups WHERE account_id = ? AND name = ?`, accountID, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: group %q: %w", n, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("store: group %q: %w", n, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// AddMembers puts contacts into a group (already present ones stay).
func (s *Store) AddMembers(ctx context.Context, groupID int64, contactIDs []int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.AddMembers(groupID, contactIDs, now) })
}

// AddMembers is Store.AddMembers inside a transaction.
func (tx *Tx) AddMembers(groupID int64, contactIDs []int64, now time.Time) error {
	for _, c := range contactIDs {
		if _, err := tx.exec(qAddMember, groupID, c, ms(now)); err != nil {
			return fmt.Errorf("store: add contact %d to group %d: %w", c, groupID, err)
		}
	}
	return nil
}

const qAddMember = `INSERT INTO group_members (group_id, contact_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`

// RemoveMembers takes contacts out of a group.
func (s *Store) RemoveMembers(ctx context.Context, groupID int64, contactIDs []int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		for _, c := range contactIDs {
			if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM group_members WHERE group_id = ? AND contact_id = ?`, groupID, c); err != nil {
				return fmt.Errorf("store: remove contact %d from group %d: %w", c, groupID, err)
			}
		}
		return nil
	})
}

// MoveMembers moves contacts from one group to another (SPEC D2); with
// keep they are copied instead.
func (s *Store) MoveMembers(ctx context.Context, from, to int64, contactIDs []int64, keep bool, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if err := tx.AddMembers(to, contactIDs, now); err != nil {
			return err
		}
		if keep {
			return nil
		}
		for _, c := range contactIDs {
			if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM group_members WHERE group_id = ? AND contact_id = ?`, from, c); err != nil {
				return fmt.Errorf("store: move contact %d out of group %d: %w", c, from, err)
			}
		}
		return nil
	})
}

// ImportResult counts what ImportContacts did.
type ImportResult struct {
	Created, Updated int
}

// ImportContacts inserts or updates (by mobile) contacts of accountID in
// one transaction and, when groupID is not 0, adds them all to that group
// (SPEC D3: 100 000 rows in seconds). Mobiles must already be E.164.
func (s *Store) ImportContacts(ctx context.Context, accountID, groupID int64, cs []Contact, now time.Time) (ImportResult, error) {
	var res ImportResult
	if accountID == 0 {
		accountID = DefaultAccount
	}
	err := s.Write(ctx, func(tx *Tx) error {
		res = ImportResult{}
		for _, c := range cs {
			fields, err := fieldsJSON(c.Fields)
			if err != nil {
				return fmt.Errorf("store: import contact %s: %w", c.Mobile, err)
			}
			var id int64
			var inserted bool
			err = tx.queryRow(qImportContact, accountID, c.Mobile, c.LastName, c.FirstName, c.Company, fields, boolInt(c.Blocked), ms(now), ms(now)).Scan(&id, &inserted)
			if err != nil {
				return fmt.Errorf("store: import contact %s: %w", c.Mobile, err)
			}
			if inserted {
				res.Created++
			} else {
				res.Updated++
			}
			if groupID != 0 {
				if _, err := tx.exec(qAddMember, groupID, id, ms(now)); err != nil {
					return fmt.Errorf("store: import contact %s into group %d: %w", c.Mobile, groupID, err)
				}
			}
		}
		return nil
	})
	return res, err
}

// qImportContact upserts by (account, mobile); non-empty imported names win
// and imported free fields are merged over the stored ones. It reports
// whether the row is new (created_at equals this import's time).
const qImportContact = `INSERT INTO contacts (account_id, mobile, last_name, first_name, company, fields, blocked, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (account_id, mobile) DO UPDATE SET
		last_name = CASE WHEN excluded.last_name <> '' THEN excluded.last_name ELSE last_name END,
		first_name = CASE WHEN excluded.first_name <> '' THEN excluded.first_name ELSE first_name END,
		company = CASE WHEN excluded.company <> '' THEN excluded.company ELSE company END,
		fields = json_patch(fields, excluded.fields),
		updated_at = excluded.updated_at
	RETURNING id, created_at = updated_at`

// MarkBadNumber handles a number whose sends fail permanently (SPEC I8,
// SMStoB "mauvais numéros"): its contacts leave their groups (when
// leaveGroups) and join the group named groupName of their account,
// created if needed. A number without a contact gets one in the default
// account.
func (s *Store) MarkBadNumber(ctx context.Context, number, groupName string, leaveGroups bool, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id, account_id FROM contacts WHERE mobile = ?`, number)
		if err != nil {
			return fmt.Errorf("store: bad number %s: %w", number, err)
		}
		type owner struct{ contact, account int64 }
		var owners []owner
		for rows.Next() {
			var o owner
			if err := rows.Scan(&o.contact, &o.account); err != nil {
				rows.Close()
				return fmt.Errorf("store: bad number %s: %w", number, err)
			}
			owners = append(owners, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: bad number %s: %w", number, err)
		}
		if len(owners) == 0 {
			id, err := tx.CreateContact(Contact{AccountID: DefaultAccount, Mobile: number}, now)
			if err != nil {
				return err
			}
			owners = append(owners, owner{id, DefaultAccount})
		}
		for _, o := range owners {
			var gid int64
			err := tx.tx.QueryRowContext(tx.ctx, `SELECT id FROM contact_groups WHERE account_id = ? AND name = ?`, o.account, groupName).Scan(&gid)
			if errors.Is(err, sql.ErrNoRows) {
				gid, err = tx.CreateGroup(Group{AccountID: o.account, Name: groupName, Description: "numbers whose sends failed permanently"}, now)
			}
			if err != nil {
				return fmt.Errorf("store: bad numbers group: %w", err)
			}
			if leaveGroups {
				if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM group_members WHERE contact_id = ? AND group_id <> ?`, o.contact, gid); err != nil {
					return fmt.Errorf("store: bad number %s: leave groups: %w", number, err)
				}
			}
			if _, err := tx.exec(qAddMember, gid, o.contact, ms(now)); err != nil {
				return fmt.Errorf("store: bad number %s: %w", number, err)
			}
		}
		return nil
	})
}
