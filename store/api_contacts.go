package store

import (
	"context"
	"fmt"
	"time"
)

// UpsertContactInGroups adds contact c of c.AccountID, or updates the one
// with its mobile (non-empty values win, free fields merge), and puts it in
// the groups named, creating those that do not exist (sMsmode addContact:
// "si un groupe n'existe pas, il est créé automatiquement"). It returns the
// contact's id. c.Mobile must be E.164.
func (s *Store) UpsertContactInGroups(ctx context.Context, c Contact, groups []string, now time.Time) (int64, error) {
	if c.AccountID == 0 {
		c.AccountID = DefaultAccount
	}
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return 0, fmt.Errorf("store: contact %s: %w", c.Mobile, err)
	}
	var id int64
	err = s.Write(ctx, func(tx *Tx) error {
		var inserted bool
		if err := tx.queryRow(qImportContact, c.AccountID, c.Mobile, c.LastName, c.FirstName, c.Company, fields,
			boolInt(c.Blocked), ms(now), ms(now)).Scan(&id, &inserted); err != nil {
			return fmt.Errorf("store: contact %s: %w", c.Mobile, err)
		}
		for _, name := range groups {
			var gid int64
			err := tx.queryRow(`INSERT INTO contact_groups (account_id, name, created_at) VALUES (?, ?, ?)
				ON CONFLICT (account_id, name) DO UPDATE SET name = excluded.name RETURNING id`, c.AccountID, name, ms(now)).Scan(&gid)
			if err != nil {
				return fmt.Errorf("store: group %q: %w", name, err)
			}
			if _, err := tx.exec(qAddMember, gid, id, ms(now)); err != nil {
				return fmt.Errorf("store: add contact %d to group %q: %w", id, name, err)
			}
		}
		return nil
	})
	return id, err
}
