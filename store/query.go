package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// scanRows reads every row of rows with scan and closes rows; what names
// the query in errors ("store: what: ...").
func scanRows[T any](rows *sql.Rows, scan func(scanner) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// listQuery gathers the conditions of a list page's SELECT.
type listQuery struct {
	where []string
	args  []any
}

// add ANDs cond, with its arguments.
func (l *listQuery) add(cond string, args ...any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
}

// prefix keeps the rows whose col starts with p, as an index range (LIKE
// would not use the index); an empty p keeps every row.
func (l *listQuery) prefix(col, p string) {
	if p != "" {
		l.add(col+` >= ? AND `+col+` < ?`, p, p+"\uffff")
	}
}

// between keeps the rows with from <= col < to (unix ms); a zero bound is
// open.
func (l *listQuery) between(col string, from, to time.Time) {
	if !from.IsZero() {
		l.add(col+` >= ?`, ms(from))
	}
	if !to.IsZero() {
		l.add(col+` < ?`, ms(to))
	}
}

// sql returns the statement selecting cols from from in order, at most
// limit rows (clamped), and its arguments.
func (l *listQuery) sql(cols, from, order string, limit int) (string, []any) {
	q := `SELECT ` + cols + ` FROM ` + from
	if len(l.where) > 0 {
		q += ` WHERE ` + strings.Join(l.where, ` AND `)
	}
	return q + ` ORDER BY ` + order + ` LIMIT ?`, append(l.args, clampLimit(limit))
}
