// Package sim is a virtual GSM modem on a pseudo-terminal (SPEC M10), for
// the driver's tests, the benchmarks and `gsmbox serve --simulate`.
//
// New opens a pty pair and answers on its master like a USB GSM stick
// speaking TS 27.007 / TS 27.005 in PDU mode; the driver opens Path (the
// slave, or the stable Config.Link symlink) with go.bug.st/serial exactly as
// it opens real hardware. The sim decodes every SMS-SUBMIT it is given with
// github.com/warthog618/sms, independently of gsmbox's pdu package, and
// records it (Submitted, Messages), so tests can check what left the box.
//
// # The modem
//
//   - V.250 command lines ending in CR (CR LF accepted), "AT" in any case,
//     several commands per line (ATE0V1, AT+CMGF=0;+CNMI=2,1,0,1,0), echo on
//     after power-on (ATE), verbose or numeric result codes (ATV), ATZ/AT&F.
//   - Identity and status: +CGMI +CGMM +CGMR +CGSN +CIMI +CCID ^ICCID +GCAP
//     +CSQ +CREG +COPS +CPIN +CSCA +CNUM +CFUN ATI. Errors follow +CMEE.
//   - SMS in PDU mode only (+CMGF=1 gives +CMS ERROR: 303): +CSMS +CPMS
//     ("SM", "ME" when Config.MECapacity > 0, "MT") +CNMI +CMGS +CMGW +CMGL
//     +CMGR +CMGD +CNMA, with +CMT/+CMTI/+CDS/+CDSI routed per +CNMI.
//     +CMGS answers "\r\n> ", reads hex until Ctrl-Z (send) or ESC (cancel,
//     OK), checks it (hex, <length> octets after the SMSC prefix, an
//     SMS-SUBMIT) and answers +CMGS: <mr> with MR counting 0..255.
//   - The network side: MT messages wait in the network while the modem is
//     unplugged, hung, unregistered, locked, or its memory full; with
//     +CSMS=1 a +CMT/+CDS not acknowledged by +CNMA within AckTimeout is
//     delivered again (same PDU) after RedeliveryDelay. Status reports
//     answer submits that asked for one when Config.StatusReports is set.
//   - Calls (RING, +CLIP, ATA, ATH, +CHUP, +CLCC), USSD (+CUSD).
//   - Faults: latency (global and per command, no timer at all when zero),
//     injected error answers, Hang/Resume, Unplug/Replug (a new pty; the
//     link follows; settings reset as a power cycle; storage kept),
//     +CFUN=1,1 reboots the same way, noise lines (^RSSI, ^BOOT, ^MODE, RDY,
//     +CREG, empty lines) between answers, inside them and inside PDU lines,
//     raw injection (Inject) and scripted answers (Script) to replay real
//     transcripts.
//
// URCs are held while a command runs or the "> " prompt is open (the link is
// reserved, TS 27.005 §3.4.1 <mode> 2) and printed as soon as the line is
// free; +CNMI <mode> 0 holds +CMT/+CMTI/+CDS/+CDSI until a later +CNMI with
// <mode> > 0. Unlike TS 27.005, <mode> 1 does not discard indications while
// the line is busy: they wait like in <mode> 2 (the TA keeps the last 1000
// URCs), as tests want no silent loss from the sim itself.
//
// # Control verbs
//
// Control(line) runs one text command, for `gsmbox sim ...` and for manual
// demos. Verbs (case-insensitive):
//
//	deliver <from> <text...>          SMS to the modem (multipart when long)
//	deliver-pdu <hex>                 raw MT PDU, SMSC prefix included
//	ring <number>                     incoming call
//	unplug | replug                   USB unplug / new pty (link follows)
//	hang | resume                     stop answering / answer again
//	latency <duration>                delay of every answer (0 = none)
//	latency <command> <duration>      extra delay of one command (cmgs 500ms)
//	error <command> <code> [<n>|<p>%] next n (default 1) answers, or p% of
//	                                  them, become "+CMS ERROR: <code>" (SMS
//	                                  commands) or "+CME ERROR: <code>";
//	                                  <code> "ERROR" gives a plain ERROR
//	error clear                       remove injected errors
//	noise [<n>]                       print n (default 1) noise lines now
//	noise every <duration>|off        periodic noise lines
//	inject <text>                     raw bytes; Go escapes (\r \n \x1a)
//	signal <rssi>                     +CSQ value
//	creg <stat>                       registration state (1 home, 0 none...)
//	ussd <code> <answer...>           USSD answer
//	reports on [<delay>] [<st>]|off   network status reports
//	submitted                         the recorded SMS-SUBMITs
//	messages                          the reassembled submitted messages
//	storage                           the messages stored in the modem
//	status                            counters and state
//	help                              this list
package sim
