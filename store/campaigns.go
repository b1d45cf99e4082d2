package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Campaign is a named group send (SPEC Q9).
type Campaign struct {
	ID            int64
	AccountID     int64
	Name          string
	Text          string
	Channel       int
	Status        string // active, paused, cancelled
	CreatedAt     time.Time
	ScheduledAt   time.Time
	ThrottleCount int           // send this many...
	ThrottlePause time.Duration // ...then pause this long (0: no throttle)
	Recipients    int           // accepted recipients
	Rejected      map[string]int
}

// Campaign states.
const (
	CampaignActive    = "active"
	CampaignPaused    = "paused"
	CampaignCancelled = "cancelled"
)

const campaignColumns = `id, account_id, name, text, channel, status, created_at, scheduled_at, throttle_count, throttle_pause_ms, recipients, rejected`

func scanCampaign(sc scanner) (Campaign, error) {
	var c Campaign
	var created, scheduled, pause int64
	var rejected string
	err := sc.Scan(&c.ID, &c.AccountID, &c.Name, &c.Text, &c.Channel, &c.Status, &created, &scheduled, &c.ThrottleCount, &pause, &c.Recipients, &rejected)
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.ScheduledAt = fromMS(created), fromMS(scheduled)
	c.ThrottlePause = time.Duration(pause) * time.Millisecond
	if err := json.Unmarshal([]byte(rejected), &c.Rejected); err != nil {
		return c, fmt.Errorf("rejections of campaign %d: %w", c.ID, err)
	}
	return c, nil
}

// CreateCampaign stores a campaign row (its messages are inserted by the
// caller in the same transaction).
func (tx *Tx) CreateCampaign(c Campaign) (int64, error) {
	rej, err := json.Marshal(c.Rejected)
	if err != nil || c.Rejected == nil {
		rej = []byte("{}")
	}
	var id int64
	err = tx.queryRow(`INSERT INTO campaigns (account_id, name, text, channel, status, created_at, scheduled_at, throttle_count, throttle_pause_ms, recipients, rejected)
		VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?) RETURNING id`, c.AccountID, c.Name, c.Text, c.Channel, ms(c.CreatedAt), ms(c.ScheduledAt),
		c.ThrottleCount, c.ThrottlePause.Milliseconds(), c.Recipients, string(rej)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create campaign %q: %w", c.Name, err)
	}
	return id, nil
}

// SetCampaignCounts records the accepted and rejected recipients of a
// campaign once its messages are stored.
func (tx *Tx) SetCampaignCounts(id int64, recipients int, rejected map[string]int) error {
	rej, err := json.Marshal(rejected)
	if err != nil {
		return fmt.Errorf("store: campaign %d counts: %w", id, err)
	}
	if rejected == nil {
		rej = []byte("{}")
	}
	if _, err := tx.exec(`UPDATE campaigns SET recipients = ?, rejected = ? WHERE id = ?`, recipients, string(rej), id); err != nil {
		return fmt.Errorf("store: campaign %d counts: %w", id, err)
	}
	return nil
}

// Campaign returns campaign id.
func (s *Store) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: campaign %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: campaign %d: %w", id, err)
	}
	return c, nil
}

// Campaigns lists the campaigns of accountID (0: all), newest first,
// paging with beforeID.
func (s *Store) Campaigns(ctx context.Context, accountID, beforeID int64, limit int) ([]Campaign, error) {
	q := `SELECT ` + campaignColumns + ` FROM campaigns WHERE (? = 0 OR account_id = ?)`
	args := []any{accountID, accountID}
	if beforeID > 0 {
		q += ` AND id < ?`
		args = append(args, beforeID)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, clampLimit(limit))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return scanRows(rows, scanCampaign, "campaigns")
}

// CampaignProgress counts a campaign's messages by status (SPEC Q9).
func (s *Store) CampaignProgress(ctx context.Context, id int64) (map[Status]int, error) {
	return countByStatus(ctx, s.r, `SELECT status, count(*) FROM messages WHERE campaign_id = ? GROUP BY status`, id)
}

// PauseCampaign parks a campaign's waiting messages (StatusPaused) and
// returns how many; messages already handed to a modem go on.
func (s *Store) PauseCampaign(ctx context.Context, id int64, now time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		c, err := tx.setCampaignStatus(id, CampaignPaused, CampaignActive)
		if err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE messages SET status = 'paused', updated_at = ? WHERE campaign_id = ? AND status IN ('scheduled', 'queued', 'retry')`, ms(now), id)
		if err != nil {
			return fmt.Errorf("store: pause campaign %d: %w", id, err)
		}
		n, _ = res.RowsAffected()
		return tx.Journal(JournalEntry{At: now, AccountID: c.AccountID, CampaignID: id, Event: "paused", Detail: fmt.Sprintf("%d messages held", n)})
	})
	return int(n), err
}

// ResumeCampaign releases a paused campaign's messages: those whose time
// has passed are queued, the others scheduled. A throttled campaign is
// re-spread from now: ThrottleCount messages per ThrottlePause.
func (s *Store) ResumeCampaign(ctx context.Context, id int64, now time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		c, err := tx.setCampaignStatus(id, CampaignActive, CampaignPaused)
		if err != nil {
			return err
		}
		var res sql.Result
		if c.ThrottleCount > 0 && c.ThrottlePause > 0 {
			res, err = tx.exec(`WITH r AS (SELECT id, (row_number() OVER (ORDER BY id) - 1) / ?2 AS batch FROM messages WHERE campaign_id = ?1 AND status = 'paused')
				UPDATE messages SET
					scheduled_at = ?3 + r.batch * ?4,
					status = CASE WHEN r.batch = 0 THEN 'queued' ELSE 'scheduled' END,
					updated_at = ?3
				FROM r WHERE messages.id = r.id`, id, c.ThrottleCount, ms(now), c.ThrottlePause.Milliseconds())
		} else {
			res, err = tx.exec(`UPDATE messages SET status = CASE WHEN scheduled_at > ? THEN 'scheduled' ELSE 'queued' END, updated_at = ?
				WHERE campaign_id = ? AND status = 'paused'`, ms(now), ms(now), id)
		}
		if err != nil {
			return fmt.Errorf("store: resume campaign %d: %w", id, err)
		}
		n, _ = res.RowsAffected()
		return tx.Journal(JournalEntry{At: now, AccountID: c.AccountID, CampaignID: id, Event: "resumed", Detail: fmt.Sprintf("%d messages released", n)})
	})
	return int(n), err
}

// CancelCampaign cancels every waiting message of a campaign (credits
// refunded) and returns their ids.
func (s *Store) CancelCampaign(ctx context.Context, id int64, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.Write(ctx, func(tx *Tx) error {
		ids = nil
		c, err := tx.setCampaignStatus(id, CampaignCancelled, CampaignActive, CampaignPaused)
		if err != nil {
			return err
		}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id FROM messages WHERE campaign_id = ? AND status IN ('scheduled', 'queued', 'retry', 'paused')`, id)
		if err != nil {
			return fmt.Errorf("store: cancel campaign %d: %w", id, err)
		}
		for rows.Next() {
			var mid int64
			if err := rows.Scan(&mid); err != nil {
				rows.Close()
				return fmt.Errorf("store: cancel campaign %d: %w", id, err)
			}
			ids = append(ids, mid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: cancel campaign %d: %w", id, err)
		}
		for _, mid := range ids {
			if err := tx.finishMessage(mid, StatusCancelled, "campaign cancelled", now, true); err != nil {
				return err
			}
		}
		return tx.Journal(JournalEntry{At: now, AccountID: c.AccountID, CampaignID: id, Event: "cancelled", Detail: fmt.Sprintf("%d messages cancelled", len(ids))})
	})
	return ids, err
}

// setCampaignStatus moves a campaign to status when it is in one of from.
func (tx *Tx) setCampaignStatus(id int64, status string, from ...string) (Campaign, error) {
	args := []any{status, id}
	for _, f := range from {
		args = append(args, f)
	}
	c, err := scanCampaign(tx.tx.QueryRowContext(tx.ctx, `UPDATE campaigns SET status = ? WHERE id = ? AND status IN (`+placeholders(len(from))+`) RETURNING `+campaignColumns, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var cur string
		if err := tx.tx.QueryRowContext(tx.ctx, `SELECT status FROM campaigns WHERE id = ?`, id).Scan(&cur); errors.Is(err, sql.ErrNoRows) {
			return c, fmt.Errorf("store: campaign %d: %w", id, ErrNotFound)
		}
		return c, fmt.Errorf("store: campaign %d is %s, cannot become %s: %w", id, cur, status, ErrConflict)
	}
	if err != nil {
		return c, fmt.Errorf("store: campaign %d: %w", id, err)
	}
	return c, nil
}

// Recurring is a send repeated every day, week, month or year (SPEC Q3,
// SMStoB "envoi de messages à répétition").
type Recurring struct {
	ID        int64
	AccountID int64
	Period    string    // daily, weekly, monthly, yearly
	FirstAt   time.Time // the first occurrence; later ones keep its local time of day
	NextAt    time.Time // the next occurrence not queued yet
	Count     int       // occurrences queued so far
	Until     time.Time // zero: forever
	Text      string
	Request   []byte // the send request, JSON owned by package queue
	Active    bool
	CreatedAt time.Time
}

const recurringColumns = `id, account_id, period, first_at, next_at, count, until_at, text, request, active, created_at`

func scanRecurring(sc scanner) (Recurring, error) {
	var r Recurring
	var first, next, until, created int64
	var req string
	err := sc.Scan(&r.ID, &r.AccountID, &r.Period, &first, &next, &r.Count, &until, &r.Text, &req, &r.Active, &created)
	r.FirstAt, r.NextAt, r.Until, r.CreatedAt = fromMS(first), fromMS(next), fromMS(until), fromMS(created)
	r.Request = []byte(req)
	return r, err
}

// CreateRecurring stores a recurring send and returns its id.
func (tx *Tx) CreateRecurring(r Recurring) (int64, error) {
	var id int64
	err := tx.queryRow(`INSERT INTO recurring (account_id, period, first_at, next_at, count, until_at, text, request, active, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id`, r.AccountID, r.Period, ms(r.FirstAt), ms(r.NextAt), r.Count, ms(r.Until),
		r.Text, string(r.Request), ms(r.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: create recurring send: %w", err)
	}
	return id, nil
}

// AdvanceRecurring records that occurrence count was queued and sets the
// next one (active false ends the series).
func (tx *Tx) AdvanceRecurring(id int64, count int, next time.Time, active bool) error {
	res, err := tx.exec(`UPDATE recurring SET count = ?, next_at = ?, active = ? WHERE id = ?`, count, ms(next), boolInt(active), id)
	if err != nil {
		return fmt.Errorf("store: advance recurring send %d: %w", id, err)
	}
	return affected(res, fmt.Sprintf("advance recurring send %d", id))
}

// DueRecurring returns the active series whose next occurrence is at or
// before now.
func (tx *Tx) DueRecurring(now time.Time) ([]Recurring, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+recurringColumns+` FROM recurring WHERE active = 1 AND next_at <= ? ORDER BY next_at`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: due recurring sends: %w", err)
	}
	return scanRecurrings(rows)
}

func scanRecurrings(rows *sql.Rows) ([]Recurring, error) {
	return scanRows(rows, scanRecurring, "recurring sends")
}

// NextRecurring returns the earliest next occurrence of an active series,
// false when none.
func (s *Store) NextRecurring(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(next_at) FROM recurring WHERE active = 1`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next recurring send: %w", err)
	}
	return fromMS(v.Int64), v.Valid, nil
}

// RecurringSends lists the series of accountID (0: all), newest first.
func (s *Store) RecurringSends(ctx context.Context, accountID int64) ([]Recurring, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+recurringColumns+` FROM recurring WHERE ? = 0 OR account_id = ? ORDER BY id DESC`, accountID, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: recurring sends: %w", err)
	}
	return scanRecurrings(rows)
}

// RecurringSend returns series id.
func (s *Store) RecurringSend(ctx context.Context, id int64) (Recurring, error) {
	r, err := scanRecurring(s.r.QueryRowContext(ctx, `SELECT `+recurringColumns+` FROM recurring WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: recurring send %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: recurring send %d: %w", id, err)
	}
	return r, nil
}

// StopRecurring ends series id: no further occurrence is queued, and the
// waiting messages of its occurrences are cancelled (their ids returned).
func (s *Store) StopRecurring(ctx context.Context, id int64, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.Write(ctx, func(tx *Tx) error {
		ids = nil
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE recurring SET active = 0 WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: stop recurring send %d: %w", id, err)
		}
		if err := affected(res, fmt.Sprintf("stop recurring send %d", id)); err != nil {
			return err
		}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id FROM messages WHERE recurring_id = ? AND status IN ('scheduled', 'queued', 'retry', 'paused')`, id)
		if err != nil {
			return fmt.Errorf("store: stop recurring send %d: %w", id, err)
		}
		for rows.Next() {
			var mid int64
			if err := rows.Scan(&mid); err != nil {
				rows.Close()
				return fmt.Errorf("store: stop recurring send %d: %w", id, err)
			}
			ids = append(ids, mid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: stop recurring send %d: %w", id, err)
		}
		for _, mid := range ids {
			if err := tx.finishMessage(mid, StatusCancelled, "recurring send stopped", now, true); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}
