package main

import (
	"testing"
	"time"
)

func TestParseTimeInTheBoxZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"2026-12-24 09:00":          "2026-12-24T08:00:00Z",
		"2026-07-14T10:30":          "2026-07-14T08:30:00Z",
		"2026-12-24T09:00:00+01:00": "2026-12-24T08:00:00Z",
	} {
		got, err := parseTime(in, paris)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", in, got.UTC(), err, want)
		}
	}
	if _, err := parseTime("demain 9h", paris); err == nil {
		t.Error("parseTime accepted \"demain 9h\"")
	}
}
