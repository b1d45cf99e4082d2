package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DefaultAccount is the account every box has, with unlimited credits, so a
// box with one account works with no setup (SPEC Q11).
const DefaultAccount int64 = 1

// ErrInsufficientCredits is returned (wrapped) when an account lacks the
// credits an operation needs.
var ErrInsufficientCredits = errors.New("store: insufficient credits")

// Account is a (sub-)account with its credits and daily quota (SPEC Q11).
type Account struct {
	ID         int64
	Name       string
	ParentID   int64 // 0: top level
	Credits    int64 // meaningful when Limited
	Limited    bool  // false: unlimited credits
	DailyQuota int   // SMS parts per day, 0: none
	LowCredit  int64 // alert threshold, 0: none
	CreatedAt  time.Time
}

const accountColumns = `id, name, coalesce(parent_id, 0), credits, coalesce(daily_quota, 0), coalesce(low_credit, 0), created_at`

func scanAccount(sc scanner) (Account, error) {
	var a Account
	var credits sql.NullInt64
	var created int64
	err := sc.Scan(&a.ID, &a.Name, &a.ParentID, &credits, &a.DailyQuota, &a.LowCredit, &created)
	a.Credits, a.Limited = credits.Int64, credits.Valid
	a.CreatedAt = fromMS(created)
	return a, err
}

func nullCredits(a Account) any {
	if !a.Limited {
		return nil
	}
	return a.Credits
}

func nullPositive(v int64) any {
	if v <= 0 {
		return nil
	}
	return v
}

// CreateAccount adds a sub-account (sMsmode createSubAccount) and returns
// its id.
func (s *Store) CreateAccount(ctx context.Context, a Account, now time.Time) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO accounts (name, parent_id, credits, daily_quota, low_credit, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, a.Name, nullID(a.ParentID), nullCredits(a), nullPositive(int64(a.DailyQuota)),
			nullPositive(a.LowCredit), ms(now)).Scan(&id)
		if isUnique(err) {
			return fmt.Errorf("store: create account %q: %w", a.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create account %q: %w", a.Name, err)
		}
		return nil
	})
	return id, err
}

// UpdateAccount changes an account's name, credit limit, quota and alert
// threshold.
func (s *Store) UpdateAccount(ctx context.Context, a Account) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE accounts SET name = ?, credits = ?, daily_quota = ?, low_credit = ? WHERE id = ?`,
			a.Name, nullCredits(a), nullPositive(int64(a.DailyQuota)), nullPositive(a.LowCredit), a.ID)
		if isUnique(err) {
			return fmt.Errorf("store: update account %d: %w", a.ID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: update account %d: %w", a.ID, err)
		}
		return affected(res, fmt.Sprintf("update account %d", a.ID))
	})
}

// DeleteAccount removes a sub-account (sMsmode deleteSubAccount) with its
// users, keys, contacts and groups. The default account and accounts that
// have sub-accounts or messages cannot be deleted.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	if id == DefaultAccount {
		return fmt.Errorf("store: delete the default account: %w", ErrConflict)
	}
	return s.Write(ctx, func(tx *Tx) error {
		var busy bool
		if err := tx.tx.QueryRowContext(tx.ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE parent_id = ?)
			OR EXISTS (SELECT 1 FROM messages WHERE account_id = ?)`, id, id).Scan(&busy); err != nil {
			return fmt.Errorf("store: delete account %d: %w", id, err)
		}
		if busy {
			return fmt.Errorf("store: delete account %d: it has sub-accounts or messages: %w", id, ErrConflict)
		}
		res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM accounts WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete account %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("delete account %d", id))
	})
}

// Account returns account id.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	return account(ctx, s.r, id)
}

// Account returns account id inside the transaction.
func (tx *Tx) Account(id int64) (Account, error) {
	a, err := scanAccount(tx.queryRow(qAccount, id))
	return a, accountErr(id, err)
}

const qAccount = `SELECT ` + accountColumns + ` FROM accounts WHERE id = ?`

func account(ctx context.Context, q querier, id int64) (Account, error) {
	a, err := scanAccount(q.QueryRowContext(ctx, qAccount, id))
	return a, accountErr(id, err)
}

func accountErr(id int64, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: account %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: account %d: %w", id, err)
	}
	return nil
}

// AccountByName returns the account called name.
func (s *Store) AccountByName(ctx context.Context, name string) (Account, error) {
	a, err := scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("store: account %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("store: account %q: %w", name, err)
	}
	return a, nil
}

// Accounts lists every account by id.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: accounts: %w", err)
	}
	return scanRows(rows, scanAccount, "accounts")
}

const qCharge = `UPDATE accounts SET credits = credits - ? WHERE id = ? AND credits >= ? RETURNING credits`

// ChargeCredits takes n credits from an account with limited credits (one
// per SMS part, SPEC Q11) and returns what is left (-1 when unlimited). It
// fails with ErrInsufficientCredits, changing nothing, when fewer are left.
func (tx *Tx) ChargeCredits(accountID, n int64) (int64, error) {
	var left int64
	err := tx.queryRow(qCharge, n, accountID, n).Scan(&left)
	if err == nil {
		return left, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: charge account %d: %w", accountID, err)
	}
	a, err := tx.Account(accountID)
	if err != nil {
		return 0, err
	}
	if !a.Limited {
		return -1, nil
	}
	return a.Credits, fmt.Errorf("store: charge %d credits to account %d (%d left): %w", n, accountID, a.Credits, ErrInsufficientCredits)
}

// AddCredits gives n credits back to (or, negative, takes them from) an
// account with limited credits; unlimited accounts are left alone.
func (tx *Tx) AddCredits(accountID, n int64) error {
	if _, err := tx.exec(`UPDATE accounts SET credits = credits + ? WHERE id = ? AND credits IS NOT NULL`, n, accountID); err != nil {
		return fmt.Errorf("store: credit account %d: %w", accountID, err)
	}
	return nil
}

// TransferCredits moves n credits from one account to another (sMsmode
// creditTransfert, SMStoB multi-users) and journals it. The source must
// hold them unless it is unlimited.
func (s *Store) TransferCredits(ctx context.Context, from, to, n int64, now time.Time) error {
	if n <= 0 {
		return fmt.Errorf("store: transfer %d credits: amount must be positive", n)
	}
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ChargeCredits(from, n); err != nil {
			return err
		}
		dst, err := tx.Account(to)
		if err != nil {
			return err
		}
		if !dst.Limited {
			return fmt.Errorf("store: transfer to account %d: it has unlimited credits: %w", to, ErrConflict)
		}
		if err := tx.AddCredits(to, n); err != nil {
			return err
		}
		return tx.Journal(JournalEntry{At: now, AccountID: from, Event: "credit-transfer", Detail: fmt.Sprintf("%d credits to account %d", n, to)})
	})
}

// Usage is what an account used on one day.
type Usage struct {
	Messages int
	Parts    int
}

const (
	qUsage    = `SELECT messages, parts FROM account_usage WHERE account_id = ? AND day = ?`
	qAddUsage = `INSERT INTO account_usage (account_id, day, messages, parts) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, day) DO UPDATE SET messages = messages + excluded.messages, parts = parts + excluded.parts`
)

// Usage returns what accountID used on day (yyyymmdd in the box's zone).
func (tx *Tx) Usage(accountID int64, day int) (Usage, error) {
	var u Usage
	err := tx.queryRow(qUsage, accountID, day).Scan(&u.Messages, &u.Parts)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("store: usage of account %d: %w", accountID, err)
	}
	return u, nil
}

// AddUsage adds accepted messages and parts to accountID's day.
func (tx *Tx) AddUsage(accountID int64, day int, u Usage) error {
	if _, err := tx.exec(qAddUsage, accountID, day, u.Messages, u.Parts); err != nil {
		return fmt.Errorf("store: usage of account %d: %w", accountID, err)
	}
	return nil
}

// Usage returns what accountID used on day (yyyymmdd in the box's zone).
func (s *Store) Usage(ctx context.Context, accountID int64, day int) (Usage, error) {
	var u Usage
	err := s.r.QueryRowContext(ctx, qUsage, accountID, day).Scan(&u.Messages, &u.Parts)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("store: usage of account %d: %w", accountID, err)
	}
	return u, nil
}

// User is a person who logs into the UI (SPEC S4: admin or user).
type User struct {
	ID           int64
	AccountID    int64
	Name         string
	PasswordHash string // bcrypt or argon2id, computed by the caller (SPEC S2)
	Role         string // "admin" or "user"
	CreatedAt    time.Time
	Disabled     bool
}

const userColumns = `id, account_id, name, password_hash, role, created_at, disabled`

func scanUser(sc scanner) (User, error) {
	var u User
	var created int64
	err := sc.Scan(&u.ID, &u.AccountID, &u.Name, &u.PasswordHash, &u.Role, &created, &u.Disabled)
	u.CreatedAt = fromMS(created)
	return u, err
}

// CreateUser adds a user; the name is unique, case-insensitively.
func (s *Store) CreateUser(ctx context.Context, u User, now time.Time) (int64, error) {
	if u.AccountID == 0 {
		u.AccountID = DefaultAccount
	}
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO users (account_id, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.AccountID, u.Name, u.PasswordHash, u.Role, ms(now)).Scan(&id)
		if isUnique(err) {
			return fmt.Errorf("store: create user %q: %w", u.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create user %q: %w", u.Name, err)
		}
		return nil
	})
	return id, err
}

// UserByName returns the user called name (case-insensitive).
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %q: %w", name, err)
	}
	return u, nil
}

// UserByID returns user id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("store: user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return scanRows(rows, scanUser, "users")
}

// CountUsers returns how many users exist (0 means first run: the UI asks
// for the first admin, SPEC W1).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// UpdateUser changes a user's password hash, role and disabled flag.
func (s *Store) UpdateUser(ctx context.Context, u User) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE users SET password_hash = ?, role = ?, disabled = ? WHERE id = ?`,
			u.PasswordHash, u.Role, boolInt(u.Disabled), u.ID)
		if err != nil {
			return fmt.Errorf("store: update user %d: %w", u.ID, err)
		}
		return affected(res, fmt.Sprintf("update user %d", u.ID))
	})
}

// DeleteUser removes user id and its API keys.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete user %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("delete user %d", id))
	})
}

// APIKey is a bearer key; only its hash is stored (SPEC S2).
type APIKey struct {
	ID         int64
	AccountID  int64
	UserID     int64 // 0: not tied to a user
	Name       string
	Prefix     string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

const apiKeyColumns = `id, account_id, coalesce(user_id, 0), name, prefix, hash, created_at, last_used_at, revoked_at`

func scanAPIKey(sc scanner) (APIKey, error) {
	var k APIKey
	var created, used, revoked int64
	err := sc.Scan(&k.ID, &k.AccountID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &created, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), fromMS(used), fromMS(revoked)
	return k, err
}

// CreateAPIKey stores a key's hash and returns its id.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey, now time.Time) (int64, error) {
	if k.AccountID == 0 {
		k.AccountID = DefaultAccount
	}
	var id int64
	err := s.Write(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(tx.ctx, `INSERT INTO api_keys (account_id, user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			k.AccountID, nullID(k.UserID), k.Name, k.Prefix, k.Hash, ms(now)).Scan(&id)
		if isUnique(err) {
			return fmt.Errorf("store: create API key %q: %w", k.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create API key %q: %w", k.Name, err)
		}
		return nil
	})
	return id, err
}

// APIKeyByHash returns the unrevoked key whose hash is hash.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ? AND revoked_at = 0`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("store: API key: %w", ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("store: API key: %w", err)
	}
	return k, nil
}

// APIKeys lists the keys of accountID (0: all), newest first.
func (s *Store) APIKeys(ctx context.Context, accountID int64) ([]APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE ? = 0 OR account_id = ? ORDER BY id DESC`, accountID, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: API keys: %w", err)
	}
	return scanRows(rows, scanAPIKey, "API keys")
}

// RevokeAPIKey revokes key id.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, ms(now), id)
		if err != nil {
			return fmt.Errorf("store: revoke API key %d: %w", id, err)
		}
		return affected(res, fmt.Sprintf("revoke API key %d", id))
	})
}

// TouchAPIKey records that key id was just used.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, now time.Time) error {
	return s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(tx.ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, ms(now), id); err != nil {
			return fmt.Errorf("store: touch API key %d: %w", id, err)
		}
		return nil
	})
}
