#!/bin/sh
# Bundles: chain-export, chain-import and chain-verify BUNDLE between two
# nodes A and B.  Full and incremental copies; refusals that change nothing
# (truncated, corrupted, re-encoded with altered content, our own log, an
# untrusted key, a gap); a fork of A's log, whose evidence B keeps.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to edit bundles"
	exit 0
fi

A=$T/A
B=$T/B
OA=test.example/node-a
OB=test.example/node-b
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$A/keys/node.pub" >>"$B/trust/peers"
cat "$B/keys/node.pub" >>"$A/trust/peers"
notes 3 first | chain-append -q -L "$A" >/dev/null
cp -a "$A" "$T/A2"                       # same keys and first three entries: a fork to be
notes 2 second | chain-append -q -L "$A" >/dev/null
notes 2 own | chain-append -q -L "$B" >/dev/null

# summary FILE LOG FROM TO ENTRIES: chain-import printed exactly this one summary line.
summary() {
	python3 - "$@" <<'END'
import json, sys
f, log, frm, to, n = sys.argv[1:]
lines = open(f).read().splitlines()
assert len(lines) == 1, lines
s = json.loads(lines[0])
assert (s['log'], s['from'], s['to'], s['entries']) == (log, int(frm), int(to), int(n)), s
END
}

# report FILE KEY=VALUE...: chain-verify's report has these JSON values.
report() {
	python3 - "$@" <<'END'
import json, sys
r = json.load(open(sys.argv[1]))
for kv in sys.argv[2:]:
    k, v = kv.split('=', 1)
    assert r.get(k) == json.loads(v), (k, r)
END
}

# same_log: B's copy of A's log is A's log, byte for byte.
same_log() {
	chain-log -L "$A" >"$T/a.log" && chain-log -L "$B" --log "$OA" >"$T/b.log" &&
		test -s "$T/a.log" && cmp "$T/a.log" "$T/b.log"
}

# --- full export ----------------------------------------------------------
check_exit 0 "chain-export of all of A" chain-export -L "$A" -o "$T/full"
check "... writes a bundle (magic line first)" sh -c "head -c 15 '$T/full' | grep -q '^chobo-bundle/1$'"
chain-export -L "$A" >"$T/full.stdout"
check "-o FILE writes the same bytes as standard output" cmp "$T/full" "$T/full.stdout"
check_exit 0 "chain-verify --trust A's key: the full bundle is valid" \
	chain-verify --trust "$A/keys/node.pub" "$T/full"
check "... the report: ok, complete, 1 log, 5 entries, 3 checkpoints" \
	report "$T/last.out" ok=true complete=true logs=1 entries=5 checkpoints=3
check_exit 64 "chain-verify of a bundle without --trust is a usage error" chain-verify "$T/full"
check_exit 1 "chain-verify trusting only B's key: invalid" chain-verify --trust "$B/keys/node.pub" "$T/full"

check_exit 0 "B imports the full bundle" chain-import -L "$B" "$T/full"
check "... summary: A's log from 0 to 5, 5 entries" summary "$T/last.out" "$OA" 0 5 5
check "B's copy of A's log is A's log, byte for byte" same_log
check "B's own log is still there" sh -c "chain-log -L '$B' --log '$OB' | wc -l | grep -qx 2"
check_exit 0 "chain-verify B after the import" chain-verify "$B"
check "... 2 logs, 7 entries" report "$T/last.out" ok=true logs=2 entries=7

# --- a reader that takes its time -------------------------------------------
# chain-export makes the bundle in a scratch file while the ledger is locked
# and sends it from there as it grows: a reader that takes nothing more
# than the first bytes (a pipe holds 64 KiB; this bundle is larger) holds
# neither the export nor the lock, and gets the whole bundle when it reads.
# Those first bytes say that the export has begun: a ledger found unlocked
# before that says nothing.
BIG=$T/big
new_ledger "$BIG" test.example/big
awk 'BEGIN { srand(7); for (i = 0; i < 2000; i++) { s = ""
	for (j = 0; j < 25; j++) s = s sprintf("%08x", int(rand() * 4294967295))
	printf "{\"type\":\"note\",\"body\":{\"text\":\"%s\"}}\n", s } }' |
	chain-append -q -L "$BIG" >/dev/null
chain-export -L "$BIG" -o "$T/big.bundle"
check "a bundle larger than a pipe holds" test "$(wc -c <"$T/big.bundle")" -gt 200000
mkfifo "$T/slow-reader"
chain-export -L "$BIG" >"$T/slow-reader" 2>"$T/slow.err" &
slow=$!
exec 3<"$T/slow-reader"
dd bs=15 count=1 status=none <&3 >"$T/slow.bundle"
k=0
while ! CHOBO_LOCK_WAIT=0 chain-log -L "$BIG" --to 1 >/dev/null 2>&1 && [ $k -lt 1200 ]; do
	sleep 0.05
	k=$((k + 1))
done
check "a chain-export nobody reads yet leaves the ledger unlocked once it has made the bundle" \
	env CHOBO_LOCK_WAIT=0 chain-log -L "$BIG" --to 1
cat <&3 >>"$T/slow.bundle"
exec 3<&-
wait "$slow"
check "... then exits 0" test $? -eq 0
check "... and its reader gets the whole bundle" cmp "$T/big.bundle" "$T/slow.bundle"

# --- incremental ----------------------------------------------------------
notes 2 third | chain-append -q -L "$A" >/dev/null
chain-proof -L "$B" --log "$OA" checkpoint --raw >"$T/held"
check "B's held checkpoint of A is at size 5" sh -c "sed -n 2p '$T/held' | grep -qx 5"
check_exit 0 "chain-export --since the held checkpoint" chain-export -L "$A" --since "$T/held" -o "$T/inc"
check_exit 0 "chain-verify of the incremental bundle: valid" chain-verify --trust "$A/keys/node.pub" "$T/inc"
check "... and not complete (it starts at size 5), 2 entries" \
	report "$T/last.out" ok=true complete=false entries=2
check_exit 0 "export --since | import: B takes the new entries" \
	sh -c "chain-export -L '$A' --since '$T/held' | chain-import -L '$B'"
check "... only the new ones: from 5 to 7, 2 entries" summary "$T/last.out" "$OA" 5 7 2
check "B's copy of A's log is again A's log" same_log
before=$(snapshot "$B")
check_exit 0 "importing the same bundle again succeeds" chain-import -L "$B" "$T/inc"
check "... adds nothing (7 to 7, 0 entries)" summary "$T/last.out" "$OA" 7 7 0
check "... and changes nothing" test "$before" = "$(snapshot "$B")"
check_exit 0 "importing the older full bundle again succeeds too" chain-import -L "$B" "$T/full"
check "... and changes nothing" test "$before" = "$(snapshot "$B")"

notes 1 fourth | chain-append -q -L "$A" >/dev/null
check_exit 0 "export --log ORIGIN --since SIZE | import" \
	sh -c "chain-export -L '$A' --log '$OA' --since 7 | chain-import -L '$B'"
check "... from 7 to 8, 1 entry" summary "$T/last.out" "$OA" 7 8 1
check "B's copy of A's log is again A's log" same_log
check_exit 64 "--since SIZE without --log is a usage error" chain-export -L "$A" --since 7
check "... and says --log is needed" grep -q -- "--log" "$T/last.err"
check_exit 66 "--log naming a log A does not hold" chain-export -L "$A" --log test.example/none -o "$T/none"
check "... and leaves no file" test ! -e "$T/none"
cp "$T/full" "$T/kept"
check_exit 66 "a failed export over an existing file ..." chain-export -L "$A" --log test.example/none -o "$T/kept"
check "... leaves that file as it was" cmp "$T/full" "$T/kept"
check "... and no temporary file beside it" sh -c "! ls '$T' | grep -q 'kept.tmp'"
check_exit 73 "an output path inside a ledger directory is refused" chain-export -L "$A" -o "$A/db/backup.bundle"
check "... naming the ledger" grep -q "inside the ledger directory" "$T/last.err"
check "... and writes nothing there" test ! -e "$A/db/backup.bundle"
check_exit 73 "... also inside another ledger, and through a relative path" \
	sh -c "cd '$B/keys' && chain-export -L '$A' -o ../x.bundle"
check_exit 0 "an export over an existing file replaces it whole" chain-export -L "$A" -o "$T/kept"
check "... with the bundle A gives now" sh -c "chain-export -L '$A' >'$T/now' && cmp '$T/now' '$T/kept'"
# -o makes the file as a redirection would: the umask of a cron job that keeps its files private holds.
check "-o under umask 077 writes a file only its owner may read" \
	sh -c "umask 077 && chain-export -L '$A' -o '$T/private' && test \"\$(stat -c %a '$T/private')\" = 600"
check "... and under umask 022 one that others may read too" \
	sh -c "umask 022 && chain-export -L '$A' -o '$T/shared' && test \"\$(stat -c %a '$T/shared')\" = 644"
check_exit 0 "chain-verify B after the incremental imports" chain-verify "$B"
# An export stopped by SIGTERM (a timer's stop) leaves no FILE.tmpXXXXXX: it waits here for
# the ledger's lock, its temporary file already made.
( flock 9; sleep 30 ) 9<"$A/db/lock" &
holder=$!
n=0
while [ $n -lt 200 ] && flock -n "$A/db/lock" true; do sleep 0.05; n=$((n + 1)); done
chain-export -L "$A" -o "$T/stopped" 2>/dev/null &
exporter=$!
n=0
while [ $n -lt 200 ] && ! ls "$T"/stopped.tmp* >/dev/null 2>&1; do sleep 0.05; n=$((n + 1)); done
check "an export waiting for the lock has its temporary file" sh -c "ls '$T'/stopped.tmp* >/dev/null 2>&1"
kill -TERM "$exporter"
wait "$exporter"
stopped_rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check "... SIGTERM ends it as SIGTERM does" test "$stopped_rc" -eq 143
check "... and removes the temporary file, writing no bundle" \
	sh -c "! ls '$T'/stopped* >/dev/null 2>&1"

# --- refused, and nothing changed -----------------------------------------
# refused DESCRIPTION FILE: importing FILE into B exits 65, says so, and B is unchanged.
refused() {
	b=$(snapshot "$B")
	check_exit 65 "refused: $1" chain-import -L "$B" "$2"
	if grep -q "nothing was imported" "$T/last.err" && [ "$b" = "$(snapshot "$B")" ]; then
		ok "... with a message, and B unchanged"
	else
		not_ok "... with a message, and B unchanged"
		sed 's/^/# /' "$T/last.err"
	fi
}

notes 2 fifth | chain-append -q -L "$A" >/dev/null      # A at 10: bundles below carry news
chain-export -L "$A" -o "$T/full10"
size=$(wc -c <"$T/full10")
for cut in 10 15 20 $((size / 3)) $((size / 2)) $((size - 20)) $((size - 1)); do
	head -c "$cut" "$T/full10" >"$T/cut"
	refused "bundle truncated to $cut of $size bytes" "$T/cut"
done

# A refused import leaves no Berkeley DB log behind: its aborted transaction
# wrote some 700 bytes of log an entry, into files that only a checkpoint
# removes, and each failed run would add its own until the next write.
C=$T/C
D=$T/D
new_ledger "$C" test.example/node-c
new_ledger "$D" test.example/node-d
cat "$C/keys/node.pub" >>"$D/trust/peers"
notes 20000 many | chain-append -q -L "$C" >/dev/null
chain-export -L "$C" -o "$T/many"
head -c $(($(wc -c <"$T/many") - 20)) "$T/many" >"$T/many.cut"
log_files() { ls "$1/db" | grep -c '^log\.'; }
check_exit 65 "refused: a bundle of 20000 entries cut before its end" chain-import -L "$D" "$T/many.cut"
check "... and D's db/ holds at most two log files, not the aborted import's" test "$(log_files "$D")" -le 2
check_exit 0 "... then the whole bundle is imported" chain-import -L "$D" "$T/many"

# One byte flipped at 40 positions spread over the file (magic line, zlib
# header, deflate data, adler32 trailer): every copy refused, none accepted,
# none crashing.
python3 - "$T/full10" "$T/flip" <<'END'
import sys
data = open(sys.argv[1], 'rb').read()
n = len(data)
positions = sorted(set([0, 14, 15, 16, 17, n - 4, n - 3, n - 2, n - 1] +
                       [15 + i * (n - 16) // 31 for i in range(31)]))
for k, pos in enumerate(positions):
    d = bytearray(data)
    d[pos] ^= 0xff
    open('%s.%d' % (sys.argv[2], k), 'wb').write(d)
END
b=$(snapshot "$B")
bad=
count=0
for f in "$T"/flip.*; do
	count=$((count + 1))
	chain-import -L "$B" "$f" >/dev/null 2>"$T/flip.err"
	rc=$?
	[ "$rc" -eq 65 ] || bad="$bad ${f##*.}:$rc"
done
if [ "$count" -ge 38 ] && [ -z "$bad" ]; then
	ok "refused: each of $count copies with one flipped byte (exit 65)"
else
	not_ok "refused: each of $count copies with one flipped byte (copy:exit$bad)"
fi
check "... and B unchanged" test "$b" = "$(snapshot "$B")"

cp "$T/full10" "$T/trailing"
printf 'garbage\n' >>"$T/trailing"
refused "trailing garbage after the bundle" "$T/trailing"
check "... the message says so" grep -q "after its end" "$T/last.err"

b=$(snapshot "$B")
chain-export -L "$B" --log "$OB" -o "$T/own"
check_exit 0 "a bundle of B's own log, a prefix of the one B holds: accepted" chain-import -L "$B" "$T/own"
check "... and nothing is added" summary "$T/last.out" "$OB" 2 2 0
chain-export -L "$B" -o "$T/ball"
check_exit 0 "a bundle with B's own log among others: accepted" chain-import -L "$B" "$T/ball"
check "... and B unchanged" test "$b" = "$(snapshot "$B")"

new_ledger "$T/impostor" "$OA"                # A's origin, another key
notes 12 fake | chain-append -q -L "$T/impostor" >/dev/null
chain-export -L "$T/impostor" -o "$T/imp"
refused "a bundle of A's log signed by a key B does not trust" "$T/imp"
check "... the message names the signature" grep -q "trusted key" "$T/last.err"
new_ledger "$T/C" test.example/node-c
notes 2 c | chain-append -q -L "$T/C" >/dev/null
chain-export -L "$T/C" -o "$T/c"
refused "a bundle of a log whose key is not in B's trust/" "$T/c"

new_ledger "$T/D" test.example/node-d
cat "$A/keys/node.pub" >>"$T/D/trust/peers"
chain-export -L "$A" --log "$OA" --since 8 -o "$T/gap"
bd=$(snapshot "$T/D")
check_exit 65 "refused: a bundle that starts beyond what the node holds (8 > 0)" \
	chain-import -L "$T/D" "$T/gap"
check "... the message says where it starts" grep -q "starts at entry 8" "$T/last.err"
check "... and the node is unchanged" test "$bd" = "$(snapshot "$T/D")"
check "... but the full bundle goes into it" chain-import -L "$T/D" "$T/full10"

printf '{"type":"note","body":{"text":"not a bundle"}}\n' >"$T/notbundle"
refused "a file that is not a bundle" "$T/notbundle"
check "... named as not a bundle" grep -q "not a chobo bundle" "$T/last.err"
: >"$T/empty"
refused "an empty file" "$T/empty"
check "... named as empty" grep -q "the bundle is empty" "$T/last.err"
check_exit 66 "a missing file is an error" chain-import -L "$B" "$T/nowhere"
# A file the system cannot read is no refusal of its content: a read error (74), as chain-import(1) says.
mkdir "$T/adir"
check_exit 74 "a bundle that cannot be read (a directory) is a read error" chain-import -L "$B" "$T/adir"
check "... named as one" grep -q "read error" "$T/last.err"
if head -c 1 /proc/self/mem >/dev/null 2>&1; then
	ok "chain-verify of a bundle whose read fails # SKIP /proc/self/mem reads here"
else
	check_exit 74 "chain-verify of a bundle whose read fails: 74, not a verdict" \
		chain-verify --trust "$A/keys/node.pub" /proc/self/mem
	check "... without a report" test ! -s "$T/last.out"
fi

# --- altered content, validly re-encoded ----------------------------------
cat >"$T/rebundle.py" <<'END'
# rebundle.py IN OUT N: decode a bundle, change one byte of the text of the
# N-th entry record ('E'), re-compute the end record and re-compress.
import hashlib, struct, sys, zlib
MAGIC = b'chobo-bundle/1\n'
data = open(sys.argv[1], 'rb').read()
assert data.startswith(MAGIC)
raw = zlib.decompress(data[len(MAGIC):])
records, pos = [], 0
while pos < len(raw):
    tag, n = raw[pos:pos + 1], struct.unpack('>I', raw[pos + 1:pos + 5])[0]
    records.append([tag, bytearray(raw[pos + 5:pos + 5 + n])])
    pos += 5 + n
tag, end = records.pop()
assert tag == b'Z' and struct.unpack('>Q', end[:8])[0] == len(records)
body = b''.join(t + struct.pack('>I', len(p)) + p for t, p in records)
assert hashlib.sha256(body).digest() == end[8:], 'end record'
entries = [p for t, p in records if t == b'E']
e = entries[int(sys.argv[3])]
i = e.index(b'"text":"') + len(b'"text":"')
e[i] ^= 0x01                      # still valid JSON, still a valid note
body = b''.join(t + struct.pack('>I', len(p)) + p for t, p in records)
end = struct.pack('>Q', len(records)) + hashlib.sha256(body).digest()
raw = body + b'Z' + struct.pack('>I', len(end)) + end
open(sys.argv[2], 'wb').write(MAGIC + zlib.compress(raw))
END
# Changed and changed back: the script itself must produce a valid bundle.
python3 "$T/rebundle.py" "$T/full10" "$T/same" -1
python3 "$T/rebundle.py" "$T/same" "$T/same" -1
check_exit 0 "re-encoded with the byte changed back: valid (the script is right)" \
	chain-verify --trust "$A/keys/node.pub" "$T/same"
for n in 0 8 9; do
	rm -f "$T/altered"
	python3 "$T/rebundle.py" "$T/full10" "$T/altered" $n
	check_exit 1 "chain-verify: entry $n altered and re-encoded validly is invalid" \
		chain-verify --trust "$A/keys/node.pub" "$T/altered"
	check "... the report says the entries do not match a signed checkpoint" \
		grep -q '"ok":false.*signed' "$T/last.out"
	refused "entry $n altered and re-encoded validly" "$T/altered"
	# A large import is a bulk transaction (its new pages written at commit): refused just as well.
	export CHOBO_LIMIT_IMPORT_BULK_BYTES=1
	refused "entry $n altered, imported in a bulk transaction" "$T/altered"
	unset CHOBO_LIMIT_IMPORT_BULK_BYTES
done

# --- a fork of A's log ----------------------------------------------------
cp -a "$B" "$T/Bbulk"
check_exit 0 "a bulk import (CHOBO_LIMIT_IMPORT_BULK_BYTES=1) of the full bundle" \
	env CHOBO_LIMIT_IMPORT_BULK_BYTES=1 chain-import -L "$T/Bbulk" "$T/full10"
check "... takes A's log to 10" summary "$T/last.out" "$OA" 8 10 2
check_exit 0 "... and the ledger verifies, its indexes too" chain-verify --index "$T/Bbulk"
check "B holds all of A before the fork test" chain-import -L "$B" "$T/full10"
notes 7 forked | chain-append -q -L "$T/A2" >/dev/null   # A2 at 10 too, other entries
chain-export -L "$T/A2" -o "$T/fork"
check_exit 0 "A2's bundle is valid in itself (same key as A)" chain-verify --trust "$A/keys/node.pub" "$T/fork"
before=$(snapshot "$B")
check_exit 2 "B imports A2's bundle: a fork, exit 2" chain-import -L "$B" "$T/fork"
cp "$T/last.out" "$T/fork.out"
check "... one JSON line: event fork, A's log, both checkpoints" python3 - "$T/fork.out" "$OA" <<'END'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
assert e['event'] == 'fork' and e['log'] == sys.argv[2], e
assert e['ours'] != e['theirs'], e
for k in ('ours', 'theirs'):
    open(sys.argv[1] + '.' + k, 'w').write(e[k])
    assert e[k].split('\n')[0] == sys.argv[2], e[k]
END
check "... and a diagnostic on stderr" grep -q "fork" "$T/last.err"
check "our checkpoint is signed by A's key and is A's history" \
	chain-verify --trust "$A/keys/node.pub" --against "$T/fork.out.ours" "$A"
check "their checkpoint is signed by A's key and is A2's history" \
	chain-verify --trust "$A/keys/node.pub" --against "$T/fork.out.theirs" "$T/A2"
check_exit 1 "... which is not A's history" \
	chain-verify --trust "$A/keys/node.pub" --against "$T/fork.out.theirs" "$A"
check "B's data is unchanged" test "$before" = "$(snapshot "$B")"
check "B's copy of A's log is still A's log" same_log
check_exit 2 "chain-verify B exits 2: it holds proven fork evidence" chain-verify "$B"
check "... its data valid, and its report lists the fork of A's log, proven" python3 - "$T/last.out" "$OA" "$T/fork.out" <<'END'
import json, sys
r = json.load(open(sys.argv[1]))
e = json.loads(open(sys.argv[3]).read())
assert r['ok'] is True, r
assert [f['log'] for f in r['forks']] == [sys.argv[2]], r
assert r['forks'][0]['ours'] == e['ours'] and r['forks'][0]['theirs'] == e['theirs'], r
assert r['forks'][0]['proven'] is True and 'proof' not in r['forks'][0], r   # one size: no proof needed
END
check "... and says so on stderr" grep -q "fork" "$T/last.err"
check_exit 0 "chain-verify --accept-forks B: 0, the evidence still in the report" chain-verify --accept-forks "$B"
check "... which it says" grep -q '"forks":\[{"log":"test.example/node-a"' "$T/last.out"
check_exit 0 "chain-proof fork writes the evidence B holds" chain-proof -L "$B" fork
cp "$T/last.out" "$T/evidence"
check "... one JSON line" test "$(wc -l <"$T/evidence")" -eq 1
check_exit 2 "chain-verify --trust A's key alone: the evidence file proves a fork" \
	chain-verify --trust "$A/keys/node.pub" "$T/evidence"
check "... of A's log" grep -q '"proven":true,"log":"test.example/node-a"' "$T/last.out"
check_exit 1 "... and not with B's key only" chain-verify --trust "$B/keys/node.pub" "$T/evidence"
check_exit 2 "the same fork offered again: exit 2 again" chain-import -L "$B" "$T/fork"
check "... and the evidence is held once" sh -c "chain-verify --accept-forks '$B' 2>/dev/null | python3 -c 'import json,sys; assert len(json.load(sys.stdin)[\"forks\"]) == 1'"
check "a bundle read from a pipe verifies" sh -c "chain-export -L '$A' | chain-verify --trust '$A/keys/node.pub' /dev/stdin | grep -q '\"ok\":true'"
notes 1 after | chain-append -q -L "$A" >/dev/null
chain-proof -L "$B" --log "$OA" checkpoint --raw >"$T/held"
check_exit 0 "A's own next entries still import into B" \
	sh -c "chain-export -L '$A' --since '$T/held' | chain-import -L '$B'"
check "... from 10 to 11" summary "$T/last.out" "$OA" 10 11 1

# --- B's own log in a bundle from elsewhere ----------------------------------
check "A takes B's log" chain-import -L "$A" "$T/own"
notes 2 more | chain-append -q -L "$A" >/dev/null      # A at 13
chain-export -L "$A" -o "$T/afull"                       # A's log and B's
chain-log -L "$A" --log "$OA" >"$T/a.log"
check_exit 0 "A's full bundle, which holds B's own log, goes into B" chain-import -L "$B" "$T/afull"
check "... A's log taken from 11 to 13, B's own log checked and nothing added" \
	python3 - "$T/last.out" "$OA" "$OB" <<'END'
import json, sys
got = {s['log']: (s['from'], s['to'], s['entries']) for s in map(json.loads, open(sys.argv[1]))}
assert got == {sys.argv[2]: (11, 13, 2), sys.argv[3]: (2, 2, 0)}, got
END

cp -a "$B" "$T/Bold"                                     # a file copy of B, then B goes on
notes 3 later | chain-append -q -L "$B" >/dev/null       # B at 5
chain-export -L "$B" -o "$T/bnew"
bo=$(snapshot "$T/Bold")
check_exit 65 "a bundle with more of B's log than an old copy of B holds: refused there" \
	chain-import -L "$T/Bold" "$T/bnew"
check "... saying the copy lacks entries it signed" grep -q "up to 5 entries, beyond the 2 held here" "$T/last.err"
check "... and the copy is unchanged" test "$bo" = "$(snapshot "$T/Bold")"
append_one() { notes 1 "$2" | chain-append -L "$1"; }
check_exit 75 "... and appends nothing, which would fork B's log" append_one "$T/Bold" fork
check "... saying it is being restored" grep -q "being restored" "$T/last.err"
check_exit 0 "chain-import --restore takes B's log from the bundle" chain-import --restore -L "$T/Bold" "$T/bnew"
check "... the restore is complete (B has no peers)" grep -q '"restore":"test.example/node-b","size":5,"floor":5,"complete":true' "$T/last.out"
check "... B's log is whole again" sh -c "chain-log -L '$B' --log '$OB' >'$T/b1' && chain-log -L '$T/Bold' --log '$OB' >'$T/b2' && cmp '$T/b1' '$T/b2'"
check_exit 0 "... and it appends again" append_one "$T/Bold" again
check "... at 5" grep -q '"leaf_index":5,' "$T/last.out"
check_exit 0 "... and verifies (the copy holds B's evidence of A's fork)" chain-verify --accept-forks "$T/Bold"

# A ledger lost whole: re-created around a backup of B's keys, then restored from a bundle.
cp -a "$B/keys" "$T/Bkeys"
check_exit 0 "chain-init --restore KEYS re-creates B's ledger around its keys" \
	chain-init --restore "$T/Bkeys" "$T/Bnew"
check "... named after the key, and restoring" grep -q '"origin":"test.example/node-b".*"restoring":true' "$T/last.out"
check "... with B's keys" cmp "$B/keys/node.key" "$T/Bnew/keys/node.key"
check_exit 75 "... which appends nothing before the restore" append_one "$T/Bnew" early
check_exit 73 "chain-init --restore refuses a directory that holds a ledger" chain-init --restore "$T/Bkeys" "$T/Bnew"
cp "$B/trust/peers" "$T/Bnew/trust/peers"
check_exit 0 "chain-import --restore of B's full bundle" chain-import --restore -L "$T/Bnew" "$T/bnew"
check "... B's log and A's are back" sh -c "chain-log -L '$T/Bnew' --log '$OB' | cmp - '$T/b1' &&
	chain-log -L '$T/Bnew' --log '$OA' | cmp - '$T/a.log' && test \$(wc -l <'$T/a.log') -eq 13"
check_exit 0 "... the restored ledger appends" append_one "$T/Bnew" restored
check "... at 5" grep -q '"leaf_index":5,' "$T/last.out"
check_exit 0 "... and verifies" chain-verify "$T/Bnew"
# Encrypted keys stay encrypted, and need their passphrase.
cp -a "$T/Bnew" "$T/Benc"
(umask 077 && echo 'correct horse battery staple' >"$T/pass" && echo 'wrong' >"$T/wrong")
CHOBO_PASSPHRASE_FILE=$T/pass chain-key encrypt -L "$T/Benc" >/dev/null 2>&1
check_exit 77 "chain-init --restore with the wrong passphrase" \
	env CHOBO_PASSPHRASE_FILE="$T/wrong" chain-init --restore "$T/Benc/keys" "$T/Benc2"
check "... creates nothing" test ! -e "$T/Benc2"
check_exit 0 "chain-init --restore around encrypted keys, with their passphrase" \
	env CHOBO_PASSPHRASE_FILE="$T/pass" chain-init --restore "$T/Benc/keys" "$T/Benc2"
check "... which stay encrypted" cmp "$T/Benc/keys/node.key" "$T/Benc2/keys/node.key"
check_exit 64 "chain-init --restore with --origin is a usage error" \
	chain-init --restore "$T/Bkeys" --origin "$OB" "$T/Bother"
# A node with peers: the bundle alone does not end its restore.
chain-init -q --restore "$T/Bkeys" "$T/Bpeer" >/dev/null
cp "$B/trust/peers" "$T/Bpeer/trust/peers"
echo "peer = a ssh://127.0.0.1:9" >>"$T/Bpeer/chobo.conf"
check_exit 0 "chain-import --restore into a node with peers" chain-import --restore -L "$T/Bpeer" "$T/bnew"
check "... takes the log, but the restore is not complete" grep -q '"size":5,"floor":5,"complete":false' "$T/last.out"
check_exit 75 "... and appending waits for chain-sync --restore" append_one "$T/Bpeer" early
check_exit 66 "chain-proof fork on a ledger without fork evidence" chain-proof -L "$T/Bpeer" fork

# --- forks across two sizes prove themselves ---------------------------------
# X's log, and X2 with X's keys and first 4 entries; Y and Z hold one, then meet the other.
OX=test.example/node-x
new_ledger "$T/X" "$OX"
for n in Y Z; do new_ledger "$T/$n" "test.example/node-$n"; cat "$T/X/keys/node.pub" >>"$T/$n/trust/peers"; done
notes 4 x | chain-append -q -L "$T/X" >/dev/null
cp -a "$T/X" "$T/X2"
notes 2 x-later | chain-append -q -L "$T/X" >/dev/null          # X: checkpoints 4, 6
notes 3 x-forged | chain-append -q -L "$T/X2" >/dev/null        # X2: checkpoints 4, 7
chain-export -L "$T/X" -o "$T/x6"
chain-export -L "$T/X2" -o "$T/x7"
chain-import -q -L "$T/Y" "$T/x6" >/dev/null
chain-import -q -L "$T/Z" "$T/x7" >/dev/null
# evidence FILE OURS THEIRS: the fork event has checkpoints of those sizes and a proof between them.
evidence() {
	python3 - "$@" <<'END'
import json, sys
e = json.loads(open(sys.argv[1]).read().splitlines()[0])
size = lambda note: int(note.split('\n')[1])
assert (size(e['ours']), size(e['theirs'])) == (int(sys.argv[2]), int(sys.argv[3])), e
p = e['proof']
assert (p['old_size'], p['new_size']) == tuple(sorted((int(sys.argv[2]), int(sys.argv[3])))), p
assert len(p['hashes']) > 0 and len(p['old_root']) == 64, p
END
}
check_exit 2 "Y (X at 6) meets X2's longer history: a fork" chain-import -L "$T/Y" "$T/x7"
check "... the evidence: ours at 6, theirs at 7, a proof from X2's tree (the bundle's)" evidence "$T/last.out" 6 7
check_exit 2 "Z (X2 at 7) meets X's shorter one: a fork" chain-import -L "$T/Z" "$T/x6"
check "... the evidence: ours at 7, theirs at 6, a proof from Z's tree" evidence "$T/last.out" 7 6
for n in Y Z; do
	check_exit 2 "chain-verify $n: exit 2, the fork proven" chain-verify "$T/$n"
	check "... proven" grep -q '"proven":true' "$T/last.out"
	chain-proof -L "$T/$n" fork >"$T/$n.fork"
	check_exit 2 "... and $n's evidence file proves it with X's key alone" chain-verify --trust "$T/X/keys/node.pub" "$T/$n.fork"
done
# tamper FILE WHAT: the evidence file altered.
tamper() {
	python3 - "$@" <<'END'
import json, sys
e = json.load(open(sys.argv[1]))
if sys.argv[2] == 'no-proof':
    del e['proof']
elif sys.argv[2] == 'honest-root':      # the proof's old root made the smaller checkpoint's
    import base64
    small = e['ours'] if int(e['ours'].split('\n')[1]) < int(e['theirs'].split('\n')[1]) else e['theirs']
    e['proof']['old_root'] = base64.b64decode(small.split('\n')[2]).hex()
elif sys.argv[2] == 'hash':
    h = e['proof']['hashes'][0]
    e['proof']['hashes'][0] = ('0' if h[0] != '0' else '1') + h[1:]
json.dump(e, sys.stdout)
END
}
for what in no-proof honest-root hash; do
	tamper "$T/Y.fork" "$what" >"$T/Y.$what"
	check_exit 1 "evidence across sizes without its proof, or with it altered ($what): no fork proven" \
		chain-verify --trust "$T/X/keys/node.pub" "$T/Y.$what"
done
check "... saying why" grep -q '"proven":false,"reason":"[^"]' "$T/last.out"
# An honest pair: X's checkpoints at 4 and 6 with X's own consistency proof.
chain-proof -L "$T/X" consistency 4 6 >"$T/c46"
chain-proof -L "$T/X" checkpoint --size 4 --raw >"$T/x4"
python3 - "$T/c46" "$T/x4" "$OX" >"$T/honest" <<'END'
import json, sys
c = json.load(open(sys.argv[1]))
print(json.dumps({"log": sys.argv[3], "ours": open(sys.argv[2]).read(), "theirs": c['checkpoint'],
                  "proof": {k: c[k] for k in ("old_size", "new_size", "old_root", "hashes")}}))
END
check_exit 1 "an honest older and newer checkpoint with their real proof: no fork" \
	chain-verify --trust "$T/X/keys/node.pub" "$T/honest"
check "... the smaller is a prefix of the larger" grep -q "prefix of the larger" "$T/last.out"
done_testing
