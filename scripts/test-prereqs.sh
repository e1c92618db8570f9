#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): makes sure the machine has what the suite needs, installing it
# when it can (root, or passwordless sudo, with apt-get), and otherwise stopping at once with the exact command
# to run. Never a silent skip. Set SWITCHBOARD_TEST_PREREQS=skip to bypass (you then own the consequences).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SWITCHBOARD_TEST_PREREQS:-}" = "skip" ] && exit 0

say() { echo "test prerequisites: $*" >&2; }
missing_pkgs=()

# Dovecot's binaries: the email tests start private IMAP servers on loopback (test/support/dovecot.ts).
if [ ! -x "${DOVECOT_BIN:-/usr/sbin/dovecot}" ] && ! command -v dovecot >/dev/null 2>&1; then
  missing_pkgs+=(dovecot-imapd)
fi

# Chromium: only when the suite has browser tests (a test file that drives a browser).
if grep -rqlE "puppeteer|playwright|chromium" --include='*.test.ts' test src 2>/dev/null; then
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
    [ -z "${CHROMIUM_PATH:-}" ]; then
    missing_pkgs+=(chromium)
  fi
fi

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  install="apt-get update && apt-get install -y --no-install-recommends ${missing_pkgs[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      say "missing ${missing_pkgs[*]}; run as root: $install"
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing_pkgs[*]} and there is no apt-get here: install them with your package manager"
    exit 1
  fi
  say "installing ${missing_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  # The package may start a system-wide Dovecot on all interfaces; the tests need only the binary.
  if [[ " ${missing_pkgs[*]} " == *" dovecot-imapd "* ]]; then
    $sudo systemctl disable --now dovecot >/dev/null 2>&1 || $sudo service dovecot stop >/dev/null 2>&1 || true
  fi
fi

# PostgreSQL on loopback, unless the run is narrowed to the embedded database or points elsewhere.
if [ "${SWITCHBOARD_TEST_DB:-}" != "embedded" ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    say "no PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres). Start one, e.g. as root:" \
      "apt-get install -y postgresql && pg_ctlcluster \$(ls /etc/postgresql | head -n1) main start;" \
      "or point TEST_DATABASE_URL at another server, or run SWITCHBOARD_TEST_DB=embedded npm test"
    exit 1
  fi
fi
