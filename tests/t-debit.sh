#!/bin/sh
# The one write path's rule, checked under the ledger lock: a test service
# (tests/t-debit: accounts, a balances view, the rule "no batch leaves a
# balance below test.floor") is debited by 8 processes at once; the balance
# never goes below the floor, every refusal is the rule's, and the view is
# what the entries say.  Its setting test.floor is read from chobo.conf;
# unknown keys and bad values there are refused by every program.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

D=$top_builddir/tests/t-debit
L=$T/ledger
new_ledger "$L"
cp "$L/chobo.conf" "$T/conf.orig"

# debits_in_log: the amounts of the stored test.debit entries, one per line, in log order.
debits_in_log() {
	chain-log -L "$L" --type test.debit | sed -n 's/.*"amount":\([0-9]*\).*/\1/p'
}
# running_min: the lowest balance along the log (credits and debits in index order).
running_min() {
	chain-log -L "$L" --type test. |
		sed -n 's/.*"type":"test\.\([a-z]*\)".*"amount":\([0-9]*\).*/\1 \2/p' |
		awk '{ b += ($1 == "credit" ? $2 : -$2); if (NR == 1 || b < m) m = b } END { print m + 0 }'
}

# --- the rule can refuse ----------------------------------------------------
check_exit 0 "credit 100" "$D" -L "$L" credit acct 100
check "... the balance is 100" sh -c "test \"\$('$D' -L '$L' balance acct)\" = 100"
before=$(snapshot "$L")
check_exit 65 "a debit of 101 is refused by the rule (exit 65)" "$D" -L "$L" debit acct 101
check "... saying why" grep -q "acct: the batch would leave a balance of -1, below the floor of 0; nothing was appended" "$T/last.err"
check "... and nothing was appended" test "$before" = "$(snapshot "$L")"
check_exit 65 "a batch of debits 60 and 50 (each alone would pass) is refused whole" "$D" -L "$L" debit acct 60 50
check "... nothing was appended" test "$before" = "$(snapshot "$L")"
check "... the balance is still 100" sh -c "test \"\$('$D' -L '$L' balance acct)\" = 100"

# --- 8 processes debit at once -----------------------------------------------
# Worker w tries 20 debits of 1..7 units, each a process of its own (open,
# append under the rule, close); it records "amount exit-code" per attempt.
for w in 1 2 3 4 5 6 7 8; do
	(
		i=0
		while [ "$i" -lt 20 ]; do
			amount=$(((w * 20 + i) * 7919 % 7 + 1))
			"$D" -L "$L" debit acct "$amount" >/dev/null 2>"$T/err.$w.$i"
			echo "$amount $? $w.$i"
			i=$((i + 1))
		done >"$T/worker.$w"
	) &
done
wait
cat "$T"/worker.* >"$T/attempts"
accepted=$(awk '$2 == 0 { s += $1 } END { print s + 0 }' "$T/attempts")
naccepted=$(awk '$2 == 0' "$T/attempts" | wc -l)
nrefused=$(awk '$2 == 65' "$T/attempts" | wc -l)
echo "# 160 attempts: $naccepted accepted ($accepted units), $nrefused refused"
check "160 attempts, each accepted (0) or refused by the rule (65)" \
	sh -c "test \$(wc -l <'$T/attempts') -eq 160 && test \$(awk '\$2 != 0 && \$2 != 65' '$T/attempts' | wc -l) -eq 0"
refused_ok=yes
for t in $(awk '$2 == 65 { print $3 }' "$T/attempts"); do
	grep -q "below the floor of 0; nothing was appended" "$T/err.$t" || refused_ok=no
done
if [ "$refused_ok" = yes ]; then ok "every refusal names the rule"; else not_ok "a refusal that is not the rule's"; fi
check "some debits were accepted and some refused" test "$naccepted" -gt 0 -a "$nrefused" -gt 0
check "the accepted debits sum to at most the credits (100)" test "$accepted" -le 100
check "the balance is 100 minus the accepted debits" \
	sh -c "test \"\$('$D' -L '$L' balance acct)\" = $((100 - accepted))"
check "the ledger holds exactly the accepted debits" \
	test "$(debits_in_log | wc -l)" -eq "$naccepted"
check "... whose amounts sum to the accepted units" \
	test "$(debits_in_log | awk '{ s += $1 } END { print s + 0 }')" -eq "$accepted"
check "along the log, the balance never goes below 0" test "$(running_min)" -ge 0
check_exit 0 "the view is what the entries say (view_check)" "$D" -L "$L" verify-views
check_exit 0 "the entry indexes are what the entries say" "$D" -L "$L" verify-index
check_exit 1 "chain-verify, not knowing the test service, refuses its types" chain-verify "$L"
check "... as unknown entry types" grep -q '"reason":"unknown entry type"' "$T/last.out"

# --- the setting test.floor ----------------------------------------------------
"$D" -L "$L" credit acct 50 >/dev/null
bal=$("$D" -L "$L" balance acct)
cp "$T/conf.orig" "$L/chobo.conf"
echo "test.floor = 10" >>"$L/chobo.conf"
check_exit 65 "with test.floor = 10, a debit that leaves 9 is refused" "$D" -L "$L" debit acct $((bal - 9))
check "... naming the floor of 10" grep -q "balance of 9, below the floor of 10" "$T/last.err"
check_exit 0 "... one that leaves 10 is accepted" "$D" -L "$L" debit acct $((bal - 10))
cp "$T/conf.orig" "$L/chobo.conf"
check_exit 0 "without the setting (default 0), a debit of the last 10 is accepted" "$D" -L "$L" debit acct 10
check "... the balance is 0" sh -c "test \"\$('$D' -L '$L' balance acct)\" = 0"
check_exit 0 "the view still is what the entries say" "$D" -L "$L" verify-views

# --- bad settings are refused by every program ------------------------------
lines=$(($(wc -l <"$T/conf.orig") + 1))
echo '{"type":"note","body":{"text":"x"}}' >"$T/note.jsonl"
new_ledger "$T/other" test.example/node-2          # a bundle that chain-import would take
cat "$T/other/keys/node.pub" >>"$L/trust/peers"
chain-append -q -L "$T/other" "$T/note.jsonl" >/dev/null
chain-export -L "$T/other" -o "$T/bundle"
# refused_by_all WHAT: every program that opens the ledger exits 78 naming the line.
refused_by_all() {
	bad=
	for prog in "$D -L $L balance acct" "$D -L $L debit acct 1" "chain-append -L $L $T/note.jsonl" \
		"chain-log -L $L" "chain-proof -L $L checkpoint" "chain-verify $L" \
		"chain-view -L $L core.attestations" "chain-export -L $L -o $T/out" "chain-import -L $L $T/bundle"; do
		# shellcheck disable=SC2086
		$prog >/dev/null 2>"$T/conf.err"
		code=$?
		if [ "$code" -ne 78 ] || ! grep -q "chobo.conf:$lines: " "$T/conf.err"; then
			bad="$bad [$prog: exit $code: $(head -1 "$T/conf.err")]"
		fi
	done
	if [ -z "$bad" ]; then ok "$1: every program exits 78 naming chobo.conf:$lines"; else not_ok "$1:$bad"; fi
}
cp "$T/conf.orig" "$L/chobo.conf"
echo "test.nosuch = 1" >>"$L/chobo.conf"
refused_by_all "an unknown key test.nosuch"
"$D" -L "$L" balance acct >/dev/null 2>"$T/conf.err"
check "... the message says the setting is unknown" grep -q 'unknown setting "test.nosuch"' "$T/conf.err"
for bad in ten -1 "" 99999999999999999999; do
	cp "$T/conf.orig" "$L/chobo.conf"
	echo "test.floor = $bad" >>"$L/chobo.conf"
	check_exit 78 "test.floor = '$bad' is refused by the service's program" "$D" -L "$L" balance acct
	check "... naming the line and the setting" grep -q "chobo.conf:$lines: test.floor = $bad" "$T/last.err"
done
cp "$T/conf.orig" "$L/chobo.conf"
echo "test.floor = ten" >>"$L/chobo.conf"
refused_by_all "a bad value test.floor = ten"
cp "$T/conf.orig" "$L/chobo.conf"
check_exit 0 "with chobo.conf restored, the service's program works again" "$D" -L "$L" verify-views

# A new version of the reducer: the stored view is stale until the next write rebuilds it.
before=$("$D" -L "$L" balance acct)
check_exit 1 "a view stored by another version of its reducer is reported" \
	env T_DEBIT_VIEW_VERSION=2 "$D" -L "$L" verify-views
check "... naming both versions" grep -q 'version 1 of the view, this is version 2' "$T/last.err"
check_exit 0 "the next write with the new version succeeds" env T_DEBIT_VIEW_VERSION=2 "$D" -L "$L" credit acct 5
check_exit 0 "... and rebuilt the view" env T_DEBIT_VIEW_VERSION=2 "$D" -L "$L" verify-views
check "... whose balance is the old one plus the credit" \
	test "$(T_DEBIT_VIEW_VERSION=2 "$D" -L "$L" balance acct)" = "$((before + 5))"

done_testing
