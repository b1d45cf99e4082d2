package queue

import (
	"context"
	"testing"
	"time"

	"gsmbox/pdu"
	"gsmbox/store"
)

func TestEasterAndHolidays(t *testing.T) {
	for year, want := range map[int]string{2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2038: "2038-04-25"} {
		if got := Easter(year).Format("2006-01-02"); got != want {
			t.Errorf("Easter %d = %s, want %s", year, got, want)
		}
	}
	holidays := []string{"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25", "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25"}
	n := 0
	for d := time.Date(2026, 1, 1, 12, 0, 0, 0, paris); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if FrenchHoliday(d) {
			if n >= len(holidays) || d.Format("2006-01-02") != holidays[n] {
				t.Errorf("unexpected holiday %s", d.Format("2006-01-02"))
				continue
			}
			n++
		}
	}
	if n != len(holidays) {
		t.Errorf("found %d holidays in 2026, want %d", n, len(holidays))
	}
}

func TestQuietHours(t *testing.T) {
	h, err := QuietHours{ExtraHolidays: []string{"12-26"}}.withDefaults()
	tcheck(t, err, "defaults")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		tcheck(t, err, s)
		return v
	}
	for s, want := range map[string]bool{
		"2026-03-02 08:00": true,  // Monday
		"2026-03-02 07:59": false, // too early
		"2026-03-02 19:59": true,
		"2026-03-02 20:00": false, // closed
		"2026-03-07 10:00": true,  // Saturday
		"2026-03-08 10:00": false, // Sunday
		"2026-04-06 10:00": false, // Easter Monday
		"2026-05-14 10:00": false, // Ascension
		"2026-12-26 10:00": false, // extra holiday
	} {
		if got := h.allowed(at(s)); got != want {
			t.Errorf("allowed(%s) = %v, want %v", s, got, want)
		}
	}
	for from, want := range map[string]string{
		"2026-03-02 07:00": "2026-03-02 08:00",
		"2026-03-02 10:00": "2026-03-02 20:00",
		"2026-03-07 21:00": "2026-03-09 08:00", // Saturday night -> Monday
		"2026-04-04 21:00": "2026-04-07 08:00", // Easter weekend -> Tuesday
		"2026-03-28 21:00": "2026-03-30 08:00", // DST change on Sunday 29 March
	} {
		if got := h.nextChange(at(from)); !got.Equal(at(want)) {
			t.Errorf("nextChange(%s) = %s, want %s", from, got.In(paris).Format("2006-01-02 15:04"), want)
		}
	}
	if _, err := (QuietHours{Start: 20 * time.Hour, End: 8 * time.Hour}).withDefaults(); err == nil {
		t.Error("accepted a window ending before it starts")
	}
}

func TestOccurrence(t *testing.T) {
	cases := []struct {
		p     Period
		first string
		n     int
		want  string
	}{
		{Daily, "2026-03-28 09:00", 1, "2026-03-29 09:00"}, // across the DST change, same local time
		{Weekly, "2026-03-02 09:00", 3, "2026-03-23 09:00"},
		{Monthly, "2026-01-31 09:00", 1, "2026-02-28 09:00"}, // no 31 February
		{Monthly, "2026-01-31 09:00", 2, "2026-03-31 09:00"}, // back to the 31st
		{Yearly, "2024-02-29 09:00", 1, "2025-02-28 09:00"},
		{Yearly, "2024-02-29 09:00", 4, "2028-02-29 09:00"},
	}
	for _, c := range cases {
		first, _ := time.ParseInLocation("2006-01-02 15:04", c.first, paris)
		got := c.p.Occurrence(first, c.n, paris).Format("2006-01-02 15:04")
		if got != c.want {
			t.Errorf("%s from %s, #%d = %s, want %s", c.p, c.first, c.n, got, c.want)
		}
	}
}

func TestEditScheduled(t *testing.T) {
	q, st, clk := newAcceptQueue(t, Config{})
	ctx := context.Background()
	rc, err := q.Submit(ctx, Request{Numbers: []string{"+33611111111"}, Text: "Rendez-vous à 10h", At: clk.Now().Add(24 * time.Hour)})
	tcheck(t, err, "submit")
	id := ids(rc)[0]
	text := "Rendez-vous déplacé à 11h. Merci de confirmer votre présence en répondant OUI, ou de nous appeler au 01 02 03 04 05 entre 9h et 18h du lundi au vendredi. A bientôt."
	later := clk.Now().Add(48 * time.Hour)
	m, err := q.Edit(ctx, id, Edit{Text: &text, At: &later})
	tcheck(t, err, "edit")
	want := pdu.CountText(text, pdu.CountOptions{}).Parts
	if m.Text != text || !m.ScheduledAt.Equal(later) || m.Status != store.StatusScheduled || m.Parts != want || want < 2 {
		t.Fatalf("edited %+v", m)
	}
	ps, err := st.Parts(ctx, id)
	tcheck(t, err, "parts")
	if len(ps) != want {
		t.Fatalf("%d parts after edit", len(ps))
	}
	now := time.Time{}
	m, err = q.Edit(ctx, id, Edit{At: &now})
	tcheck(t, err, "send now")
	if m.Status != store.StatusQueued {
		t.Fatalf("status %s after 'send now'", m.Status)
	}
}
