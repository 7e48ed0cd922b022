# Shared helpers for chobo's shell tests: TAP output and a scratch directory.
# Each test sources this file, calls plan N, then ok/not_ok/check.

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
PATH="$top_builddir:$PATH"
export PATH
export CHOBO_LOCK_WAIT="${CHOBO_LOCK_WAIT:-120}"
unset CHOBO_LEDGER CHOBO_NOW

tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/chobo-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

tap_planned=
# plan N: announce the number of test points (or let done_testing count them).
plan() { tap_planned=$1; echo "1..$1"; }

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

# check DESCRIPTION COMMAND...: one test point from a command's exit status.
check() {
	desc=$1
	shift
	if "$@" >"$T/.out" 2>"$T/.err"; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/# /' "$T/.err" | head -20
	fi
}

# check_exit CODE DESCRIPTION COMMAND...: the command must exit with CODE.
# Its output stays in $T/last.out and $T/last.err for the checks that follow.
check_exit() {
	want=$1
	desc=$2
	shift 2
	"$@" >"$T/last.out" 2>"$T/last.err"
	got=$?
	cp "$T/last.out" "$T/.out"
	cp "$T/last.err" "$T/.err"
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, wanted $want)"
		sed 's/^/# /' "$T/.err" | head -20
	fi
}

# new_ledger DIR [ORIGIN]: a fresh ledger for testing (CHOBO_NOW may set its clock), quietly.
new_ledger() {
	chain-init --testing --origin "${2:-test.example/node-1}" "$1" >/dev/null
}

# production_ledger DIR [ORIGIN]: a fresh ledger as in production, which refuses CHOBO_NOW.
production_ledger() {
	chain-init --origin "${2:-test.example/node-1}" "$1" >/dev/null
}

# people DIR PREFIX N: register N people (identifiers PREFIX-1 .. PREFIX-N) in DIR's private store;
# their IDs, one a line, in ascending order (the order that fixed test IDs p-0..01, p-0..02, ... had).
people() {
	awk -v n="$3" -v p="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"identifier\":\"%s-%d\",\"name\":\"%s %d\"}\n", p, i, p, i }' |
		chain-private -L "$1" add | sed -n 's/^{"id":"\(p-[0-9a-f]*\)".*/\1/p' | sort
}

# notes N [PREFIX]: N note entries as JSON Lines.
notes() {
	awk -v n="$1" -v p="${2:-note}" 'BEGIN { for (i = 0; i < n; i++) printf "{\"type\":\"note\",\"body\":{\"text\":\"%s %d\"}}\n", p, i }'
}

# snapshot DIR: a digest of the ledger's visible content (entries and latest checkpoint).
snapshot() {
	{ chain-log -L "$1"; chain-proof -L "$1" checkpoint --raw; } | sha256sum
}

done_testing() {
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
