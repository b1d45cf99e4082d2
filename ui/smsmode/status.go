// Package smsmode holds the sMsmode HTTP API 1.6 status codes (seed 002:
// the compteRendu and smsStatus tables and the annex "Liste récapitulative
// des statuts des SMS retournés") and how they derive from gsmbox's
// message states (SPEC Q10). Both the compatible endpoints (package ui)
// and the notification_url webhooks (package webhook) use them.
package smsmode

import (
	"gsmbox/queue"
	"gsmbox/store"
)

// Status codes.
const (
	Sent                 = 0    // Envoyé
	InProgress           = 1    // En cours
	InternalError        = 2    // Erreur interne / non envoyé
	Scheduled            = 10   // Programmé
	Received             = 11   // Reçu (status report: delivered)
	PartlyDelivered      = 12   // Partiellement délivré
	Operator             = 13   // Délivré opérateur: the SMSC accepted it
	PartlyReceived       = 15   // Partiellement reçu
	Rejected             = 22   // Rejeté
	ReceptionError       = 35   // Erreur réception (compteRendu)
	ReceptionErrorStatus = 39   // Erreur réception (smsStatus)
	Expired              = 37   // Message expiré
	Undefined            = 999  // Indéfini
	InvalidNumber        = 3998 // Destinataire invalide
	Blacklisted          = 3999 // Destinataire blacklisté
)

// Descriptions are the descriptions of the status codes, as the
// smsStatus table (and the annex for the others) writes them.
var Descriptions = map[int]string{
	Sent:                 "Envoyé",
	InProgress:           "En cours",
	InternalError:        "Non envoyé – erreur interne",
	Scheduled:            "Envoi programmé",
	Received:             "Reçu",
	PartlyDelivered:      "Partiellement délivré",
	Operator:             "Délivré",
	PartlyReceived:       "Partiellement reçu",
	Rejected:             "Rejeté",
	ReceptionError:       "Erreur réception",
	ReceptionErrorStatus: "Erreur réception",
	Expired:              "Message expiré",
	Undefined:            "Indéfini",
	InvalidNumber:        "Destinataire invalide",
	Blacklisted:          "Destinataire blacklisté",
}

// Status is the sMsmode status of a message in state st (compteRendu and
// notification_url "statut"). ok is false for a cancelled message, which
// sMsmode would have deleted (deleteSMS) and does not list.
//
//   - scheduled: 10; queued, retrying, paused, sending: 1 (in progress)
//   - sent: 13 "délivré opérateur": the SMSC accepted it and no final
//     status report came yet (the seed's example: a phone switched off)
//   - delivered: 11 "reçu"
//   - failed: 35 "erreur réception" when a status report said so, 2
//     "erreur interne lors de l'envoi" when the network refused the
//     submission
//   - expired: 37; unknown (may or may not have left, SPEC Q6): 999;
//     stopped (STOP list at dispatch): 3999
func Status(st store.Status, reportFailed bool) (int, bool) {
	switch st {
	case store.StatusScheduled:
		return Scheduled, true
	case store.StatusQueued, store.StatusRetry, store.StatusPaused, store.StatusSending:
		return InProgress, true
	case store.StatusSent:
		return Operator, true
	case store.StatusDelivered:
		return Received, true
	case store.StatusFailed:
		if reportFailed {
			return ReceptionError, true
		}
		return InternalError, true
	case store.StatusExpired:
		return Expired, true
	case store.StatusStopped:
		return Blacklisted, true
	case store.StatusCancelled:
		return 0, false
	}
	return Undefined, true
}

// RejectionStatus is the status of a recipient refused at submission.
func RejectionStatus(reason string) int {
	switch queue.Reason(reason) {
	case queue.ReasonInvalidNumber:
		return InvalidNumber
	case queue.ReasonStopList, queue.ReasonBlocked:
		return Blacklisted
	}
	return Rejected
}

// SendStatus is the status of a whole send (smsStatus.do: "si le SMS a été
// envoyé à plusieurs destinataires, le statut récupéré est celui de la
// campagne"): anything still waiting wins (10 scheduled, then 1 in
// progress); then a status common to every recipient; otherwise partially
// received (15) when some were received, partially delivered (12) when
// some reached the operator, and an error otherwise. ok is false when
// nothing is left (every message cancelled).
func SendStatus(rs []store.SendRecipient) (int, bool) {
	var codes []int
	for _, r := range rs {
		if c, ok := Status(r.Message.Status, r.ReportFailed); ok {
			if c == ReceptionError {
				c = ReceptionErrorStatus // smsStatus spells it 39
			}
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return 0, false
	}
	has := map[int]bool{}
	for _, c := range codes {
		has[c] = true
	}
	switch {
	case has[Scheduled]:
		return Scheduled, true
	case has[InProgress]:
		return InProgress, true
	case len(has) == 1:
		return codes[0], true
	case has[Received]:
		return PartlyReceived, true
	case has[Operator]:
		return PartlyDelivered, true
	case has[ReceptionErrorStatus]:
		return ReceptionErrorStatus, true
	}
	return InternalError, true
}
