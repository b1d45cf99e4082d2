package smsmode

import (
	"testing"

	"gsmbox/store"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		st           store.Status
		reportFailed bool
		code         int
		listed       bool
	}{
		{store.StatusScheduled, false, Scheduled, true},
		{store.StatusQueued, false, InProgress, true},
		{store.StatusRetry, false, InProgress, true},
		{store.StatusPaused, false, InProgress, true},
		{store.StatusSending, false, InProgress, true},
		{store.StatusSent, false, Operator, true},
		{store.StatusDelivered, false, Received, true},
		{store.StatusFailed, true, ReceptionError, true},
		{store.StatusFailed, false, InternalError, true},
		{store.StatusExpired, true, Expired, true},
		{store.StatusUnknown, false, Undefined, true},
		{store.StatusStopped, false, Blacklisted, true},
		{store.StatusCancelled, false, 0, false},
	}
	for _, tc := range tests {
		code, ok := Status(tc.st, tc.reportFailed)
		if code != tc.code || ok != tc.listed {
			t.Errorf("Status(%s, %v) = %d, %v; want %d, %v", tc.st, tc.reportFailed, code, ok, tc.code, tc.listed)
		}
		if ok && Descriptions[code] == "" {
			t.Errorf("no description for %d", code)
		}
	}
}

func rs(sts ...store.Status) []store.SendRecipient {
	var out []store.SendRecipient
	for _, s := range sts {
		out = append(out, store.SendRecipient{Message: store.Message{Status: s}})
	}
	return out
}

func TestSendStatus(t *testing.T) {
	tests := []struct {
		in   []store.SendRecipient
		code int
		ok   bool
	}{
		{rs(store.StatusSent, store.StatusSent), Operator, true},
		{rs(store.StatusDelivered, store.StatusScheduled), Scheduled, true},
		{rs(store.StatusDelivered, store.StatusQueued), InProgress, true},
		{rs(store.StatusDelivered, store.StatusSent), PartlyReceived, true},
		{rs(store.StatusSent, store.StatusFailed), PartlyDelivered, true},
		{rs(store.StatusDelivered, store.StatusCancelled), Received, true},
		{rs(store.StatusCancelled), 0, false},
		{[]store.SendRecipient{{Message: store.Message{Status: store.StatusFailed}, ReportFailed: true}}, ReceptionErrorStatus, true},
		{rs(store.StatusFailed, store.StatusExpired), InternalError, true},
	}
	for i, tc := range tests {
		code, ok := SendStatus(tc.in)
		if code != tc.code || ok != tc.ok {
			t.Errorf("case %d: %d, %v; want %d, %v", i, code, ok, tc.code, tc.ok)
		}
	}
}

func TestRejectionStatus(t *testing.T) {
	for reason, want := range map[string]int{"invalid_number": InvalidNumber, "stop_list": Blacklisted, "blocked_contact": Blacklisted, "duplicate": Rejected} {
		if got := RejectionStatus(reason); got != want {
			t.Errorf("%s: %d, want %d", reason, got, want)
		}
	}
}
