package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migration moves the schema one version up inside the transaction it is
// given.
type migration func(ctx context.Context, tx *sql.Tx) error

// migrations is the ordered history of the schema, embedded in the binary.
// The database's version (PRAGMA user_version) is the number of migrations
// applied, so entries are only ever appended, never edited once released
// (STYLE.md habit 6).
var migrations = []migration{
	execMigration(schemaV1),
	execMigration(schemaV2),
	execMigration(schemaV3),
	execMigration(schemaV4),
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

func execMigration(stmts string) migration {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, stmts)
		return err
	}
}

// migrate applies the missing migrations of ms to db, one transaction per
// migration, so a failure leaves the database at the last good version.
func migrate(ctx context.Context, db *sql.DB, ms []migration) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if v > len(ms) {
		return fmt.Errorf("store: database schema version %d is newer than this binary's %d: refusing to open it", v, len(ms))
	}
	for i := v; i < len(ms); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %d: begin: %w", i+1, err)
		}
		if err := ms[i](ctx, tx); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		// user_version is part of the database header, so it commits (or
		// not) with the migration itself.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: set version: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %d: commit: %w", i+1, err)
		}
	}
	return nil
}

// schemaV1 is the core schema. Times are unix milliseconds UTC (0 = unset);
// phone numbers are E.164 strings; booleans are 0/1.
const schemaV1 = `
CREATE TABLE accounts (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	parent_id   INTEGER REFERENCES accounts(id) ON DELETE RESTRICT,
	credits     INTEGER,          -- NULL: unlimited (SPEC Q11)
	daily_quota INTEGER,          -- SMS parts per day in the box's zone, NULL: none
	low_credit  INTEGER,          -- alert threshold, NULL: none
	created_at  INTEGER NOT NULL
);
-- A box with one account works with no setup (SPEC Q11).
INSERT INTO accounts (id, name, created_at) VALUES (1, 'main', 0);

CREATE TABLE account_usage (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	day        INTEGER NOT NULL,  -- yyyymmdd in the box's time zone
	messages   INTEGER NOT NULL DEFAULT 0,
	parts      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
	created_at    INTEGER NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,   -- first characters of the key, to recognise it in lists
	hash         BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0,
	revoked_at   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE contacts (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	mobile     TEXT NOT NULL,
	last_name  TEXT NOT NULL DEFAULT '',
	first_name TEXT NOT NULL DEFAULT '',
	company    TEXT NOT NULL DEFAULT '',
	fields     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),
	blocked    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (account_id, mobile)
);
CREATE INDEX contacts_mobile ON contacts (mobile);
CREATE INDEX contacts_name ON contacts (account_id, last_name, first_name);

CREATE TABLE contact_groups (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	UNIQUE (account_id, name)
);

CREATE TABLE group_members (
	group_id   INTEGER NOT NULL REFERENCES contact_groups(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	added_at   INTEGER NOT NULL,
	PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX group_members_contact ON group_members (contact_id);

CREATE TABLE campaigns (
	id                INTEGER PRIMARY KEY,
	account_id        INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	name              TEXT NOT NULL,
	text              TEXT NOT NULL,
	channel           INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'cancelled')),
	created_at        INTEGER NOT NULL,
	scheduled_at      INTEGER NOT NULL DEFAULT 0,
	throttle_count    INTEGER NOT NULL DEFAULT 0,
	throttle_pause_ms INTEGER NOT NULL DEFAULT 0,
	recipients        INTEGER NOT NULL DEFAULT 0,  -- accepted recipients
	rejected          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(rejected)) -- reason -> count
);
CREATE INDEX campaigns_created ON campaigns (created_at);

CREATE TABLE recurring (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id) ON DELETE CASCADE,
	period     TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'yearly')),
	first_at   INTEGER NOT NULL,
	next_at    INTEGER NOT NULL,
	count      INTEGER NOT NULL DEFAULT 0,  -- occurrences already queued
	until_at   INTEGER NOT NULL DEFAULT 0,  -- 0: forever
	text       TEXT NOT NULL,
	request    TEXT NOT NULL,               -- the send request, JSON owned by package queue
	active     INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
);
CREATE INDEX recurring_due ON recurring (next_at) WHERE active = 1;

-- One row per recipient (SPEC Q1).
CREATE TABLE messages (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL DEFAULT 1 REFERENCES accounts(id),
	campaign_id  INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
	recurring_id INTEGER REFERENCES recurring(id) ON DELETE SET NULL,
	contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	number       TEXT NOT NULL,
	channel      INTEGER NOT NULL DEFAULT 0,    -- 0 notification, 1 marketing (SPEC Q4)
	text         TEXT NOT NULL,
	text_hash    INTEGER NOT NULL,              -- duplicate guard (SPEC Q7)
	encoding     TEXT NOT NULL,
	parts        INTEGER NOT NULL,
	flash        INTEGER NOT NULL DEFAULT 0,
	validity_s   INTEGER NOT NULL DEFAULT 0,
	status       TEXT NOT NULL,
	reason       TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	scheduled_at INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	attempts     INTEGER NOT NULL DEFAULT 0,
	pin_modem    TEXT NOT NULL DEFAULT '',      -- requested modem (SPEC Q13)
	modem        TEXT NOT NULL DEFAULT '',      -- modem the parts went through
	sent_at      INTEGER NOT NULL DEFAULT 0,
	done_at      INTEGER NOT NULL DEFAULT 0,
	ref_client   TEXT NOT NULL DEFAULT '',
	source       TEXT NOT NULL DEFAULT '',
	ignore_stop  INTEGER NOT NULL DEFAULT 0     -- the STOP confirmation itself goes to a stopped number
);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_number ON messages (number, created_at);
CREATE INDEX messages_status ON messages (status, id);
CREATE INDEX messages_due ON messages (channel, id) WHERE status = 'queued';
CREATE INDEX messages_scheduled ON messages (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX messages_campaign ON messages (campaign_id, status) WHERE campaign_id IS NOT NULL;

CREATE TABLE parts (
	message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	tpdu         BLOB NOT NULL,                 -- SMS-SUBMIT, no SMSC, encoded at accept time
	status       TEXT NOT NULL DEFAULT 'pending',
	mr           INTEGER,                       -- TP-MR returned by +CMGS
	modem        TEXT NOT NULL DEFAULT '',
	sent_at      INTEGER NOT NULL DEFAULT 0,
	error        TEXT NOT NULL DEFAULT '',
	delivery     TEXT NOT NULL DEFAULT '',      -- '', pending, delivered, failed, expired
	tp_status    INTEGER,                       -- TP-ST of the last status report
	delivered_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
CREATE INDEX parts_mr ON parts (modem, mr, sent_at) WHERE mr IS NOT NULL;

-- Status reports that arrived before their part was recorded "sent" (the
-- network can answer faster than the dispatcher commits): matched when it is.
CREATE TABLE early_reports (
	id          INTEGER PRIMARY KEY,
	modem       TEXT NOT NULL,
	mr          INTEGER NOT NULL,
	number      TEXT NOT NULL,
	tp_status   INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	discharge   INTEGER NOT NULL,
	received_at INTEGER NOT NULL
);
CREATE INDEX early_reports_mr ON early_reports (modem, mr);
CREATE INDEX early_reports_received ON early_reports (received_at);

CREATE TABLE journal (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	account_id  INTEGER,
	campaign_id INTEGER,
	message_id  INTEGER,
	event       TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_at ON journal (at);
CREATE INDEX journal_message ON journal (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX journal_campaign ON journal (campaign_id, at) WHERE campaign_id IS NOT NULL;

CREATE TABLE conversations (
	number       TEXT PRIMARY KEY,
	last_at      INTEGER NOT NULL,
	last_text    TEXT NOT NULL,
	last_inbound INTEGER NOT NULL,
	unread       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX conversations_last ON conversations (last_at);

CREATE TABLE inbound (
	id          INTEGER PRIMARY KEY,
	number      TEXT NOT NULL,                  -- originator, E.164 when numeric
	modem       TEXT NOT NULL,
	smsc        TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL,
	encoding    TEXT NOT NULL,
	parts       INTEGER NOT NULL DEFAULT 1,
	incomplete  INTEGER NOT NULL DEFAULT 0,     -- SPEC P4: built after a timeout
	scts        INTEGER NOT NULL,               -- service centre time stamp
	received_at INTEGER NOT NULL,
	clock_ok    INTEGER NOT NULL DEFAULT 1,     -- 0: written before the clock was plausible
	read        INTEGER NOT NULL DEFAULT 0,
	keyword     TEXT NOT NULL DEFAULT '',       -- stop, start, contact
	reply_to    INTEGER REFERENCES messages(id) ON DELETE SET NULL,
	dedupe_key  TEXT NOT NULL UNIQUE            -- SPEC I9
);
CREATE INDEX inbound_number ON inbound (number, received_at);
CREATE INDEX inbound_received ON inbound (received_at);
CREATE INDEX inbound_unread ON inbound (id) WHERE read = 0;

-- Parts of concatenated inbound messages waiting for their siblings (SPEC P4).
CREATE TABLE inbound_parts (
	key         TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	total       INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	modem       TEXT NOT NULL DEFAULT '',
	tpdu        BLOB NOT NULL,
	PRIMARY KEY (key, seq)
) WITHOUT ROWID;

-- Fingerprints of parts already merged into a stored message, so a part the
-- network delivers again later is recognised (SPEC I9).
CREATE TABLE inbound_seen (
	key TEXT PRIMARY KEY,
	at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX inbound_seen_at ON inbound_seen (at);

-- PDUs that could not be decoded: kept for a technician, never lost (SPEC S7).
CREATE TABLE inbound_rejects (
	id          INTEGER PRIMARY KEY,
	modem       TEXT NOT NULL,
	pdu         BLOB NOT NULL,
	error       TEXT NOT NULL,
	received_at INTEGER NOT NULL
);

CREATE TABLE stop_list (
	number     TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	source     TEXT NOT NULL,                   -- sms, ui, api, import
	inbound_id INTEGER REFERENCES inbound(id) ON DELETE SET NULL,
	note       TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX stop_list_created ON stop_list (created_at);

CREATE TABLE calls (
	id      INTEGER PRIMARY KEY,
	number  TEXT NOT NULL,                      -- '' when withheld
	modem   TEXT NOT NULL,
	at      INTEGER NOT NULL,
	hung_up INTEGER NOT NULL DEFAULT 0,
	replied INTEGER REFERENCES messages(id) ON DELETE SET NULL
);
CREATE INDEX calls_at ON calls (at);
CREATE INDEX calls_number ON calls (number, at);

CREATE TABLE webhook_outbox (
	id           INTEGER PRIMARY KEY,
	event        TEXT NOT NULL,
	url          TEXT NOT NULL,
	content_type TEXT NOT NULL,
	body         BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	delivered_at INTEGER NOT NULL DEFAULT 0,
	gave_up      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt) WHERE delivered_at = 0 AND gave_up = 0;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Persisted counters, e.g. the concatenation reference (SPEC P6).
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
`

// schemaV2 adds full-text search over outbound and inbound texts (UI W5,
// W6 on 1 000 000 rows: a LIKE '%word%' scans the whole table). The FTS5
// tables are external-content indexes kept in step by triggers, and are
// filled from the rows a v1 database already holds.
const schemaV2 = `
CREATE VIRTUAL TABLE messages_fts USING fts5(
	text, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE inbound_fts USING fts5(
	text, content = 'inbound', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER inbound_fts_insert AFTER INSERT ON inbound BEGIN
	INSERT INTO inbound_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER inbound_fts_delete AFTER DELETE ON inbound BEGIN
	INSERT INTO inbound_fts (inbound_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER inbound_fts_update AFTER UPDATE OF text ON inbound BEGIN
	INSERT INTO inbound_fts (inbound_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO inbound_fts (rowid, text) VALUES (new.id, new.text);
END;
INSERT INTO inbound_fts (inbound_fts) VALUES ('rebuild');
`

// schemaV3 records the API requests (package ui, store/api_sends.go): one
// row per send request, whose public id is what the compatible APIs call
// smsID / campagneID, with its notification URLs; messages point to it.
const schemaV3 = `
CREATE TABLE sends (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	public_id  TEXT NOT NULL UNIQUE,
	api        TEXT NOT NULL,
	ref_client TEXT NOT NULL DEFAULT '',
	notify_url TEXT NOT NULL DEFAULT '',
	reply_url  TEXT NOT NULL DEFAULT '',
	dlr_url    TEXT NOT NULL DEFAULT '',
	dlr_mask   INTEGER NOT NULL DEFAULT 0,
	rejected   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(rejected)),
	created_at INTEGER NOT NULL
);
CREATE INDEX sends_account ON sends (account_id, id);
ALTER TABLE messages ADD COLUMN send_id INTEGER REFERENCES sends(id) ON DELETE SET NULL;
CREATE INDEX messages_send ON messages (send_id) WHERE send_id IS NOT NULL;
`

// schemaV4 takes outbound texts out of the insert path of the full-text
// index: a trigger made every INSERT write its own tiny FTS5 segment (FTS5
// flushes at each statement end), which cost more than the row itself.
// Messages are now indexed in batches up to a watermark kept in counters
// (Store.IndexText); the delete and update triggers act only on rows
// already indexed, as an external-content FTS5 table requires.
const schemaV4 = `
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
INSERT INTO counters (name, value) SELECT 'fts_messages', coalesce(max(id), 0) FROM messages WHERE true
	ON CONFLICT (name) DO UPDATE SET value = excluded.value;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
	WHEN old.id <= (SELECT value FROM counters WHERE name = 'fts_messages') BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
	WHEN old.id <= (SELECT value FROM counters WHERE name = 'fts_messages') BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
`
