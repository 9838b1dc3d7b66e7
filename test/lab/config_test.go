package lab

import (
	"fmt"
	"strings"
)

// dovecotConf is the private Dovecot: IMAP and POP3 on loopback high ports,
// passwd-file users, Maildir, one log file that vigil tails, and the event
// exporter posting (transport = http-post) to vigil's HTTP intake with its
// token. Each event also goes to a port the test owns (Lab.collect), so that
// the test can check what Dovecot sent and run vigil analyze on it. Each
// exported event is a metric on both exporters (dovecotMetrics).
var dovecotConf = dovecotBase + dovecotMetrics()

// dovecotExports are the Dovecot events the lab exports: metric name, event.
var dovecotExports = [][2]string{
	{"vigil_auth", "auth_request_finished"},
	{"vigil_imap_command", "imap_command_finished"},
	{"vigil_mail_opened", "mail_opened"},
	{"vigil_login_aborted", "login_aborted"},
}

// dovecotMetrics is one metric per exported event on the vigil exporter and
// one (name_copy) on the copy exporter.
func dovecotMetrics() string {
	var b strings.Builder
	for _, m := range dovecotExports {
		for _, e := range [][2]string{{m[0], "vigil"}, {m[0] + "_copy", "copy"}} {
			fmt.Fprintf(&b, "metric %s {\n  exporter = %s\n  exporter_include = name hostname timestamps categories fields\n  filter = event=%s\n}\n", e[0], e[1], m[1])
		}
	}
	return b.String()
}

// dovecotBase is the configuration before the metrics.
const dovecotBase = `base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
instance_name = vigil-lab
protocols = imap pop3
listen = 127.0.0.1
shutdown_clients = yes
hostname = mail.clinic.test

log_path = {{.DovecotLog}}
log_timestamp = "%Y-%m-%dT%H:%M:%S "
auth_verbose = yes
auth_verbose_passwords = no
verbose_proctitle = yes
login_log_format_elements = user=<%u> method=%m rip=%r lip=%l mpid=%e %c session=<%{session}>
imap_logout_format = in=%i out=%o deleted=%{deleted} expunged=%{expunged} trashed=%{trashed} hdr_count=%{fetch_hdr_count} hdr_bytes=%{fetch_hdr_bytes} body_count=%{fetch_body_count} body_bytes=%{fetch_body_bytes}
pop3_logout_format = top=%t/%p, retr=%r/%b, del=%d/%m, size=%s

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u {{.Dir}}/passwd
}
first_valid_uid = 5000
last_valid_uid = 5000
first_valid_gid = 5000
last_valid_gid = 5000

mail_location = maildir:{{.Dir}}/mail/%u/Maildir
namespace inbox {
  inbox = yes
  separator = /
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{.IMAPPort}}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = {{.POP3Port}}
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
service doveadm {
  inet_listener {
    port = 0
  }
}
service auth {
  unix_listener {{.Dir}}/postfix/spool/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}

event_exporter vigil {
  format = json
  format_args = time-rfc3339
  transport = http-post
  transport_args = http://dovecot:{{.Token}}@127.0.0.1:{{.VigilPort}}/v1/dovecot/events
  transport_timeout = 500msec
}
event_exporter copy {
  format = json
  format_args = time-rfc3339
  transport = http-post
  transport_args = http://127.0.0.1:{{.HTTPPort}}/v1/dovecot/events
  transport_timeout = 500msec
}
`

// postfixMain is the private Postfix: submission with Dovecot SASL, its own
// log file through postlogd, no delivery beyond loopback (external mail
// bounces at once: there is no DNS here).
const postfixMain = `config_directory = {{.Dir}}/postfix/etc
queue_directory = {{.Dir}}/postfix/spool
data_directory = {{.Dir}}/postfix/data
mail_owner = postfix
setgid_group = postdrop
compatibility_level = 3.6
myhostname = mx.clinic.test
mydomain = clinic.test
myorigin = $mydomain
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = {{.PostfixLog}}
maillog_file_prefixes = {{.Dir}}
syslog_name = postfix
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_limit = 1000
smtp_connect_timeout = 5s
`

// postfixMaster runs only the submission service and what the queue needs,
// none chrooted, plus postlogd for maillog_file.
const postfixMaster = `127.0.0.1:{{.SubmitPort}} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`
