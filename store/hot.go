package store

// hotStatements are prepared once at Open on the writer connection: the
// enqueue path (5 000 sends/s, SPEC §12) and the dispatch path run them for
// every message or part, and parsing SQL each time would dominate.
var hotStatements = []string{
	qInsertMessage,
	qInsertPart,
	qJournal,
	qCharge,
	qUsage,
	qAddUsage,
	qAccount,
	qRecentHashes,
	qStopped,
	qClaimMessage,
	qNextPart,
	qPartSent,
	qMessageSent,
	qConversationOut,
	qPartsSummary,
	qEarlyReport,
	qInsertInbound,
	qConversationIn,
	qAddMember,
	qImportContact,
	qInsertContact,
}
