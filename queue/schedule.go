package queue

import (
	"fmt"
	"time"
)

// QuietHours restricts marketing messages to a weekly window (SPEC Q7).
// The zero value is the default: Monday to Saturday, 08:00 to 20:00, never
// on French public holidays, in the box's time zone. Notifications are
// never restricted.
type QuietHours struct {
	// Disabled lets marketing go at any time.
	Disabled bool
	// Days are the days marketing may go (default Monday to Saturday).
	Days []time.Weekday
	// Start and End bound the window, as times of day (default 8h, 20h).
	Start, End time.Duration
	// AllowHolidays lets marketing go on French public holidays.
	AllowHolidays bool
	// ExtraHolidays are more days without marketing, "MM-DD" every year
	// or "YYYY-MM-DD" once (e.g. "12-26" and Good Friday in
	// Alsace-Moselle).
	ExtraHolidays []string

	days  [7]bool
	extra map[string]bool
}

func (h QuietHours) withDefaults() (QuietHours, error) {
	if len(h.Days) == 0 {
		h.Days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	}
	if h.Start == 0 && h.End == 0 {
		h.Start, h.End = 8*time.Hour, 20*time.Hour
	}
	if h.Start < 0 || h.End > 24*time.Hour || h.Start >= h.End {
		return h, fmt.Errorf("queue: quiet hours: window %v-%v is not within one day", h.Start, h.End)
	}
	h.days = [7]bool{}
	for _, d := range h.Days {
		if d < time.Sunday || d > time.Saturday {
			return h, fmt.Errorf("queue: quiet hours: bad weekday %d", d)
		}
		h.days[d] = true
	}
	h.extra = map[string]bool{}
	for _, s := range h.ExtraHolidays {
		if _, err := time.Parse("2006-01-02", s); err != nil {
			if _, err := time.Parse("2006-01-02", "2000-"+s); err != nil {
				return h, fmt.Errorf("queue: quiet hours: holiday %q is neither MM-DD nor YYYY-MM-DD", s)
			}
		}
		h.extra[s] = true
	}
	return h, nil
}

// allowed reports whether marketing may go at t (already in the box's
// zone).
func (h QuietHours) allowed(t time.Time) bool {
	if h.Disabled {
		return true
	}
	if !h.days[t.Weekday()] || h.holiday(t) {
		return false
	}
	tod := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return tod >= h.Start && tod < h.End
}

func (h QuietHours) holiday(t time.Time) bool {
	if h.extra[t.Format("01-02")] || h.extra[t.Format("2006-01-02")] {
		return true
	}
	return !h.AllowHolidays && FrenchHoliday(t)
}

// nextChange returns the next time after t (in the box's zone) at which
// allowed may change value: a window opening or closing. It looks at most
// two weeks ahead (every day could be a holiday only in a broken
// configuration; the caller then simply re-checks later).
func (h QuietHours) nextChange(t time.Time) time.Time {
	if h.Disabled {
		return time.Time{}
	}
	now := h.allowed(t)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	for i := 0; i < 15; i++ {
		d := day.AddDate(0, 0, i)
		for _, edge := range []time.Duration{0, h.Start, h.End} {
			if e := atTimeOfDay(d, edge); e.After(t) && h.allowed(e) != now {
				return e
			}
		}
	}
	return t.Add(24 * time.Hour)
}

// atTimeOfDay returns day's date at wall-clock time tod in day's zone, so
// that 08:00 stays 08:00 on a DST change day (time.Date normalises 24:00 to
// the next midnight).
func atTimeOfDay(day time.Time, tod time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(tod/time.Hour), int(tod%time.Hour/time.Minute),
		int(tod%time.Minute/time.Second), 0, day.Location())
}

// Easter returns Easter Sunday of year (Gregorian calendar, the anonymous
// "Meeus/Jones/Butcher" algorithm).
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// FrenchHoliday reports whether t's calendar date is a French public
// holiday: 1 January, Easter Monday, 1 May, 8 May, Ascension Thursday,
// Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December.
func FrenchHoliday(t time.Time) bool {
	switch m, d := t.Month(), t.Day(); {
	case m == time.January && d == 1,
		m == time.May && (d == 1 || d == 8),
		m == time.July && d == 14,
		m == time.August && d == 15,
		m == time.November && (d == 1 || d == 11),
		m == time.December && d == 25:
		return true
	}
	e := Easter(t.Year())
	date := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for _, offset := range []int{1, 39, 50} { // Easter Monday, Ascension, Whit Monday
		if date.Equal(e.AddDate(0, 0, offset)) {
			return true
		}
	}
	return false
}

// Period is the repetition of a recurring send (SPEC Q3).
type Period string

// Periods of recurring sends (SMStoB: every day, week, month or year).
const (
	Daily   Period = "daily"
	Weekly  Period = "weekly"
	Monthly Period = "monthly"
	Yearly  Period = "yearly"
)

func (p Period) valid() bool {
	switch p {
	case Daily, Weekly, Monthly, Yearly:
		return true
	}
	return false
}

// Occurrence returns the n-th occurrence (0 = first) of a series starting
// at first, in loc: the local time of day is kept across DST changes, and a
// monthly or yearly date that does not exist (31st, 29 February) falls on
// the last day of the month.
func (p Period) Occurrence(first time.Time, n int, loc *time.Location) time.Time {
	f := first.In(loc)
	y, m, d := f.Date()
	hh, mm, ss := f.Clock()
	ns := f.Nanosecond()
	switch p {
	case Daily:
		return time.Date(y, m, d+n, hh, mm, ss, ns, loc)
	case Weekly:
		return time.Date(y, m, d+7*n, hh, mm, ss, ns, loc)
	case Monthly:
		return clampDay(y, int(m)+n, d, hh, mm, ss, ns, loc)
	case Yearly:
		return clampDay(y+n, int(m), d, hh, mm, ss, ns, loc)
	}
	return f
}

// clampDay builds a date whose day is d or, when the month is shorter, its
// last day (monthly on the 31st goes on 30 April).
func clampDay(y, m, d, hh, mm, ss, ns int, loc *time.Location) time.Time {
	first := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, loc)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), hh, mm, ss, ns, loc)
}

// dayKey is the yyyymmdd of t in loc, the key of daily quotas.
func dayKey(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return y*10000 + int(m)*100 + d
}
