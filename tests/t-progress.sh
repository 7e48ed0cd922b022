#!/bin/sh
# Progress on a terminal: append, export, import, audit and a wait for the
# lock show a progress line when standard error is a terminal (a
# pseudo-terminal from script(1)), and nothing when it is a file or with -q.
. "${top_srcdir:-.}/tests/lib.sh"

if ! command -v script >/dev/null || ! script -qc true /dev/null >/dev/null 2>&1; then
	echo "1..0 # SKIP script(1) from util-linux is needed for a pseudo-terminal"
	exit 0
fi
A=$T/a
B=$T/b
new_ledger "$A" test.example/node-1
new_ledger "$B" test.example/node-2
cat "$A/keys/node.pub" >>"$B/trust/peers"
notes 12000 big >"$T/big"       # long work by its size: at least PROGRESS_MIN entries

# tty FILE COMMAND: run the shell command with standard error on a pseudo-terminal, kept in FILE.
tty() {
	script -qc "$2" /dev/null >"$1" 2>&1
}

tty "$T/append.tty" "chain-append -L '$A' <'$T/big' >'$T/receipts'"
check "chain-append on a terminal shows entries written" grep -q "12000 of 12000 entries written" "$T/append.tty"
check "... and the batch is appended" test "$(wc -l <"$T/receipts")" -eq 12000
chain-append -L "$A" <"$T/big" >/dev/null 2>"$T/append.err"
check "chain-append with standard error in a file shows no progress" test ! -s "$T/append.err"
tty "$T/quiet.tty" "chain-append -q -L '$A' <'$T/big' >/dev/null"
check "chain-append -q on a terminal shows no progress" test ! -s "$T/quiet.tty"

tty "$T/export.tty" "chain-export -L '$A' -o '$T/bundle'"
check "chain-export on a terminal shows entries exported" grep -q "36000 of 36000 entries exported" "$T/export.tty"
chain-export -L "$A" -o "$T/bundle2" 2>"$T/export.err"
check "... not when standard error is a file" test ! -s "$T/export.err"

tty "$T/import.tty" "chain-import -L '$B' '$T/bundle' >/dev/null"
check "chain-import on a terminal shows entries imported (checked as they are read: one pass)" \
	grep -q '36000 entries imported' "$T/import.tty"
chain-import -L "$B" "$T/bundle" >/dev/null 2>"$T/import.err"
check "... not when standard error is a file" test ! -s "$T/import.err"

tty "$T/verify.tty" "chain-verify '$B' >/dev/null"
check "chain-verify on a terminal shows entries checked" grep -q "36000 entries checked" "$T/verify.tty"
chain-verify "$B" >/dev/null 2>"$T/verify.err"
check "... not when standard error is a file" test ! -s "$T/verify.err"

# A wait for the lock: held by flock(1) until a file appears (bounded);
# the waiting program gives up after CHOBO_LOCK_WAIT=1 second.
if command -v flock >/dev/null; then
	flock "$A/db/lock" sh -c "i=0; while [ ! -e '$T/release' ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done" &
	holder=$!
	i=0
	while env CHOBO_LOCK_WAIT=0 chain-log -q -L "$A" >/dev/null 2>&1 && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	tty "$T/lock.tty" "CHOBO_LOCK_WAIT=1 chain-log -L '$A' >/dev/null"
	check "a wait for the lock shows on a terminal" grep -q "waiting for the ledger" "$T/lock.tty"
	CHOBO_LOCK_WAIT=1 chain-log -L "$A" >/dev/null 2>"$T/lock.err"
	check "... and not when standard error is a file (only the busy error)" \
		sh -c "grep -q 'ledger busy' '$T/lock.err' && ! grep -q 'waiting for' '$T/lock.err'"
	: >"$T/release"
	wait "$holder"
else
	ok "# SKIP flock(1) is needed to hold the lock"
	ok "# SKIP flock(1) is needed to hold the lock"
fi
done_testing
