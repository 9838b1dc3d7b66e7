#!/usr/bin/env bash
# Installs what the lab test (test/lab) needs from Debian's packages when it is
# missing: Dovecot (IMAP, POP3, submission) and Postfix. Idempotent and quick
# when everything is there (no apt-get at all). Needs root and apt-get; exits 0
# with a message otherwise, and the lab test then skips saying why.
#   ./scripts/lab-deps.sh          install what is missing
#   ./scripts/lab-deps.sh --check  exit 1 if anything is missing, install nothing
set -euo pipefail

# binary:package
want=(
	/usr/sbin/dovecot:dovecot-core
	/usr/lib/dovecot/imap:dovecot-imapd
	/usr/lib/dovecot/pop3:dovecot-pop3d
	/usr/lib/dovecot/submission:dovecot-submissiond
	/usr/sbin/postfix:postfix
)

missing=()
for w in "${want[@]}"; do
	[[ -e ${w%%:*} ]] || missing+=("${w#*:}")
done
if ((${#missing[@]} == 0)); then
	echo "lab-deps: Dovecot and Postfix present"
	exit 0
fi
if [[ ${1:-} == --check ]]; then
	echo "lab-deps: missing ${missing[*]}" >&2
	exit 1
fi
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
	echo "lab-deps: missing ${missing[*]}, and cannot install (needs root and apt-get); the lab test will skip" >&2
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix asks how it is used; "No configuration" keeps it from touching the system's mail.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
pkgs=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-submissiond postfix)
echo "+ apt-get install ${pkgs[*]}"
# Update the package lists only when they are absent or the install fails on stale lists.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
	apt-get update -qq
fi
if ! apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
echo "lab-deps: installed ${missing[*]}"
