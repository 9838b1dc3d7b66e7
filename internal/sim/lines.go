package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The shapes below are copied from real Dovecot 2.3.19.1 and Roundcube output
// (../shared/data/dovecot-2.3-lab/dovecot-info.log, /work/capture): the same
// field order, the same wording, the same exporter JSON keys. Only the values
// change. sim_test.go runs every generated line through internal/parse.

const serverIP = "127.0.0.1"

func prefix(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") + " " }

func exTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func port(service string) int {
	if service == "pop3" {
		return 110
	}
	return 143
}

// authFinished is the exporter's auth_request_finished; a failure has no
// "success" field, as Dovecot writes it.
func authFinished(t time.Time, user, service, session, ip string, rport int, ok bool) string {
	success := ""
	if ok {
		success = `"success":"yes",`
	}
	p := port(service)
	return fmt.Sprintf(`%sstats: Info: {"event":"auth_request_finished","hostname":"mail","start_time":%q,"end_time":%q,"categories":["auth","service:auth"],"fields":{"duration":212,%s"policy_result":"ok","mechanism":"PLAIN","transport":"insecure","service":%q,"session":%q,"local_ip":%q,"real_local_ip":%q,"remote_ip":%q,"real_remote_ip":%q,"local_port":%d,"real_local_port":%d,"remote_port":%d,"real_remote_port":%d,"original_user":%q,"user":%q,"translated_user":%q}}`,
		prefix(t), exTime(t.Add(-300*time.Microsecond)), exTime(t), success, service, session, serverIP, serverIP, ip, ip, p, p, rport, rport, user, user, user)
}

func loginLine(t time.Time, user, service, session, ip string, pid int) string {
	return fmt.Sprintf("%s%s-login: Info: Login: user=<%s>, method=PLAIN, rip=%s, lip=%s, mpid=%d, session=<%s>",
		prefix(t), service, user, ip, serverIP, pid, session)
}

func mismatchLine(t time.Time, user, ip, session string, unknown bool) string {
	verdict := "Password mismatch"
	if unknown {
		verdict = "unknown user"
	}
	return fmt.Sprintf("%sauth: Info: passwd-file(%s,%s,<%s>): %s", prefix(t), user, ip, session, verdict)
}

func abortedLine(t time.Time, user, service, ip, session string, secs int) string {
	return fmt.Sprintf("%s%s-login: Info: Disconnected: Aborted login by logging out (auth failed, 1 attempts in %d secs): user=<%s>, method=PLAIN, rip=%s, lip=%s, session=<%s>",
		prefix(t), service, secs, user, ip, serverIP, session)
}

func commandLine(t time.Time, user, ip, session string, rport int, tag, name, args, mailbox, reasons string, bytesOut int) string {
	mb := ""
	if mailbox != "" {
		mb = fmt.Sprintf(`,"mailbox":%q`, mailbox)
	}
	return fmt.Sprintf(`%sstats: Info: {"event":"imap_command_finished","hostname":"mail","start_time":%q,"end_time":%q,"categories":["service:imap","imap"],"fields":{"user":%q,"local_ip":%q,"local_port":143,"remote_ip":%q,"remote_port":%d,"session":%q,"duration":437,"cmd_name":%q,"reason_code":[%s]%s,"cmd_tag":%q,"cmd_input_name":%q,"cmd_args":%q,"cmd_human_args":%q,"tagged_reply_state":"OK","tagged_reply":"OK Fetch completed.","last_run_time":%q,"running_usecs":423,"lock_wait_usecs":0,"bytes_in":12,"bytes_out":%d}}`,
		prefix(t), exTime(t.Add(-time.Millisecond)), exTime(t), user, serverIP, ip, rport, session, name, reasons, mb, tag, name, args, args, exTime(t.Add(-time.Millisecond)), bytesOut)
}

// mailOpened is one message read; POP3's carries no addresses, as in the lab.
func mailOpened(t time.Time, user, service, ip, session string, rport int, mailbox string, uid, seq, age int) string {
	if service == "pop3" {
		return fmt.Sprintf(`%sstats: Info: {"event":"mail_opened","hostname":"mail","start_time":%q,"end_time":%q,"categories":["mail","storage","service:pop3","maildir","mailbox"],"fields":{"reason_code":["pop3:cmd_retr"],"duration":46,"user":%q,"session":%q,"mailbox":%q,"reason":"access","seq":%d,"uid":%d,"mail_age_days":%d}}`,
			prefix(t), exTime(t.Add(-100*time.Microsecond)), exTime(t), user, session, mailbox, seq, uid, age)
	}
	return fmt.Sprintf(`%sstats: Info: {"event":"mail_opened","hostname":"mail","start_time":%q,"end_time":%q,"categories":["maildir","service:imap","mailbox","imap","storage","mail"],"fields":{"user":%q,"local_ip":%q,"local_port":143,"remote_ip":%q,"remote_port":%d,"session":%q,"duration":21,"cmd_name":"UID FETCH","reason_code":["imap:cmd_uid_fetch","imap:fetch_body"],"mailbox":%q,"reason":"access","seq":%d,"uid":%d,"mail_age_days":%d}}`,
		prefix(t), exTime(t.Add(-100*time.Microsecond)), exTime(t), user, serverIP, ip, rport, session, mailbox, seq, uid, age)
}

func imapLogout(t time.Time, user, session string, pid, hdr, body, bodyBytes int) string {
	return fmt.Sprintf("%simap(%s)<%d><%s>: Info: Disconnected: Logged out in=%d out=%d deleted=0 expunged=0 trashed=0 hdr_count=%d hdr_bytes=%d body_count=%d body_bytes=%d",
		prefix(t), user, pid, session, 120+hdr*20, 900+hdr*90+bodyBytes, hdr, hdr*88, body, bodyBytes)
}

func pop3Logout(t time.Time, user, session string, pid, retr, retrBytes, msgs int) string {
	return fmt.Sprintf("%spop3(%s)<%d><%s>: Info: Disconnected: Logged out top=0/0, retr=%d/%d, del=0/%d, size=%d",
		prefix(t), user, pid, session, retr, retrBytes, msgs, retrBytes)
}

// roundcubeLogin is Roundcube's userlogins line; its own prefix and zone.
func roundcubeLogin(t time.Time, user, ip string, id int, session string) string {
	return fmt.Sprintf("[%s]: Successful login for %s (ID: %d) from %s in session %s",
		t.UTC().Format("02-Jan-2006 15:04:05 -0700"), user, id, ip, session)
}

// uidSet writes UIDs as an IMAP set (1:5,9).
func uidSet(uids []int) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(uids[i]))
		if j > i {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(uids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// Postfix lines, as rsyslog writes them with its high-precision ISO stamp
// (RSYSLOG_FileFormat); the text after the program is Postfix's own
// (/work/capture/postfix.log).
func pfPrefix(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000-07:00") + " mail "
}

func postfixSASLFail(t time.Time, ip, user string, pid int) string {
	return fmt.Sprintf("%spostfix/submission/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=%s", pfPrefix(t), pid, ip, user)
}

func postfixSubmit(t time.Time, ip, user, queueID string, pid int) string {
	return fmt.Sprintf("%spostfix/submission/smtpd[%d]: %s: client=unknown[%s], sasl_method=PLAIN, sasl_username=%s", pfPrefix(t), pid, queueID, ip, user)
}

func postfixQueued(t time.Time, user, queueID string, size, nrcpt int) string {
	return fmt.Sprintf("%spostfix/qmgr[1021]: %s: from=<%s@clinic.example>, size=%d, nrcpt=%d (queue active)", pfPrefix(t), queueID, user, size, nrcpt)
}
