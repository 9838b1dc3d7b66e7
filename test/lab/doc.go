// Package lab holds vigil's end-to-end tests against a real Dovecot and
// Postfix: each run starts a private Dovecot (IMAP, POP3, event exporter) and
// Postfix (submission with Dovecot SASL) under a temporary directory on
// 127.0.0.1 high ports, fills mailboxes with patient mail, drives them with
// real IMAP, POP3 and SMTP clients bound to their own 127.x addresses, runs
// vigil serve on them (tailing the log files, taking the exporter's http-post
// at its HTTP intake), and checks the alerts it emits against what the
// clients actually did.
//
// The package holds tests only: it must not be imported, and it must not
// touch the machine's own mail system (no system config, no system ports).
package lab
