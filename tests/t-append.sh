#!/bin/sh
# chain-append: receipts, all-or-nothing batches, refusal of bad input.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
notes 5 first >"$T/five.jsonl"
check "a batch of five is appended" sh -c "CHOBO_NOW=2026-11-22T09:00:00Z chain-append -L '$L' '$T/five.jsonl' >'$T/r1'"
check "one receipt per entry, dense indexes, the batch's tree size and time" python3 -c "
import json
r = [json.loads(l) for l in open('$T/r1')]
assert [x['leaf_index'] for x in r] == [0, 1, 2, 3, 4]
assert all(x['tree_size'] == 5 and x['type'] == 'note' and x['time'] == '2026-11-22T09:00:00Z' for x in r)
"
chain-log -L "$L" >"$T/log1"
check "each receipt's leaf hash is SHA-256(0x00 || stored bytes)" python3 -c "
import hashlib, json
r = [json.loads(l) for l in open('$T/r1')]
lines = open('$T/log1', 'rb').read().split(b'\n')[:-1]
assert len(lines) == 5
for x, line in zip(r, lines):
    assert hashlib.sha256(b'\0' + line).hexdigest() == x['leaf_hash']
"
check "the stored envelope names log, index, time, the test clock, type and body" python3 -c "
import json
e = json.loads(open('$T/log1').readline())
assert list(e) == ['log', 'index', 'time', 'clock', 'type', 'body'], list(e)
assert e['log'] == 'test.example/node-1' and e['index'] == 0 and e['body'] == {'text': 'first 0'}
assert e['clock'] == 'test'
"
notes 1 system >"$T/system.jsonl"
chain-append -q -L "$L" "$T/system.jsonl" >/dev/null
check "an entry timed by the system clock has no clock member" sh -c "chain-log -L '$L' | tail -n 1 | grep -v clock | grep -q '\"time\":'"

# CHOBO_NOW works only on a ledger made for testing (chain-init --testing).
production_ledger "$T/prod" test.example/prod
check_exit 64 "a ledger in production refuses CHOBO_NOW" \
	env CHOBO_NOW=2026-11-22T09:00:00Z chain-append -L "$T/prod" "$T/five.jsonl"
check "... saying it was not created for testing" grep -q "not created for testing" "$T/last.err"
check "... and nothing was appended" test "$(chain-log -L "$T/prod" | wc -l)" -eq 0
check_exit 64 "... nor does any other program that opens it (chain-log)" env CHOBO_NOW=2026-11-22T09:00:00Z chain-log -L "$T/prod"
check "... without CHOBO_NOW it appends with the system clock" sh -c "chain-append -q -L '$T/prod' '$T/five.jsonl' >/dev/null"
check "... and no entry says clock" sh -c "test \$(chain-log -L '$T/prod' | grep -c clock) -eq 0"
check "the configuration of a ledger for testing says so" grep -q '^testing = yes$' "$L/chobo.conf"
check "... and a production one does not" sh -c "! grep -q testing '$T/prod/chobo.conf'"
check "a doc.attest entry is accepted" sh -c "echo '{\"type\":\"doc.attest\",\"body\":{\"sha256\":\"$(printf x | sha256sum | cut -c1-64)\",\"issuer\":\"city.example\",\"issued\":\"2026-04-01T00:00:00+09:00\",\"kind\":\"permit\"}}' | chain-append -L '$L' >/dev/null"
check "a file starting with a byte order mark (Excel, Notepad) is appended without it" sh -c "
	printf '\357\273\277{\"type\":\"note\",\"body\":{\"text\":\"saved by Notepad\"}}\r\n' >'$T/bom.jsonl' &&
	chain-append -q -L '$L' '$T/bom.jsonl' >/dev/null && chain-log -L '$L' | tail -n 1 | grep -q 'saved by Notepad'"

before=$(snapshot "$L")
# bad INPUT DESCRIPTION EXPECTED-MESSAGE: appending INPUT (a file) fails with 65, names line 2, changes nothing.
bad() {
	input=$1 desc=$2 msg=$3
	{ echo '{"type":"note","body":{"text":"good line"}}'; cat "$input"; } >"$T/bad.jsonl"
	chain-append -L "$L" "$T/bad.jsonl" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	if [ $rc -eq 65 ] && grep -q "bad.jsonl:2: .*$msg" "$T/bad.err" && [ ! -s "$T/bad.out" ] &&
	   [ "$(snapshot "$L")" = "$before" ]; then
		ok "refused, nothing appended: $desc"
	else
		not_ok "refused, nothing appended: $desc (exit $rc)"
		sed 's/^/# /' "$T/bad.err"
	fi
}
line() { printf '%s\n' "$1" >"$T/in"; }
line '{"type":"note","body":{"text":"x"}'; bad "$T/in" "broken JSON" "invalid JSON"
line '{"type":"nosuch","body":{}}'; bad "$T/in" "unknown type" "unknown entry type"
line '{"type":"note","body":{}}'; bad "$T/in" "missing required field" "missing field body.text"
line '{"type":"note","body":{"text":5}}'; bad "$T/in" "wrong field type" "body.text must be"
line '{"type":"note","body":{"text":"x","colour":"red"}}'; bad "$T/in" "unknown body field" "unknown field body.colour"
line '{"type":"note","body":{"text":""}}'; bad "$T/in" "empty text" "body.text must be 1 to"
line '{"type":"note","body":{"text":"x"},"index":7}'; bad "$T/in" "extra top-level field" "unexpected field"
line '{"type":"note","body":["x"]}'; bad "$T/in" "body not an object" "body must be an object"
line '[1,2]'; bad "$T/in" "not an object" "must be a JSON object"
line '{"type":"note","body":{"text":"a\u0000b"}}'; bad "$T/in" "NUL in a string" "NUL"
line '{"type":"note","type":"note","body":{"text":"x"}}'; bad "$T/in" "duplicate key" "invalid JSON"
line '{"type":"doc.attest","body":{"sha256":"ABC","issuer":"c","issued":"2026-01-01T00:00:00Z","kind":"k"}}'; bad "$T/in" "malformed sha256" "body.sha256 must be"
line '{"type":"doc.attest","body":{"sha256":"'"$(printf x | sha256sum | cut -c1-64)"'","issuer":"c","issued":"yesterday","kind":"k"}}'; bad "$T/in" "malformed time" "body.issued must be"
printf '\357\273\277{"type":"note","body":{"text":"x"}}\n' >"$T/in"; bad "$T/in" "a byte order mark on a later line" "starts with a byte order mark"
printf '{"type":"note","body":{"text":"\377\376"}}\n' >"$T/in"; bad "$T/in" "invalid UTF-8" "not valid UTF-8"
python3 -c "print('{\"type\":\"note\",\"body\":{\"text\":\"' + 'x' * 70000 + '\"}}')" >"$T/in"; bad "$T/in" "line over 64 KiB" "line longer than"
python3 -c "print('{\"type\":\"note\",\"body\":{\"text\":\"' + 'x' * 20000 + '\"}}')" >"$T/in"; bad "$T/in" "text over its 16 KiB bound" "body.text must be 1 to"

check_exit 65 "a bad line in the second file refuses the whole batch" sh -c "printf '%s\n' '{\"type\":\"nosuch\",\"body\":{}}' >'$T/second'; chain-append -L '$L' '$T/five.jsonl' '$T/second'"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"
check "empty input appends nothing and succeeds" sh -c "chain-append -q -L '$L' </dev/null"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"
notes 1 last >"$T/one.jsonl"
check_exit 66 "a missing input file is an error" chain-append -L "$L" "$T/does-not-exist"
check "... naming the file, then why, then that nothing was appended" grep -q "^chain-append: $T/does-not-exist: No such file or directory; nothing was appended$" "$T/last.err"
check_exit 66 "a directory given as the input is no input (66), not an I/O error" chain-append -L "$L" "$T"
check "... saying it is a directory" grep -q "is a directory, not a file of records" "$T/last.err"
check_exit 66 "a missing ledger is an error" chain-append -L "$T/nowhere" "$T/one.jsonl"

chmod 640 "$L/keys/node.key"
check_exit 77 "a group-readable secret key is refused" chain-append -L "$L" "$T/one.jsonl"
chmod 600 "$L/keys/node.key"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"

# Another process holds the ledger's lock until told to let go (at most 60 s),
# however slowly each side starts.
flock "$L/db/lock" sh -c ': >"$1/held"; k=0
	while [ ! -e "$1/release" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done' sh "$T" &
holder=$!
k=0
while [ ! -e "$T/held" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done
check_exit 75 "a busy ledger times out with EX_TEMPFAIL" env CHOBO_LOCK_WAIT=1 chain-append -L "$L" "$T/one.jsonl"
check_exit 64 "a CHOBO_LOCK_WAIT that is not a number of seconds is a usage error" env CHOBO_LOCK_WAIT=abc chain-append -L "$L" "$T/one.jsonl"
check "... saying so" grep -q "CHOBO_LOCK_WAIT=abc is not a number of seconds" "$T/last.err"
check_exit 64 "... as is one with a leading zero" env CHOBO_LOCK_WAIT=01 chain-append -L "$L" "$T/one.jsonl"
check "... saying how it must be written" grep -q "without a sign or leading zeros" "$T/last.err"
: >"$T/release"
wait "$holder"
check "after the lock is released appends work again" sh -c "chain-append -L '$L' '$T/one.jsonl' | grep -q '\"leaf_index\":8'"
n=$(chain-log -L "$L" | wc -l)
check_exit 3 "a batch stored whose receipts cannot be written exits 3, not a retryable error" \
	sh -c "chain-append -L '$L' '$T/one.jsonl' >/dev/full"
check "... says so" grep -q "was stored .*do not append it again" "$T/last.err"
check "... and the batch is in the ledger" test "$(chain-log -L "$L" | wc -l)" -eq $((n + 1))

# A batch larger than a chunk (65,536 entries) is streamed through one
# transaction: one checkpoint, receipts for all, and still all or nothing.
S=$T/stream
new_ledger "$S"
notes 70000 big >"$T/big.jsonl"
check "a batch of 70,000 (two chunks) is appended" sh -c "CHOBO_NOW=2026-11-22T09:00:00Z chain-append -L '$S' '$T/big.jsonl' >'$T/rbig'"
check "... with a receipt for each entry, in order, at the batch's tree size" python3 -c "
import json
r = [json.loads(l) for l in open('$T/rbig')]
assert [x['leaf_index'] for x in r] == list(range(70000))
assert all(x['tree_size'] == 70000 for x in r)
"
chain-log -L "$S" >"$T/logbig"
check "... whose leaf hashes are those of the stored entries" python3 -c "
import hashlib, json
r = [json.loads(l) for l in open('$T/rbig')]
lines = open('$T/logbig', 'rb').read().split(b'\n')[:-1]
assert len(lines) == 70000
assert all(hashlib.sha256(b'\0' + l).hexdigest() == x['leaf_hash'] for x, l in zip(r, lines))
"
check "... and one checkpoint signed for the whole batch, which chain-verify accepts" sh -c "
	chain-proof -L '$S' checkpoint | grep -q '\"tree_size\":70000,' &&
	chain-verify '$S' | grep -q '\"ok\":true,.*\"checkpoints\":2,'"
first=$(head -n 1 "$T/rbig" | sed 's/.*"leaf_hash":"\([0-9a-f]*\)".*/\1/')
revoke() { printf '{"type":"revoke","body":{"ref":"%s","reason":"superseded"}}\n' "$1"; }

# The rules judge each chunk on the state that includes the chunks before it.
new_ledger "$T/s2"
{ cat "$T/big.jsonl"; revoke "$first"; } >"$T/big-revoke.jsonl"
check "a revoke in the second chunk finds an entry of the first" sh -c "CHOBO_NOW=2026-11-22T09:00:00Z chain-append -q -L '$T/s2' '$T/big-revoke.jsonl' | tail -n 1 | grep -q '\"type\":\"revoke\",.*\"tree_size\":70001'"
new_ledger "$T/s3"
before=$(snapshot "$T/s3")
{ cat "$T/big.jsonl"; revoke "$first"; revoke "$first"; } >"$T/big-twice.jsonl"
check_exit 65 "a rule refusing the second chunk refuses the whole batch" env CHOBO_NOW=2026-11-22T09:00:00Z chain-append -L "$T/s3" "$T/big-twice.jsonl"
check "... saying why" grep -q "already revoked" "$T/last.err"
check "... and nothing was appended" test "$(snapshot "$T/s3")" = "$before"
{ cat "$T/big.jsonl"; echo '{"type":"note","body":{}}'; } >"$T/big-bad.jsonl"
check_exit 65 "a bad line after the first chunk refuses the whole batch" chain-append -L "$T/s3" "$T/big-bad.jsonl"
check "... naming its line" grep -q "big-bad.jsonl:70001: .*missing field body.text; nothing was appended" "$T/last.err"
check "... and nothing was appended" test "$(snapshot "$T/s3")" = "$before"
check "... and the ledger is clean and works" sh -c "chain-verify -q '$T/s3' && chain-append -q -L '$T/s3' '$T/one.jsonl' | grep -q '\"leaf_index\":0'"
# --dry-run: the batch judged by every rule in a transaction that is aborted; nothing appended.
new_ledger "$T/s4"
before=$(snapshot "$T/s4")
check "--dry-run of a good batch exits 0" sh -c "CHOBO_NOW=2026-11-22T09:00:00Z chain-append -n -L '$T/s4' '$T/big-revoke.jsonl' >'$T/dry.out' 2>'$T/dry.err'"
check "... printing no receipt, and saying it appended nothing" sh -c "test ! -s '$T/dry.out' &&
	grep -q '70001 entries would be appended: every rule passed; nothing was appended (--dry-run)' '$T/dry.err'"
check "... and nothing was appended" test "$(snapshot "$T/s4")" = "$before"
check_exit 65 "--dry-run of a batch a rule refuses (in its second chunk) exits 65" env CHOBO_NOW=2026-11-22T09:00:00Z chain-append --dry-run -L "$T/s4" "$T/big-twice.jsonl"
check "... saying why" grep -q "already revoked" "$T/last.err"
check "... and nothing was appended" test "$(snapshot "$T/s4")" = "$before"
check "... and the ledger is clean and works" sh -c "chain-verify -q '$T/s4' &&
	CHOBO_NOW=2026-11-22T09:01:00Z chain-append -q -L '$T/s4' '$T/one.jsonl' | grep -q '\"leaf_index\":0'"
done_testing
