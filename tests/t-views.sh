#!/bin/sh
# Views: three nodes receive the same doc.attest entries in different orders
# (their own appends at various times, imports from each other in different
# orders and through relays, entries arriving that sort before ones already
# applied) and print byte-identical core.attestations; the stored views and
# indexes check out.  A view, a type index or a key index changed behind the
# programs' back is reported; so are entry times that decrease within a log,
# and chain-append refuses a clock earlier than its log's last entry.  The
# views an append feeds from its batch in memory are those a rebuild, and
# a node reading the same entries from its store, make.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to read the views and edit the database dumps"
	exit 0
fi

A=$T/A
B=$T/B
C=$T/C
OA=test.example/node-a
OB=test.example/node-b
OC=test.example/node-c
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
new_ledger "$C" "$OC"
for x in "$A" "$B" "$C"; do
	for y in "$A" "$B" "$C"; do
		[ "$x" = "$y" ] || cat "$y/keys/node.pub" >>"$x/trust/peers"
	done
done

H1=$(printf 'deed of plot 17' | sha256sum | cut -c1-64)
H2=$(printf 'certificate 2026-044' | sha256sum | cut -c1-64)
H3=$(printf 'minutes of 1 March' | sha256sum | cut -c1-64)

# attest SHA ISSUER KIND [EXPIRES]: one doc.attest input line, issued at 2026-02-27 (Japan time).
attest() {
	printf '{"type":"doc.attest","body":{"sha256":"%s","issuer":"%s","issued":"2026-02-27T09:00:00+09:00","kind":"%s"%s}}\n' \
		"$1" "$2" "$3" "${4:+,\"expires\":\"$4\"}"
}
# append DIR TIME: append stdin to DIR's log at TIME.
append() {
	CHOBO_NOW=$2 chain-append -q -L "$1" >/dev/null
}
# copy FROM TO [ORIGIN]: FROM's bundle (of ORIGIN's log, or all of FROM's logs) imported by TO.
copy() {
	chain-export -L "$1" ${3:+--log "$3"} -o "$T/bundle" && chain-import -q -L "$2" "$T/bundle" >/dev/null
}

rc=0
{ attest "$H1" registry.a deed; attest "$H2" registry.a certificate 2027-03-01T00:00:00+09:00; } |
	append "$A" 2026-03-01T10:00:00Z || rc=1
attest "$H1" registry.b deed | append "$B" 2026-03-01T09:00:00Z || rc=1
{ attest "$H2" registry.c certificate; echo '{"type":"note","body":{"text":"not an attestation"}}'; } |
	append "$C" 2026-03-01T11:00:00Z || rc=1
check "three nodes append their own attestations at 09:00, 10:00 and 11:00" test "$rc" -eq 0

# Round 1: B takes A's (later than its own: applied on top); C takes A's
# (earlier than its own: the view is rebuilt); A takes C's.
rc=0
copy "$A" "$B" "$OA" || rc=1
copy "$A" "$C" "$OA" || rc=1
copy "$C" "$A" "$OC" || rc=1
check "round 1 of imports: A to B, A to C, C to A" test "$rc" -eq 0

# More local appends; A and B at the same second (the origin breaks the tie).
rc=0
attest "$H1" 'city \"hachioji\" 八王子市\t' 'deed (renewed)' | append "$A" 2026-03-01T12:00:00Z || rc=1
attest "$H3" registry.b minutes | append "$B" 2026-03-01T12:00:00Z || rc=1
attest "$H1" registry.c deed 2026-12-31T23:59:59Z | append "$C" 2026-03-02T00:00:00Z || rc=1
check "more local appends: A and B at 12:00, C the next day" test "$rc" -eq 0

# Round 2, in other orders, some through relays: B's entries at 09:00 reach
# A and C after later ones were applied; C gets B's log from A.
rc=0
copy "$B" "$A" "$OB" || rc=1
copy "$C" "$B" "$OC" || rc=1
chain-proof -L "$B" --log "$OA" checkpoint --raw >"$T/held" || rc=1
chain-export -L "$A" --log "$OA" --since "$T/held" -o "$T/inc" && chain-import -q -L "$B" "$T/inc" >/dev/null || rc=1
copy "$A" "$C" "$OB" || rc=1
copy "$A" "$C" "$OA" || rc=1
copy "$C" "$A" "$OC" || rc=1
check "round 2 of imports: B to A, C to B, A's news to B, B's log to C through A, A to C, C to A" \
	test "$rc" -eq 0

for n in A B C; do
	eval "d=\$$n"
	chain-view -L "$d" core.attestations >"$T/view.$n" 2>"$T/view.$n.err"
	chain-view -L "$d" --csv core.attestations >"$T/csv.$n" 2>>"$T/view.$n.err"
	chain-log -L "$d" | LC_ALL=C sort >"$T/entries.$n"
done
check "the three nodes hold the same entries" sh -c "cmp '$T/entries.A' '$T/entries.B' && cmp '$T/entries.A' '$T/entries.C'"
check "... 8 of them" test "$(wc -l <"$T/entries.A")" -eq 8
check "A prints core.attestations" test -s "$T/view.A" -a ! -s "$T/view.A.err"
check "B prints the same view as A, byte for byte" cmp "$T/view.A" "$T/view.B"
check "C prints the same view as A, byte for byte" cmp "$T/view.A" "$T/view.C"
check "... and the same CSV" sh -c "cmp '$T/csv.A' '$T/csv.B' && cmp '$T/csv.A' '$T/csv.C'"

# The view's content: keys in order, each document's attestations in merge order.
cat >"$T/expect.py" <<'END'
import json, sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
assert lines[-1] == '', 'no final newline'
recs = [json.loads(l) for l in lines[:-1]]
h1, h2, h3 = sys.argv[2:5]
assert [r['key'] for r in recs] == sorted([h1, h2, h3]), [r['key'] for r in recs]
v = {r['key']: r['value'] for r in recs}
a, b, c = 'test.example/node-a', 'test.example/node-b', 'test.example/node-c'
# H1: B at 09:00, A at 10:00, A at 12:00, C the next day.
assert [(x['log'], x['index']) for x in v[h1]] == [(b, 0), (a, 0), (a, 2), (c, 2)], v[h1]
assert v[h1][2]['issuer'] == 'city "hachioji" 八王子市\t' and v[h1][2]['kind'] == 'deed (renewed)', v[h1][2]
assert v[h1][3]['expires'] == '2026-12-31T23:59:59Z' and 'expires' not in v[h1][0], v[h1]
# H2: A at 10:00 (expiry in UTC), C at 11:00.
assert [(x['log'], x['index']) for x in v[h2]] == [(a, 1), (c, 0)], v[h2]
assert v[h2][0]['expires'] == '2027-02-28T15:00:00Z', v[h2][0]
assert all(x['issued'] == '2026-02-27T00:00:00Z' for x in v[h1] + v[h2] + v[h3])
assert [(x['log'], x['index'], x['issuer'], x['kind']) for x in v[h3]] == [(b, 1, 'registry.b', 'minutes')]
for x in v[h1] + v[h2] + v[h3]:
    assert list(x)[:6] == ['log', 'index', 'leaf_hash', 'issuer', 'kind', 'issued'], list(x)
    assert len(x['leaf_hash']) == 64
# Compact: no blanks outside strings.
for l in lines[:-1]:
    assert json.dumps(json.loads(l), ensure_ascii=False, separators=(',', ':')) == l, l
END
check "the view lists each document's attestations in merge order (time, origin, index)" \
	python3 "$T/expect.py" "$T/view.A" "$H1" "$H2" "$H3"
# Each leaf hash is the entry's, as chain-log prints it.
chain-view -L "$A" core.attestations "$H1" >"$T/h1"
check "chain-view VIEW KEY prints the key's value alone" \
	sh -c "grep -q '^\[{\"log\":\"$OB\",\"index\":0,' '$T/h1' && test \$(wc -l <'$T/h1') -eq 1"
check_exit 66 "chain-view of an absent key exits 66" chain-view -L "$A" core.attestations "$(printf x | sha256sum | cut -c1-64)"
check_exit 64 "chain-view of an unknown view exits 64" chain-view -L "$A" core.nosuch
check_exit 0 "chain-view --list" chain-view --list
check "... names core.attestations and its type" grep -q '^{"view":"core.attestations","service":"core","types":\["doc.attest"\],' "$T/last.out"

nviews=$(chain-view --list | wc -l)
for n in A B C; do
	eval "d=\$$n"
	check_exit 0 "chain-verify --views --index on $n" chain-verify --views --index "$d"
	check "... checked every registered view ($nviews)" grep -q "\"views\":$nviews" "$T/last.out"
done

# --- changed behind the programs' back -------------------------------------
have_db_tools=yes
for tool in db5.3_dump db5.3_load; do
	command -v "$tool" >/dev/null 2>&1 || have_db_tools=no
done
cat >"$T/edit.py" <<'END'
# edit.py IN OUT WHAT [ARGS]: edit a db5.3_dump text (format=bytevalue).
#   value: flip one bit of the first record's value (in its middle)
#   key: flip one bit of the last byte of the first record's key
#   time ORIGIN INDEX TIME: set the time of that stored entry
import sys
src, out, what = sys.argv[1:4]
lines = open(src).read().split('\n')
start = lines.index('HEADER=END') + 1
if what in ('value', 'key'):
    at = start + (1 if what == 'value' else 0)
    b = bytearray.fromhex(lines[at].strip())
    b[len(b) // 2 if what == 'value' else -1] ^= 1
    lines[at] = ' ' + b.hex()
else:
    origin, index, time = sys.argv[4:7]
    head = ('{"log":"%s","index":%s,"time":"' % (origin, index)).encode()
    for at in range(start + 1, lines.index('DATA=END'), 2):
        b = bytes.fromhex(lines[at].strip())
        if b.startswith(head):
            lines[at] = ' ' + (head + time.encode() + b[len(head) + len(time):]).hex()
            break
    else:
        sys.exit('no such entry')
open(out, 'w').write('\n'.join(lines))
END
# tampered NAME TABLE WHAT [ARGS]: a copy of A, named NAME, with db/TABLE.db edited.
tampered() {
	name=$1 table=$2
	shift 2
	rm -rf "$T/$name" "$T/load.db"
	cp -a "$A" "$T/$name" &&
		db5.3_dump -f "$T/$table.dump" "$A/db/$table.db" &&
		python3 "$T/edit.py" "$T/$table.dump" "$T/$table.edit" "$@" &&
		db5.3_load -f "$T/$table.edit" "$T/load.db" &&
		cp "$T/load.db" "$T/$name/db/$table.db"
}
# reason_has PATTERN: the problem chain-verify reported last matches PATTERN (grep).
reason_has() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["problem"]["reason"])' "$T/last.out" |
		grep -q "$1"
}
# problem_at ORIGIN INDEX: ... and it is at that log's entry INDEX.
problem_at() {
	python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["problem"]; sys.exit(not (p["log"], p["where"], p["index"]) == (sys.argv[2], "entry", int(sys.argv[3])))' "$T/last.out" "$1" "$2"
}

if [ "$have_db_tools" = no ]; then
	i=0
	while [ "$i" -lt 19 ]; do
		i=$((i + 1))
		echo "ok $((tap_n + i)) # SKIP db5.3_dump and db5.3_load are not installed"
	done
	tap_n=$((tap_n + 19))
else
	rm -rf "$T/reloaded"
	cp -a "$A" "$T/reloaded"
	for table in views types keys; do
		db5.3_dump -f "$T/$table.dump" "$A/db/$table.db" && rm -f "$T/load.db" &&
			db5.3_load -f "$T/$table.dump" "$T/load.db" && cp "$T/load.db" "$T/reloaded/db/$table.db"
	done
	check_exit 0 "control: views.db, types.db and keys.db dumped and reloaded unchanged verify" \
		chain-verify --views --index "$T/reloaded"

	check "a copy of A with one bit of a view's value flipped" tampered views views value
	check_exit 0 "... passes chain-verify without --views (views are caches)" chain-verify "$T/views"
	check_exit 1 "... chain-verify --views reports it" chain-verify --views "$T/views"
	check "... naming the view and the key" reason_has '^view core.attestations: key "[0-9a-f]*" differs from the rebuilt view$'

	check "a copy of A with a time in the type index changed" tampered types types value
	check_exit 1 "... chain-verify --index reports it" chain-verify --index "$T/types"
	check "... as the type index" reason_has '^type index differs from the entries at doc.attest'

	check "a copy of A with a key of the key index changed" tampered keys keys key
	check_exit 1 "... chain-verify --index reports it" chain-verify --index "$T/keys"
	check "... as the key index" reason_has '^key index differs from the entries at doc.attest'

	# A's entry 2 (12:00) is made earlier than entry 1 (10:00).
	check "a copy of A whose entry 2 is stamped 09:30, before entry 1" \
		tampered early entries time "$OA" 2 2026-03-01T09:30:00Z
	check_exit 1 "... chain-verify reports it" chain-verify "$T/early"
	check "... at entry 2" problem_at "$OA" 2
	check "... as a time earlier than the previous entry's" \
		reason_has "^entry time earlier than the previous entry's (2026-03-01T09:30:00Z < 2026-03-01T10:00:00Z)$"
	chain-export -L "$T/early" --log "$OA" -o "$T/early.bundle" 2>/dev/null
	check_exit 1 "... and so does chain-verify of its bundle" chain-verify --trust "$A/keys/node.pub" "$T/early.bundle"
	check "... at entry 2" problem_at "$OA" 2
	check "... as a time earlier than the previous entry's" reason_has "^entry time earlier than the previous entry's"
	check_exit 65 "... which chain-import refuses" chain-import -L "$B" "$T/early.bundle"
fi

# --- the clock rule ---------------------------------------------------------
before=$(snapshot "$A")
echo '{"type":"note","body":{"text":"too early"}}' >"$T/note.jsonl"
check_exit 75 "chain-append with a clock earlier than the log's last entry exits 75" \
	env CHOBO_NOW=2026-03-01T11:59:59Z chain-append -L "$A" "$T/note.jsonl"
check "... saying why" grep -q "the clock reads 2026-03-01T11:59:59Z, earlier than the log's last entry (2026-03-01T12:00:00Z).*nothing was appended" "$T/last.err"
check "... and nothing was appended" test "$before" = "$(snapshot "$A")"
check_exit 0 "the same second as the last entry is accepted" \
	env CHOBO_NOW=2026-03-01T12:00:00Z chain-append -L "$A" "$T/note.jsonl"
check_exit 0 "A still verifies, with its views and indexes" chain-verify --views --index "$A"

# --- views fed from the batch ------------------------------------------------
# An append gives the views its batch from memory; a view that must be
# rebuilt, and an import, read the store.  Mixed batches that touch every
# service's views, with entries that depend on earlier ones of the same
# batch (a need on the site and item posted with it, a spend from accounts
# opened and credited in it, equipment of a member registered in it, an
# application to a posting of it), must leave what a rebuild makes
# (chain-verify --views) and what a node that takes the same entries by
# import (its views read from its store) prints, byte for byte.
D=$T/D
E=$T/E
F=$T/F
OD=test.example/node-d
OF=test.example/node-f
new_ledger "$D" "$OD"
new_ledger "$E" test.example/node-e
new_ledger "$F" "$OF"
for x in "$D" "$E"; do
	for y in "$D" "$E" "$F"; do
		[ "$x" = "$y" ] || cat "$y/keys/node.pub" >>"$x/trust/peers"
	done
done
P=p-00000000000000000000000000000001
V=p-00000000000000000000000000000009
{
	echo '{"type":"supply.item","body":{"code":"rice-pack","name":"パックご飯","category":"food","unit":"食"}}'
	echo '{"type":"supply.site","body":{"code":"S-101","name":"第一小学校","municipality":"八王子市","role":"shelter","open":true}}'
	echo '{"type":"supply.need","body":{"site":"S-101","item":"rice-pack","quantity":50,"unit":"食"}}'
	echo '{"type":"points.scheme","body":{"scheme":"vb","yen_per_point":1}}'
	echo '{"type":"points.open","body":{"scheme":"vb","holder":"m-1","kind":"member"}}'
	echo '{"type":"points.open","body":{"scheme":"vb","holder":"shop-1","kind":"shop"}}'
	echo '{"type":"points.credit","body":{"scheme":"vb","holder":"m-1","points":100,"ref":"c-1"}}'
	echo '{"type":"points.debit","body":{"scheme":"vb","holder":"m-1","points":30,"ref":"d-1","shop":"shop-1"}}'
	echo "{\"type\":\"eco.member\",\"body\":{\"member\":\"$P\",\"kind\":\"household\",\"home\":\"$OD\",\"joined\":\"2025-04-01\"}}"
	echo "{\"type\":\"eco.equipment\",\"body\":{\"code\":\"PV-1\",\"member\":\"$P\",\"kind\":\"solar\",\"capacity_w\":3000,\"id_hash\":\"$H3\",\"monitoring_from\":\"2025-04-01\",\"other_scheme\":false}}"
	attest "$H1" registry.d deed
	echo '{"type":"note","body":{"text":"between the services"}}'
	attest "$H1" registry.d 'deed (copy)'
} >"$T/mixed1.jsonl"
{
	echo "{\"type\":\"volunteer.volunteer\",\"body\":{\"volunteer\":\"$V\",\"home\":\"$OD\",\"fy\":2025}}"
	echo '{"type":"volunteer.posting","body":{"posting":"P-1","host":"H-1","kind":"facility","task":"配膳","district":"八王子","from":"2025-06-02T09:00:00+09:00","to":"2025-06-02T12:00:00+09:00","people":2}}'
	echo "{\"type\":\"volunteer.application\",\"body\":{\"posting\":\"P-1\",\"volunteer\":\"$V\"}}"
	echo '{"type":"points.credit","body":{"scheme":"vb","holder":"m-1","points":50,"ref":"c-2"}}'
	echo '{"type":"points.debit","body":{"scheme":"vb","holder":"m-1","points":20,"ref":"d-2","shop":"shop-1"}}'
	echo '{"type":"supply.need","body":{"site":"S-101","item":"rice-pack","quantity":7,"unit":"食"}}'
} >"$T/mixed2.jsonl"
check_exit 0 "a batch of 13 entries for every service but volunteer, some depending on earlier ones in it" \
	env CHOBO_NOW=2025-06-01T09:00:00Z chain-append -L "$D" "$T/mixed1.jsonl"
NOTE=$(sed -n '12s/.*"leaf_hash":"\([0-9a-f]*\)".*/\1/p' "$T/last.out")
check_exit 0 "a second batch: volunteers, points and supply, depending on the first and on each other" \
	env CHOBO_NOW=2025-06-01T10:00:00Z chain-append -L "$D" "$T/mixed2.jsonl"
check_exit 0 "... the views are what a rebuild makes" chain-verify --views --index "$D"
check "... every spend counted: 150 credited, 50 spent" sh -c \
	"chain-view -L '$D' points.accounts acct/vb/m-1 | grep -q '\"balance\":100,\"credited\":150,\"debited\":50,'"
# F's entry sorts before D's: D's views are rebuilt from the store, and the next batch comes on top.
attest "$H2" registry.f certificate | append "$F" 2025-06-01T08:00:00Z
check "an earlier entry of F imported into D (its views rebuilt from the store)" copy "$F" "$D"
{
	printf '{"type":"revoke","body":{"ref":"%s","reason":"error"}}\n' "$NOTE"
	attest "$H2" registry.d certificate
	echo '{"type":"points.credit","body":{"scheme":"vb","holder":"shop-1","points":5,"ref":"c-3"}}'
} >"$T/mixed3.jsonl"
check_exit 0 "a third batch after the rebuild: a revocation of the first batch's note, an attestation, a credit" \
	env CHOBO_NOW=2025-06-01T11:00:00Z chain-append -L "$D" "$T/mixed3.jsonl"
check_exit 0 "... the views are what a rebuild makes" chain-verify --views --index "$D"
rc=0
copy "$D" "$E" "$OD" || rc=1
copy "$F" "$E" "$OF" || rc=1
check "E takes D's and F's logs by import" test "$rc" -eq 0
differ=
for v in $(chain-view --list | sed 's/^{"view":"\([^"]*\)".*/\1/'); do
	chain-view -L "$D" "$v" >"$T/d.view" && chain-view -L "$E" "$v" >"$T/e.view" &&
		test -s "$T/d.view" && cmp -s "$T/d.view" "$T/e.view" || differ="$differ $v"
done
check "every view on D (fed from its batches) is E's (read from its store), byte for byte, none empty${differ:+ (not:$differ)}" \
	test -z "$differ"
check "... H1's two attestations of the first batch are there, and the revocation of its note" sh -c \
	"chain-view -L '$D' core.attestations '$H1' | grep -o '\"issuer\":\"registry.d\"' | wc -l | grep -qx 2 &&
	 chain-view -L '$D' core.revocations | grep -q '$NOTE'"

done_testing
