package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UsageBetween sums what accountID used from day first to day last
// included (yyyymmdd in the box's zone).
func (s *Store) UsageBetween(ctx context.Context, accountID int64, first, last int) (Usage, error) {
	var u Usage
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(messages), 0), coalesce(sum(parts), 0) FROM account_usage
		WHERE account_id = ? AND day BETWEEN ? AND ?`, accountID, first, last).Scan(&u.Messages, &u.Parts)
	if err != nil {
		return u, fmt.Errorf("store: usage of account %d: %w", accountID, err)
	}
	return u, nil
}

// SubAccounts lists the accounts whose parent is parentID, by id.
func (s *Store) SubAccounts(ctx context.Context, parentID int64) ([]Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE parent_id = ? ORDER BY id`, parentID)
	if err != nil {
		return nil, fmt.Errorf("store: sub-accounts of %d: %w", parentID, err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sub-accounts of %d: %w", parentID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sub-accounts of %d: %w", parentID, err)
	}
	return out, nil
}

// DeleteSubAccount deletes sub-account id of parentID (sMsmode
// deleteSubAccount) in one transaction: its remaining credits go back to
// the parent (when the parent counts credits), then the account goes with
// its keys, users, contacts and groups. It fails with ErrNotFound when id
// is not a sub-account of parentID and with ErrConflict when it has
// sub-accounts or messages of its own (their history must stay
// attributable).
func (s *Store) DeleteSubAccount(ctx context.Context, parentID, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		sub, err := tx.Account(id)
		if err != nil {
			return err
		}
		if sub.ParentID != parentID {
			return fmt.Errorf("store: account %d is not a sub-account of %d: %w", id, parentID, ErrNotFound)
		}
		var busy bool
		if err := tx.queryRow(`SELECT EXISTS (SELECT 1 FROM accounts WHERE parent_id = ?)
			OR EXISTS (SELECT 1 FROM messages WHERE account_id = ?)`, id, id).Scan(&busy); err != nil {
			return fmt.Errorf("store: delete account %d: %w", id, err)
		}
		if busy {
			return fmt.Errorf("store: delete account %d: it has sub-accounts or messages: %w", id, ErrConflict)
		}
		if sub.Limited && sub.Credits > 0 {
			if err := tx.AddCredits(parentID, sub.Credits); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`DELETE FROM accounts WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete account %d: %w", id, err)
		}
		return tx.Journal(JournalEntry{At: now, AccountID: parentID, Event: "account-deleted",
			Detail: fmt.Sprintf("sub-account %d %q deleted, %d credits returned", id, sub.Name, max(sub.Credits, 0))})
	})
}

// AccountByNameIn returns the account called name if it is accountID
// itself, its parent or one of its sub-accounts (the accounts an API key
// of accountID may name); ErrNotFound otherwise.
func (s *Store) AccountByNameIn(ctx context.Context, accountID int64, name string) (Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?1
		AND (id = ?2 OR parent_id = ?2 OR id = (SELECT parent_id FROM accounts WHERE id = ?2))`, name, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("store: account %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("store: account %q: %w", name, err)
	}
	return a, nil
}
