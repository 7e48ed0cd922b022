#!/bin/sh
# Volunteers on two nodes: A (Inagi, the volunteers' home node) and B (a
# facility's node), which exchange their logs with chain-sync over sshd on
# loopback (as bundles where sshd cannot run).  The whole story: registration, the certificate drawn
# and read back through zbarimg (PNG, and PDF via pdftoppm), checked with
# cert-check offline and with -L, a posting on B, application, assignment,
# start (with the certificate checked) and end on B, report, approval on A
# only, points granted, spent at a shop and the shop settled.  Then the
# points rules, the certificate rules, privacy, and --dry-run.
#
# A's rules (chobo.conf): 100 points an hour, at most 2 units a day, at
# most 500 points in a fiscal year, no carry-over.  An activity counts on
# the JST day and in the fiscal year in which it ends: one from 23:00 JST on
# March 31 to 01:00 on April 1 counts in the new fiscal year.
. "${top_srcdir:-.}/tests/lib.sh"
# Fontconfig and pango keep caches for the life of the process (certify draws with them).
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

A=$T/inagi
B=$T/facility
OA=tama.example/inagi
OB=tama.example/yanokuchi-care
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$B/keys/node.pub" "$B/keys/witness.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" "$A/keys/witness.pub" >>"$B/trust/peers"
printf 'volunteer.cap_fy = 500\nvolunteer.points_per_unit = 100\n' >>"$A/chobo.conf"
count() { chain-log -L "$1" | wc -l; }
copy() {
	if [ "$1" = "$A" ]; then o=$OA; else o=$OB; fi
	chain-export -L "$1" --log "$o" -o "$T/bundle" && chain-import -q -L "$2" "$T/bundle" >/dev/null
}
# A real chain-sync between A and B (each its own sshd on loopback) when this machine can run one;
# else the same logs carried as bundles (chain-export, chain-import).
. "$top_srcdir/tests/sshd-nodes.sh"
how=bundles
if [ -z "$( (sshd_nodes_require; trap - EXIT) 2>&1)" ] && command -v chain-sync >/dev/null 2>&1; then
	sshd_nodes_require
	how=chain-sync
	base=$(sshd_pick_base)
	SSHC="ssh -F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o LogLevel=ERROR -o ConnectTimeout=5"
	mkdir -p "$T/sA" "$T/sB"
	sshd_client_key "$T/sA/client"
	sshd_client_key "$T/sB/client"
	echo "restrict,command=\"$(command -v chain-sync) --serve -L $A\" $(cat "$T/sB/client.pub")" >"$T/sA/authorized_keys"
	echo "restrict,command=\"$(command -v chain-sync) --serve -L $B\" $(cat "$T/sA/client.pub")" >"$T/sB/authorized_keys"
	echo "peer = facility ssh://root@127.0.0.1:$((base + 2))" >>"$A/chobo.conf"
	echo "peer = inagi ssh://root@127.0.0.1:$((base + 1))" >>"$B/chobo.conf"
	{ sshd_node_start 1 "$T/sA" $((base + 1)) && sshd_node_start 2 "$T/sB" $((base + 2)); } ||
		{ echo "Bail out! sshd did not start"; exit 99; }
	{ sshd_known_hosts 1; sshd_known_hosts 2; } >"$T/known_hosts"
fi
# exchange TIME: each node takes the other's log.
exchange() {
	if [ "$how" = chain-sync ]; then
		CHOBO_NOW=$1 CHOBO_SSH="$SSHC -i $T/sA/client" chain-sync -q -L "$A" >"$T/sync.out" &&
			CHOBO_NOW=$1 CHOBO_SSH="$SSHC -i $T/sB/client" chain-sync -q -L "$B" >>"$T/sync.out" ||
			{ sed 's/^/# /' "$T/sync.out"; return 1; }
	else
		copy "$A" "$B" && copy "$B" "$A"
	fi
}
# vi DIR TIME VERB ARGS...: volunteer-issue at TIME; its output in $T/vi.out, its messages in $T/vi.err.
vi() {
	d=$1 t=$2
	shift 2
	CHOBO_NOW=$t volunteer-issue -L "$d" "$@" >"$T/vi.out" 2>"$T/vi.err"
	_rc=$?
	[ $_rc -eq 0 ] || cat "$T/vi.err" >&2
	return $_rc
}
# json FIELD: FIELD of the last line of $T/vi.out.
json() { tail -n 1 "$T/vi.out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

# ------------------------------------------------------------- the story
P=$(CHOBO_NOW=2026-04-20T00:00:00Z chain-private -q -L "$A" add --identifier R-1001 --name '稲城 花子' \
	--mail hanako@example.jp | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "a volunteer registers on A under a pseudonym, with skill tags" \
	vi "$A" 2026-04-20T01:00:00Z register --volunteer "$P" --skills light-bulb,carrying --languages ja,en
check "... for FY2026, on its home node" sh -c "[ \"\$(tail -n1 '$T/vi.out' | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o[\"fy\"], o[\"home\"])')\" = '2026 $OA' ]"
REG=$(json leaf_hash)
n=$(chain-log -L "$A" | wc -l)
check "the same registration again (a sheet re-run) exits 0" \
	vi "$A" 2026-04-20T01:30:00Z register --volunteer "$P" --skills light-bulb,carrying --languages ja,en
check "... appends nothing and names the registration it repeats" sh -c \
	"[ \$(chain-log -L '$A' | wc -l) -eq $n ] && tail -n1 '$T/vi.out' | grep -q '\"result\":\"duplicate\".*\"leaf_hash\":\"$REG\"'"
check "... and so is one with the skill tags in another order" sh -c \
	"CHOBO_NOW=2026-04-20T01:30:00Z volunteer-issue -q -L '$A' register --volunteer '$P' --skills carrying,light-bulb --languages en,ja |
	 grep -q '\"result\":\"duplicate\"' && [ \$(chain-log -L '$A' | wc -l) -eq $n ]"
check_exit 65 "a malformed tag for a registered volunteer is refused by the schema" \
	vi "$A" 2026-04-20T01:30:00Z register --volunteer "$P" --skills 'light-bulb, carrying' --languages ja,en
check "... saying what is wrong with it, not that it differs" sh -c \
	"grep -q -- '--skills must be tags' '$T/vi.err' && ! grep -q 'with another' '$T/vi.err'"
check_exit 65 "the same volunteer and year with other skills is refused" \
	vi "$A" 2026-04-20T01:30:00Z register --volunteer "$P" --skills cooking --languages ja,en
check "... naming what differs" grep -q "volunteer $P's registration for FY2026 is recorded already, as entry .*, with another skills: a volunteer registers once a fiscal year" "$T/vi.err"
printf 'volunteer,skills,languages\n%s,"light-bulb,carrying","ja,en"\n%s,"light-bulb,carrying","ja,en"\n' "$P" "$P" >"$T/twice.csv"
check_exit 65 "a volunteer on two rows of one sheet is refused, though the first repeats the registration" vi "$A" 2026-04-20T01:30:00Z register --csv "$T/twice.csv"
check "... naming both rows" grep -q "twice.csv:3: volunteer $P's registration for FY2026 is on .*twice.csv:2 too" "$T/vi.err"
check "... and nothing was appended" test "$(chain-log -L "$A" | wc -l)" -eq "$n"
check "the certificate is recorded and drawn in the terminal, as PNG, SVG and a card PDF" \
	vi "$A" 2026-04-20T02:00:00Z certify --volunteer "$P" --term --png "$T/c.png" --svg "$T/c.svg" --pdf "$T/c.pdf"
CERT=$(json payload)
LEAF=$(json leaf_hash)
check "... the terminal drawing is half blocks, with the card's text" sh -c "grep -q '▀' '$T/vi.out' && grep -q 'ボランティア登録証' '$T/vi.out'"
check "... the SVG is an SVG" grep -q '<svg' "$T/c.svg"
if have zbarimg && have pdftoppm && have pdftotext; then
	check "... zbarimg reads the payload back from the PNG" sh -c "[ \"\$(zbarimg --nodbus --raw -q '$T/c.png')\" = '$CERT' ]"
	check "... and from the PDF, through pdftoppm" sh -c "pdftoppm -r 300 -png '$T/c.pdf' '$T/page' &&
		[ \"\$(zbarimg --nodbus --raw -q '$T/page-1.png')\" = '$CERT' ]"
	check "... the PDF is a card (85.6 x 54 mm) with the Japanese text" sh -c "
		pdftotext '$T/c.pdf' - | grep -q 'ボランティア登録証' &&
		pdfinfo '$T/c.pdf' 2>/dev/null | grep -q 'Page size: *242.6[0-9]* x 153.0'"
	check "... pdftotext gives the pseudonym back whole, on one line" sh -c "pdftotext -enc UTF-8 '$T/c.pdf' - | grep -qxF '$P'"
	# One with ff in it, which a font may draw as one glyph: IDs are keyed hashes, and of 200 about 20 have ff.
	C=$T/cards
	new_ledger "$C" tama.example/cards
	FF=$(people "$C" F 200 | grep ff | head -n 1)
	check "a card for a pseudonym with ff in it" sh -c "[ -n '$FF' ] &&
		CHOBO_NOW=2026-04-20T01:00:00Z volunteer-issue -q -L '$C' register --volunteer '$FF' --skills carrying --languages ja >/dev/null &&
		CHOBO_NOW=2026-04-20T02:00:00Z volunteer-issue -q -L '$C' certify --volunteer '$FF' --pdf '$T/ff.pdf' >/dev/null"
	check "... pdftotext gives it back whole, on one line, every f a letter" sh -c "pdftotext -enc UTF-8 '$T/ff.pdf' - | grep -qxF '$FF'"
else
	for i in 1 2 3 4 5 6; do skip "certificate through zbarimg" "no zbarimg, pdftoppm or pdftotext"; done
fi
check_exit 0 "a facility checks it offline with A's key: valid" cert-check --trust "$A/keys/node.pub" "$CERT"
check "... cert-check says it is a volunteer registration certificate, for whom and which year" python3 -c "
import json, sys
v = json.load(open('$T/last.out'))
assert v['kind'] == 'volunteer.certificate' and 'volunteer registration certificate' in v['what'], v
assert v['fields'] == {'volunteer': '$P', 'fy': '2026'}, v
assert (v['not_before'], v['not_after']) == ('2026-03-31T15:00:00Z', '2027-03-31T14:59:59Z'), v   # FY2026 in JST"
# A card valid from April 1 to March 31 is valid in Japan's days: from 00:00 JST to 24:00 JST.
check_exit 0 "... valid at noon JST on March 31, its last day" \
	cert-check --trust "$A/keys/node.pub" --at 2027-03-31T12:00:00+09:00 "$CERT"
check_exit 0 "... valid at 08:00 JST on April 1, its first day" \
	cert-check --trust "$A/keys/node.pub" --at 2026-04-01T08:00:00+09:00 "$CERT"
check_exit 1 "... expired at 00:00 JST on April 1 of the next year" \
	cert-check --trust "$A/keys/node.pub" --at 2027-04-01T00:00:00+09:00 "$CERT"
check "... the message names March 31, a JST day" grep -q 'valid until 2027-03-31 (JST)' "$T/last.out"
check_exit 1 "... not yet valid at 23:59:59 JST on March 31 before" \
	cert-check --trust "$A/keys/node.pub" --at 2026-03-31T23:59:59+09:00 "$CERT"
check "... the message names April 1" grep -q 'valid from 2026-04-01 (JST)' "$T/last.out"
check "A and B exchange their logs ($how)" exchange 2026-04-20T03:00:00Z
check_exit 0 "and with -L B (A's log synced): valid, recorded, not revoked" cert-check -L "$B" "$CERT"
check "... recorded true, revoked false, expires at the end of March 31 JST" python3 -c "
import json
v = json.load(open('$T/last.out'))
assert v['recorded'] is True and v['revoked'] is False and v['expires'] == '2027-03-31T14:59:59Z', v"
check_exit 0 "... and with -L B at 23:59 JST on March 31: still valid" \
	cert-check -L "$B" --at 2027-03-31T23:59:00+09:00 "$CERT"
check_exit 1 "... expired with -L B at 00:00 JST on April 1" cert-check -L "$B" --at 2027-04-01T00:00:00+09:00 "$CERT"

check "B posts a request of the facility (district only)" vi "$B" 2026-05-01T00:00:00Z post --posting Y-1 --host F-YC \
	--kind light-bulb --task '共用廊下の電球交換' --district 矢野口 --from 2026-05-10T00:00:00Z --to 2026-05-10T06:00:00Z --people 2
check "the volunteer applies" vi "$B" 2026-05-02T00:00:00Z apply --posting Y-1 --volunteer "$P"
check "B assigns the volunteer" vi "$B" 2026-05-03T00:00:00Z assign --posting Y-1 --volunteer "$P"
check_exit 65 "an assignment without an application is refused" \
	vi "$B" 2026-05-03T00:01:00Z assign --posting Y-1 --volunteer p-00000000000000000000000000000042
check "the host starts the activity on B with the scanned certificate" \
	vi "$B" 2026-05-10T00:00:00Z start --activity Y-1.1 --posting Y-1 --volunteer "$P" --certificate "$CERT"
check "... the start records the certificate's reference" sh -c "[ \"\$(tail -n1 '$T/vi.out' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"certificate\"])')\" = '$LEAF' ]"
check_exit 65 "an end confirmed in advance is refused" vi "$B" 2026-05-10T01:00:00Z end --activity Y-1.1 --at 2026-05-10T02:00:00Z
check "the host confirms the end, 2 hours later" vi "$B" 2026-05-10T02:00:00Z end --activity Y-1.1
check "the report" vi "$B" 2026-05-10T03:00:00Z report --activity Y-1.1 --note '3か所交換'

# Sheets and commands run again: what is recorded is a duplicate, named; what differs is refused.
n=$(count "$B")
# again VERB TIME ARGS...: the same command again on B exits 0, says duplicate, and appends nothing.
again() {
	v=$1 t=$2
	shift 2
	vi "$B" "$t" "$v" "$@" && grep -q '"result":"duplicate"' "$T/vi.out" && [ "$(count "$B")" -eq "$n" ]
}
check "the posting again is a duplicate, appending nothing" again post 2026-05-11T00:00:00Z --posting Y-1 --host F-YC \
	--kind light-bulb --task '共用廊下の電球交換' --district 矢野口 --from 2026-05-10T00:00:00Z --to 2026-05-10T06:00:00Z --people 2
check "... naming the entry it repeats" python3 -c "
import json, sys; o = json.loads(open(sys.argv[1]).read())
assert o['leaf_index'] < $n and len(o['leaf_hash']) == 64 and o['posting'] == 'Y-1', o" "$T/vi.out"
check "the application again is a duplicate" again apply 2026-05-11T00:00:00Z --posting Y-1 --volunteer "$P"
check "the assignment again is a duplicate" again assign 2026-05-11T00:00:00Z --posting Y-1 --volunteer "$P"
check "the start again, its time left to now, is a duplicate" again start 2026-05-11T00:00:00Z --activity Y-1.1 \
	--posting Y-1 --volunteer "$P" --certificate "$CERT"
check "the end again, at the time recorded, is a duplicate" again end 2026-05-11T00:00:00Z --activity Y-1.1 \
	--at 2026-05-10T02:00:00Z
check "the report again is a duplicate" again report 2026-05-11T00:00:00Z --activity Y-1.1 --note '3か所交換'
check_exit 65 "the posting's code with other people is refused" vi "$B" 2026-05-11T00:00:00Z post --posting Y-1 \
	--host F-YC --kind light-bulb --task '共用廊下の電球交換' --district 矢野口 --from 2026-05-10T00:00:00Z \
	--to 2026-05-10T06:00:00Z --people 3
check "... naming the posting, its entry and what differs" \
	grep -q "posting Y-1 is recorded already, as entry [0-9]* ([0-9a-f]*), with another people: a posting's code is used once" "$T/vi.err"
check_exit 65 "an end at another time is refused" vi "$B" 2026-05-11T00:00:00Z end --activity Y-1.1 --at 2026-05-10T03:00:00Z
check "... naming the end recorded" grep -q "the end of activity Y-1.1 is recorded already, as entry [0-9]* ([0-9a-f]*), with another at" "$T/vi.err"
check_exit 65 "a report with another note is refused" vi "$B" 2026-05-11T00:00:00Z report --activity Y-1.1 --note 2か所
check "... naming the report recorded" grep -q "the report of activity Y-1.1 is recorded already, as entry [0-9]*" "$T/vi.err"
# Y-2, a standing posting that the points rules below use, added to the sheet that posted Y-1.
printf 'posting,host,kind,task,district,from,to,people\n%s\n%s\n' \
	'Y-1,F-YC,light-bulb,共用廊下の電球交換,矢野口,2026-05-10T00:00:00Z,2026-05-10T06:00:00Z,2' \
	'Y-2,F-YC,carrying,荷物運び,矢野口,2026-06-01T00:00:00Z,2027-05-01T00:00:00Z,1' >"$T/post.csv"
check "a posting sheet with a row added: the old row a duplicate, the new one recorded" sh -c "
	CHOBO_NOW=2026-05-11T00:00:00Z volunteer-issue -L '$B' post --csv '$T/post.csv' >'$T/post.out' &&
	python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert [(o[\"posting\"], o[\"result\"]) for o in r] == [(\"Y-1\", \"duplicate\"), (\"Y-2\", \"recorded\")], r' '$T/post.out' &&
	[ \$(chain-log -L '$B' | wc -l) -eq $((n + 1)) ]"
printf 'posting,volunteer\nY-2,%s\nY-2,%s\n' "$P" "$P" >"$T/apply2.csv"
check_exit 65 "an application on two rows of one sheet is refused" vi "$B" 2026-05-11T00:00:00Z apply --csv "$T/apply2.csv"
check "... naming both rows" grep -q "apply2.csv:3: volunteer $P's application to posting Y-2 is on .*apply2.csv:2 too" "$T/vi.err"
# A blank a spreadsheet cell keeps around a pseudonym: refused before any entry is made, with the ID to write.
nA=$(count "$A") nB=$(count "$B")
printf 'posting,volunteer\nY-2, %s\n' "$P" >"$T/blank.csv"
check_exit 65 "a pseudonym with a space before it in a sheet's cell is refused" vi "$B" 2026-05-11T00:00:00Z apply --csv "$T/blank.csv"
check "... naming the line, the column and the blank, with the ID to write" \
	grep -q "blank.csv:2: volunteer: \" $P\" has a space before it: write \"$P\"" "$T/vi.err"
check "... not in the entry's words" sh -c "! grep -q 'body\.' '$T/vi.err'"
printf 'posting,volunteer\nY-2,%s\343\200\200\n' "$P" >"$T/blank.csv"
check_exit 65 "... and one with an ideographic space (U+3000) after it" vi "$B" 2026-05-11T00:00:00Z apply --csv "$T/blank.csv"
check "... named" grep -q "blank.csv:2: volunteer: \"$P　\" has an ideographic space (U+3000) after it: write \"$P\"" "$T/vi.err"
printf 'volunteer,skills\n%s\t,carrying\n' "$P" >"$T/blank.csv"
check_exit 65 "... and in a register sheet, one with a tab after it, before the points account is opened" \
	vi "$A" 2026-05-11T00:00:00Z register --csv "$T/blank.csv"
tab=$(printf '\t')
check "... named" grep -q "blank.csv:2: volunteer: \"$P$tab\" has a tab after it: write \"$P\"" "$T/vi.err"
check "... not as the points account's holder" sh -c "! grep -q 'points.open' '$T/vi.err'"
check "... and nothing was appended" sh -c "[ \$(chain-log -L '$A' | wc -l) -eq $nA ] && [ \$(chain-log -L '$B' | wc -l) -eq $nB ]"
check_exit 65 "approval on B is refused: points are granted on the home node only" \
	vi "$B" 2026-05-11T00:00:00Z approve --activity Y-1.1
check "... naming the home node" grep -q "home node is $OA" "$T/vi.err"
check "A and B exchange their logs ($how)" exchange 2026-05-11T00:30:00Z
check "A approves: 2 units, 200 points" sh -c "CHOBO_NOW=2026-05-11T01:00:00Z volunteer-issue -L '$A' approve --activity Y-1.1 >'$T/ap.out' &&
	python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert (o[\"units\"], o[\"points\"]) == (2, 200), o' '$T/ap.out'"
check "the approval again is a duplicate: nothing more is granted" sh -c "
	CHOBO_NOW=2026-05-11T02:00:00Z volunteer-issue -L '$A' approve --activity Y-1.1 | grep -q '\"result\":\"duplicate\"'"
check "the balance on A: 200, expiring on March 31" sh -c "CHOBO_NOW=2026-05-12T00:00:00Z volunteer-issue -L '$A' balance --volunteer '$P' |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert o[\"balance\"] == 200 and o[\"lots\"] == [{\"expires\": \"2027-03-31\", \"points\": 200}], o'"
check "events on A the day before the activity: registered, assigned, reminder, granted" sh -c "
	CHOBO_NOW=2026-05-09T03:00:00Z volunteer-issue -L '$A' events >'$T/ev' &&
	python3 -c 'import json,sys; print(\" \".join(json.loads(l)[\"event\"] for l in open(sys.argv[1])))' '$T/ev' >'$T/ev.names' &&
	[ \"\$(cat '$T/ev.names')\" = 'registered assigned reminder granted' ]"
check "... each to the volunteer's pseudonym, the grant with its points" python3 -c "
import json
ev = [json.loads(l) for l in open('$T/ev')]
assert all(e['to'] == ['$P'] for e in ev), ev
assert ev[3]['points'] == 200 and ev[3]['activity'] == 'Y-1.1' and ev[2]['starts'] == '2026-05-10T00:00:00Z', ev"
check "... printed once: the next run prints nothing, and succeeds" sh -c "CHOBO_NOW=2026-05-09T04:00:00Z volunteer-issue -L '$A' events >'$T/ev2' && [ ! -s '$T/ev2' ]"
check "... and so does the run after it" sh -c "CHOBO_NOW=2026-05-09T05:00:00Z volunteer-issue -L '$A' events >'$T/ev3' && [ ! -s '$T/ev3' ]"
check "chobo-mail writes them to the address kept in private/ (mbox on stdout)" sh -c "
	python3 '$top_srcdir/scripts/chobo-mail' -L '$A' --from city@example.jp --stdout '$T/ev' >'$T/mbox' &&
	[ \"\$(grep -c '^To: .*<hanako@example.jp>' '$T/mbox')\" = 4 ] && grep -q '^X-Chobo-Event: granted' '$T/mbox' &&
	grep -q '^ポイント: 200' '$T/mbox'"
check "a shop opens on A" vi "$A" 2026-05-12T00:00:00Z shop --shop S-INAGI-1
n=$(count "$A")
check "spend --dry-run of 150 points at the shop: valid" vi "$A" 2026-05-12T00:30:00Z -n spend --volunteer "$P" --shop S-INAGI-1 --points 150 --ref pos-0001
check "... its line says so, and nothing was appended" sh -c "grep -q '^{\"result\":\"valid\",\"type\":\"points.debit\",\"scheme\":\"volunteer\",\"holder\":\"$P\",\"points\":150,\"ref\":\"pos-0001\",\"shop\":\"S-INAGI-1\"}\$' '$T/vi.out' &&
	grep -q 'every rule passed; nothing was appended (--dry-run)' '$T/vi.err' && test \$(chain-log -L '$A' | wc -l) -eq $n"
check_exit 65 "spend --dry-run of more than the balance is refused, as the spend would be" env CHOBO_NOW=2026-05-12T00:31:00Z \
	volunteer-issue -n -L "$A" spend --volunteer "$P" --shop S-INAGI-1 --points 100000 --ref pos-big
check "the volunteer spends 150 points at the shop" vi "$A" 2026-05-12T01:00:00Z spend --volunteer "$P" --shop S-INAGI-1 --points 150 --ref pos-0001
check "... and its dry run again says duplicate, naming the spend" sh -c "CHOBO_NOW=2026-05-12T01:01:00Z volunteer-issue -n -L '$A' spend --volunteer '$P' --shop S-INAGI-1 --points 150 --ref pos-0001 | grep -q '\"result\":\"duplicate\"'"
check "A and B exchange their logs ($how)" exchange 2026-05-12T01:30:00Z
check_exit 65 "a spend on B, not the home node, is refused" vi "$B" 2026-05-12T02:00:00Z spend --volunteer "$P" --shop S-INAGI-1 --points 10 --ref pos-b
check_exit 64 "a settlement without --ref is a usage error ..." vi "$A" 2026-05-31T00:00:00Z settle --shop S-INAGI-1 --points 150
check "... whose message names the missing --ref" grep -q 'settle needs --ref' "$T/last.err"
check_exit 64 "a spend without --volunteer is a usage error ..." vi "$A" 2026-05-31T00:00:00Z spend --shop S-INAGI-1 --points 1 --ref pos-x
check "... whose message names the missing --volunteer" grep -q 'spend needs --volunteer' "$T/last.err"
check "the shop is settled: 150 points, 150 yen" vi "$A" 2026-05-31T00:00:00Z settle --shop S-INAGI-1 --points 150 --ref settle-2026-05
check "... balances as CSV: the volunteer 50, the shop 0 with 150 yen paid" sh -c "
	CHOBO_NOW=2026-06-01T00:00:00Z volunteer-issue -L '$A' balance --csv >'$T/bal.csv' &&
	grep -q '^volunteer,$P,member,$OA,50,200,150,0,0,0' '$T/bal.csv' &&
	grep -q '^volunteer,S-INAGI-1,shop,$OA,0,0,0,150,150,150' '$T/bal.csv'"
check "A and B exchange their logs ($how)" exchange 2026-06-01T00:00:00Z
check "both nodes print the same history after the exchange ($how)" sh -c "
	volunteer-issue -L '$A' history --volunteer '$P' >'$T/h.a' && volunteer-issue -L '$B' history --volunteer '$P' >'$T/h.b' &&
	cmp '$T/h.a' '$T/h.b' && grep -q '\"state\":\"approved\".*\"points\":200' '$T/h.a'"
check "... the points account is on A's log only" sh -c "! chain-log -L '$B' --log '$OB' | grep -q points.credit"

# ------------------------------------------------------------- points rules
check "the volunteer applies to Y-2 on A" vi "$A" 2026-06-01T00:00:00Z apply --posting Y-2 --volunteer "$P"
check "... and is assigned" vi "$A" 2026-06-01T00:00:00Z assign --posting Y-2 --volunteer "$P"
# Activities of the standing posting Y-2 on later days, started and ended on A (the host may record anywhere).
act() {   # act ID START END [REPORTED-AT]
	vi "$A" "$2" start --activity "$1" --posting Y-2 --volunteer "$P" --certificate "$CERT" &&
		vi "$A" "$3" end --activity "$1" && vi "$A" "${4:-$3}" report --activity "$1"
}
act Y-2.2 2026-06-01T00:00:00Z 2026-06-01T02:00:00Z
act Y-2.3 2026-06-01T03:00:00Z 2026-06-01T04:00:00Z
printf '{"activity":"Y-2.2"}\n{"activity":"Y-2.3"}\n' >"$T/approve.jsonl"
check_exit 65 "both June 1 activities in one batch (JSON Lines): the third unit is refused, nothing appended" \
	vi "$A" 2026-06-02T00:00:00Z approve "$T/approve.jsonl"
check "... named, with the record" grep -q "approve.jsonl:2: at most 2 units a day" "$T/vi.err"
check "two units on June 1 are approved" vi "$A" 2026-06-02T00:00:00Z approve --activity Y-2.2
check_exit 65 "the third unit on that day is refused" vi "$A" 2026-06-02T00:01:00Z approve --activity Y-2.3
check "... at most 2 units a day, named" grep -q "at most 2 units a day" "$T/vi.err"
act Y-2.4 2026-07-01T00:00:00Z 2026-07-01T02:00:00Z
check "the fiscal year's cap is reached exactly: 100 of 200 points granted (500 in FY2026)" sh -c "
	CHOBO_NOW=2026-07-02T00:00:00Z volunteer-issue -L '$A' approve --activity Y-2.4 | grep -q '\"points\":100' &&
	[ \"\$(volunteer-issue -L '$A' history --volunteer '$P' | python3 -c 'import json,sys; print(sum(json.loads(l)[\"points\"] for l in sys.stdin))')\" = 500 ]"
act Y-2.5 2026-08-01T00:00:00Z 2026-08-01T01:00:00Z
check_exit 65 "the next point is refused" vi "$A" 2026-08-02T00:00:00Z approve --activity Y-2.5
check "... at most 500 points in a fiscal year, named" grep -q "at most 500 points in a fiscal year" "$T/vi.err"
act Y-2.6 2027-03-30T00:00:00Z 2027-03-30T02:00:00Z
act Y-2.7 2027-03-31T14:00:00Z 2027-03-31T16:00:00Z
check "on March 31 (23:59:59 JST) FY2026's 350 points are there" sh -c "[ \"\$(CHOBO_NOW=2027-03-31T14:59:59Z volunteer-issue -L '$A' balance --volunteer '$P' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"balance\"])')\" = 350 ]"
check "an activity from 23:00 JST on March 31 to 01:00 on April 1 counts in FY2027: approved" sh -c "
	CHOBO_NOW=2027-04-01T00:00:00Z volunteer-issue -L '$A' approve --activity Y-2.7 | grep -q '\"points\":200'"
check "... no carry-over: on April 1 the 350 are gone; the 200 expire on March 31, 2028" sh -c "CHOBO_NOW=2027-04-01T00:00:00Z volunteer-issue -L '$A' balance --volunteer '$P' |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert o[\"balance\"] == 200 and o[\"expired\"] == 350 and o[\"lots\"] == [{\"expires\": \"2028-03-31\", \"points\": 200}], o'"
check_exit 65 "an FY2026 activity approved in FY2027 is refused: the year has closed" \
	vi "$A" 2027-04-01T00:01:00Z approve --activity Y-2.6
check "... naming the rule" grep -q "points do not carry over" "$T/vi.err"

# ------------------------------------------------------------- certificates
check_exit 65 "the FY2026 certificate is refused at a start in FY2027 (expired)" \
	vi "$A" 2027-04-02T00:00:00Z start --activity Y-2.8 --posting Y-2 --volunteer "$P" --certificate "$CERT"
check_exit 65 "... and so is its leaf hash: the rules hold it expired" \
	vi "$A" 2027-04-02T00:00:00Z start --activity Y-2.8 --posting Y-2 --volunteer "$P" --certificate "$LEAF"
check "... named" grep -q "expired or not yet valid" "$T/vi.err"
check "re-registration for FY2027 and a new certificate" sh -c "
	CHOBO_NOW=2027-04-02T01:00:00Z volunteer-issue -q -L '$A' register --volunteer '$P' --skills light-bulb,carrying,cooking >/dev/null &&
	CHOBO_NOW=2027-04-02T02:00:00Z volunteer-issue -q -L '$A' certify --volunteer '$P' >'$T/c2.out'"
CERT2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload"])' "$T/c2.out")
LEAF2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leaf_hash"])' "$T/c2.out")
check "A revokes it" vi "$A" 2027-04-03T00:00:00Z revoke --certificate "$CERT2" --reason withdrawn
n=$(count "$A")
check "the same revocation again is a duplicate" sh -c \
	"CHOBO_NOW=2027-04-03T00:10:00Z volunteer-issue -q -L '$A' revoke --certificate '$CERT2' --reason withdrawn |
	 grep -q '\"result\":\"duplicate\"' && [ \$(chain-log -L '$A' | wc -l) -eq $n ]"
check_exit 65 "... and one for another reason is refused" vi "$A" 2027-04-03T00:10:00Z revoke --certificate "$CERT2" --reason error
check "... naming the reason that stands" grep -q "already revoked, as withdrawn" "$T/vi.err"
check_exit 1 "cert-check -L A says revoked" cert-check -L "$A" "$CERT2"
n=$(count "$A")
check_exit 65 "a start with the revoked certificate is refused" \
	vi "$A" 2027-04-04T00:00:00Z start --activity Y-2.9 --posting Y-2 --volunteer "$P" --certificate "$CERT2"
check "... named, and nothing was appended" sh -c "grep -q 'certificate $LEAF2 is revoked' '$T/vi.err' && [ \"\$(chain-log -L '$A' | wc -l)\" = $n ]"
check "a host declines an activity: it stays on the ledger, marked declined" sh -c "
	CHOBO_NOW=2027-04-05T00:00:00Z volunteer-issue -q -L '$A' certify --volunteer '$P' >'$T/c3.out' &&
	CHOBO_NOW=2027-04-05T01:00:00Z volunteer-issue -q -L '$A' start --activity Y-2.10 --posting Y-2 --volunteer '$P' \
		--certificate \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"payload\"])' '$T/c3.out')\" >/dev/null &&
	CHOBO_NOW=2027-04-05T01:10:00Z volunteer-issue -q -L '$A' decline --activity Y-2.10 >/dev/null &&
	volunteer-issue -L '$A' history --volunteer '$P' | grep -q '\"activity\":\"Y-2.10\".*\"state\":\"declined\"'"
LEAF3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["leaf_hash"])' "$T/c3.out")
check "a card issued again while the year's other card stands" vi "$A" 2027-04-06T00:00:00Z certify --volunteer "$P"
check "... warns that the other stays valid, with the command that revokes it" \
	grep -q "volunteer $P also holds certificate $(echo "$LEAF3" | cut -c1-16) for FY2027, valid until revoked; if the new card replaces it: cert-revoke -L .* --reason superseded $LEAF3" "$T/vi.err"
check "... and not of the revoked one" sh -c "! grep -q '$(echo "$LEAF2" | cut -c1-16)' '$T/vi.err'"

# ------------------------------------------------------------- points per activity
C=$T/tama
new_ledger "$C" tama.example/tama
printf 'volunteer.unit = activity\nvolunteer.points_per_unit = 300\nvolunteer.carry_over = 150\n' >>"$C/chobo.conf"
Q=$(people "$C" resident 1)
check "with volunteer.unit = activity, a 3-hour activity earns one unit: 300 points" sh -c "
	vc() { t=\$1; shift; CHOBO_NOW=\$t volunteer-issue -q -L '$C' \"\$@\" >'$T/c.out'; } &&
	vc 2026-05-01T00:00:00Z register --volunteer $Q &&
	vc 2026-05-01T00:01:00Z certify --volunteer $Q &&
	leaf=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"leaf_hash\"])' '$T/c.out') &&
	vc 2026-05-01T00:02:00Z post --posting T-1 --host F-T --kind errand --task 買い物 --district 永山 \
		--from 2026-05-02T00:00:00Z --to 2026-05-02T03:00:00Z &&
	vc 2026-05-01T00:03:00Z apply --posting T-1 --volunteer $Q &&
	vc 2026-05-01T00:04:00Z assign --posting T-1 --volunteer $Q &&
	vc 2026-05-02T00:00:00Z start --activity T-1.1 --posting T-1 --volunteer $Q --certificate \$leaf &&
	vc 2026-05-02T03:00:00Z end --activity T-1.1 &&
	vc 2026-05-02T04:00:00Z report --activity T-1.1 &&
	vc 2026-05-03T00:00:00Z approve --activity T-1.1 &&
	python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert (o[\"unit\"], o[\"units\"], o[\"points\"]) == (\"activity\", 1, 300), o' '$T/c.out'"
check "a capped carry-over (volunteer.carry_over = 150): on April 1, 150 of the 300 points carry into FY2027" sh -c "
	CHOBO_NOW=2027-04-01T00:00:00Z volunteer-issue -L '$C' balance --volunteer $Q |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert (o[\"balance\"], o[\"expired\"]) == (150, 150), o' &&
	CHOBO_NOW=2027-04-01T00:00:00Z volunteer-issue -q -L '$C' shop --shop S-T >/dev/null &&
	CHOBO_NOW=2027-04-01T00:01:00Z volunteer-issue -q -L '$C' spend --volunteer $Q --shop S-T --points 150 --ref t-1 >/dev/null &&
	CHOBO_NOW=2027-04-01T00:02:00Z volunteer-issue -L '$C' balance --volunteer $Q |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert (o[\"balance\"], o[\"debited\"], o[\"expired\"], o[\"lots\"]) == (0, 150, 150, []), o'"
for opt in ref shop volunteer; do
	check_exit 64 "a spend whose --$opt is not UTF-8 is a usage error, not out of memory" sh -c "
		set -- --volunteer $Q --shop S-T --points 1 --ref t-utf8 --$opt \"\$(printf 'x\\377')\"
		CHOBO_NOW=2027-04-01T00:03:00Z volunteer-issue -L '$C' spend \"\$@\""
	check "... saying so" grep -q -- "--$opt: not UTF-8 text" "$T/last.err"
done

# ------------------------------------------------------------- activity times and the posting's
E=$T/higashi
new_ledger "$E" tama.example/higashi
R=$(people "$E" resident 1)
leaf_of() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["leaf_hash"])' "$1"; }
check "E: a volunteer registers" vi "$E" 2026-05-01T00:00:00Z register --volunteer "$R"
check "... is certified" vi "$E" 2026-05-01T00:01:00Z certify --volunteer "$R"
ELEAF=$(leaf_of "$T/vi.out")
check "... and assigned to posting W-1, from 09:00 to 10:00 JST on June 1" sh -c "
	CHOBO_NOW=2026-05-01T00:02:00Z volunteer-issue -q -L '$E' post --posting W-1 --host F-W --kind errand --task 買い物 \
		--district 多摩 --from 2026-06-01T00:00:00Z --to 2026-06-01T01:00:00Z --people 1 >/dev/null &&
	CHOBO_NOW=2026-05-01T00:03:00Z volunteer-issue -q -L '$E' apply --posting W-1 --volunteer '$R' >/dev/null &&
	CHOBO_NOW=2026-05-01T00:04:00Z volunteer-issue -q -L '$E' assign --posting W-1 --volunteer '$R' >/dev/null"
n=$(count "$E")
check_exit 65 "a start at 23:00 JST the day before the posting's day is refused" vi "$E" 2026-06-01T00:00:00Z start \
	--activity W-1.1 --posting W-1 --volunteer "$R" --certificate "$ELEAF" --at 2026-05-31T14:00:00Z
check "... naming the posting's time" grep -q "activity W-1.1: a start at 2026-05-31T14:00:00Z is outside posting W-1, from 2026-06-01T00:00:00Z to 2026-06-01T01:00:00Z" "$T/vi.err"
check_exit 65 "a start after the posting's end is refused" vi "$E" 2026-06-01T02:00:00Z start \
	--activity W-1.1 --posting W-1 --volunteer "$R" --certificate "$ELEAF"
check "... named, and nothing was appended" sh -c "grep -q 'a start at 2026-06-01T02:00:00Z is outside posting W-1' '$T/vi.err' &&
	[ \$(chain-log -L '$E' | wc -l) -eq $n ]"
check "a start at 01:00 JST on the posting's day is taken (early arrival)" vi "$E" 2026-06-01T02:00:00Z start \
	--activity W-1.1 --posting W-1 --volunteer "$R" --certificate "$ELEAF" --at 2026-05-31T16:00:00Z
check "... its end at 23:30 JST and the report" sh -c "
	CHOBO_NOW=2026-06-01T14:30:00Z volunteer-issue -q -L '$E' end --activity W-1.1 >/dev/null &&
	CHOBO_NOW=2026-06-01T14:40:00Z volunteer-issue -q -L '$E' report --activity W-1.1 >/dev/null"
check "the approval counts the posting's one hour of the 22 and a half: 1 unit, 100 points" sh -c "
	CHOBO_NOW=2026-06-02T00:00:00Z volunteer-issue -L '$E' approve --activity W-1.1 |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert (o[\"units\"], o[\"points\"]) == (1, 100), o'"
check "an activity of 75 minutes of which 15 lie within the posting's time ..." sh -c "
	CHOBO_NOW=2026-06-02T00:01:00Z volunteer-issue -q -L '$E' start --activity W-1.2 --posting W-1 --volunteer '$R' \
		--certificate '$ELEAF' --at 2026-06-01T00:45:00Z >/dev/null &&
	CHOBO_NOW=2026-06-02T00:02:00Z volunteer-issue -q -L '$E' end --activity W-1.2 --at 2026-06-01T02:00:00Z >/dev/null &&
	CHOBO_NOW=2026-06-02T00:03:00Z volunteer-issue -q -L '$E' report --activity W-1.2 >/dev/null"
check_exit 65 "... earns no unit: its approval is refused" vi "$E" 2026-06-02T00:10:00Z approve --activity W-1.2
check "... saying why" grep -q "activity W-1.2 (2026-06-01T00:45:00Z to 2026-06-01T02:00:00Z) spent less than an hour within posting W-1's time" "$T/vi.err"
check "an activity from 01:00 to 05:00 JST, before the posting's 09:00 ..." sh -c "
	CHOBO_NOW=2026-06-02T00:20:00Z volunteer-issue -q -L '$E' start --activity W-1.3 --posting W-1 --volunteer '$R' \
		--certificate '$ELEAF' --at 2026-05-31T16:00:00Z >/dev/null &&
	CHOBO_NOW=2026-06-02T00:21:00Z volunteer-issue -q -L '$E' end --activity W-1.3 --at 2026-05-31T20:00:00Z >/dev/null &&
	CHOBO_NOW=2026-06-02T00:22:00Z volunteer-issue -q -L '$E' report --activity W-1.3 >/dev/null"
check_exit 65 "... lies wholly outside its time: its approval is refused" vi "$E" 2026-06-02T00:30:00Z approve --activity W-1.3
check "... saying so" grep -q "activity W-1.3 (2026-05-31T16:00:00Z to 2026-05-31T20:00:00Z) lies wholly outside posting W-1's time" "$T/vi.err"

# ------------------------------------------------------------- a drawing that fails after the append
D=$T/minami
new_ledger "$D" tama.example/minami
Q=$(people "$D" resident 1)
check "a volunteer registers on D" vi "$D" 2026-05-01T00:00:00Z register --volunteer $Q
check_exit 73 "certify with a PNG that cannot be written: exit 73, the certificate recorded all the same" \
	vi "$D" 2026-05-04T00:00:00Z certify --volunteer $Q --png /nonexistent/x.png
FAILED_LEAF=$(json leaf_hash)
FAILED_INDEX=$(json leaf_index)
check "... stdout has what was recorded: its index, leaf hash and payload" sh -c "
	python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert o[\"result\"] == \"recorded\" and o[\"payload\"].startswith(\"CHB1:\"), o' '$T/vi.out' &&
	[ \"\$(chain-log -L '$D' | tail -n 1 | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o[\"type\"], o[\"index\"])')\" = 'volunteer.certificate $FAILED_INDEX' ]"
check "... the message names the log, the entry and its leaf hash, and the cert-revoke command" sh -c "
	grep -q 'recorded, as entry [0-9]* of tama.example/minami (leaf hash $FAILED_LEAF)' '$T/vi.err' &&
	grep -q 'cert-revoke -L $D --reason error $FAILED_LEAF' '$T/vi.err'"
check "... and that command revokes it" sh -c "
	CHOBO_NOW=2026-05-04T00:01:00Z \$(sed -n 's/.*\`\\(cert-revoke [^\`]*\\)\`.*/\\1/p' '$T/vi.err') >/dev/null &&
	CHOBO_NOW=2026-05-04T00:02:00Z cert-check -q -L '$D' \"\$(json payload)\"; [ \$? -eq 1 ]"

# ------------------------------------------------------------- output lost after the append
# full TIME VERB ARGS...: volunteer-issue on D with standard output failing; its messages in $T/vi.err.
full() {
	t=$1
	shift
	CHOBO_NOW=$t volunteer-issue -L "$D" "$@" >/dev/full 2>"$T/vi.err"
}
n=$(count "$D")
check_exit 3 "certify with standard output failing (/dev/full): exit 3, stored" full 2026-05-05T00:00:00Z certify --volunteer $Q
check "... the message says the certificate is recorded, naming the entry, and not to certify again" grep -q \
	"standard output could not be written: .*; the certificate is recorded, as entry $n of tama.example/minami (leaf hash [0-9a-f]\{64\}): do not simply run certify again, which issues a second certificate" "$T/vi.err"
check "... the ledger holds it once, at that index" sh -c "[ \$(chain-log -L '$D' | wc -l) -eq $((n + 1)) ] &&
	[ \"\$(chain-log -L '$D' --type volunteer.certificate --from $n | python3 -c 'import json,sys; print(*[json.loads(l)[\"index\"] for l in sys.stdin])')\" = $n ]"
check "... and the cert-revoke command it gives revokes that certificate" sh -c "
	CHOBO_NOW=2026-05-05T00:01:00Z \$(sed -n 's/.*\`\\(cert-revoke [^\`]*\\)\`.*/\\1/p' '$T/vi.err') >/dev/null &&
	[ \"\$(chain-log -L '$D' --from $((n + 1)) | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[\"type\"])')\" = revoke ]"
n=$(count "$D")
check_exit 3 "a posting with standard output failing: exit 3, stored" full 2026-05-05T01:00:00Z post --posting M-1 --host F-M \
	--kind errand --task 買い物 --district 南山 --from 2026-05-06T00:00:00Z --to 2026-05-06T01:00:00Z
check "... the message names the posting and its entry, and says the same command again is a duplicate" grep -q \
	"standard output could not be written: .*; posting M-1 is recorded, as entry $n of tama.example/minami: the same command again is a duplicate that prints it, appending nothing" "$T/vi.err"
check "... which it is: run again, it prints the entry and the ledger holds the posting once" sh -c "
	CHOBO_NOW=2026-05-05T02:00:00Z volunteer-issue -L '$D' post --posting M-1 --host F-M --kind errand --task 買い物 \
		--district 南山 --from 2026-05-06T00:00:00Z --to 2026-05-06T01:00:00Z |
	grep -q '\"result\":\"duplicate\",\"leaf_index\":$n,' &&
	[ \$(chain-log -L '$D' | wc -l) -eq $((n + 1)) ] &&
	[ \$(chain-log -L '$D' --type volunteer.posting | grep -c '\"posting\":\"M-1\"') -eq 1 ]"
n=$(count "$D")
check_exit 3 "a shop's opening with standard output failing: exit 3, stored" full 2026-05-05T03:00:00Z shop --shop S-M
check "... the message names the entry and says the same request again is a duplicate" grep -q \
	"; the points.open is recorded, as entry $n of tama.example/minami (leaf hash [0-9a-f]\{64\}): the same request again is a duplicate" "$T/vi.err"
check "... which it is" sh -c "CHOBO_NOW=2026-05-05T03:01:00Z volunteer-issue -L '$D' shop --shop S-M |
	grep -q '\"result\":\"duplicate\",\"leaf_index\":$n,' && [ \$(chain-log -L '$D' | wc -l) -eq $((n + 1)) ]"
check_exit 74 "a record done before, with standard output failing: exit 74" full 2026-05-05T04:00:00Z post --posting M-1 \
	--host F-M --kind errand --task 買い物 --district 南山 --from 2026-05-06T00:00:00Z --to 2026-05-06T01:00:00Z
check "... saying that nothing was appended" grep -q "; nothing was appended: every record is a duplicate" "$T/vi.err"
echo "volunteer.yen_per_point = 2" >>"$D/chobo.conf"
n=$(count "$D")
check_exit 3 "a registration done before, under new terms, with standard output failing: exit 3" full 2026-05-05T05:00:00Z \
	register --volunteer $Q
check "... saying every record is a duplicate and the scheme's terms are recorded, naming the entry" grep -q \
	"; every record is a duplicate of an entry recorded before; the volunteer points scheme's terms are recorded, as entry $n of tama.example/minami" "$T/vi.err"
check "chain-verify --views passes on D" chain-verify -q -L "$D" --views

# ------------------------------------------------------------- privacy
set -- $(people "$A" privacy 3)
V1=$1 V2=$2 V3=$3
n=$(count "$A")
check_exit 65 "a volunteer under an ID that A's private store does not hold is refused" \
	vi "$A" 2027-04-06T00:00:00Z register --volunteer p-00000000000000000000000000000077
check "... saying how to register the person" \
	grep -q "volunteer p-00000000000000000000000000000077 is not in this node's private store: register the person with chain-private add" "$T/vi.err"
check_exit 65 "... and one that D's store gave" vi "$A" 2027-04-06T00:00:00Z register --volunteer "$Q"
check_exit 65 "a mail address offered as a skill is refused" \
	vi "$A" 2027-04-06T00:00:00Z register --volunteer $V1 --skills hanako@example.jp
check_exit 65 "... a phone number as a posting's task too" vi "$A" 2027-04-06T00:00:00Z post --posting Z-1 --host F-1 \
	--kind errand --task '連絡は 090-1234-5678 まで' --district 平尾 --from 2027-04-07T00:00:00Z --to 2027-04-07T01:00:00Z
check "... and nothing was appended" sh -c "[ \"\$(chain-log -L '$A' | wc -l)\" = $n ]"
check_exit 65 "a skill tag with a blank, from the options, is refused" \
	vi "$A" 2027-04-06T00:00:00Z register --volunteer $V1 --skills 'first aid'
check "... naming the option, not the entry's field" sh -c "grep -q 'options: .*--skills must be tags' '$T/vi.err' && ! grep -q 'body\.' '$T/vi.err'"
check_exit 65 "a posting that ends before it starts, from the options, is refused by the rule" vi "$A" \
	2027-04-06T00:00:00Z post --posting Z-2 --host F-1 --kind errand --task 買い物 --district 平尾 \
	--from 2027-04-07T02:00:00Z --to 2027-04-07T01:00:00Z
check "... naming the options as the record" grep -q '^volunteer-issue: options: batch entry 1 (volunteer.posting): posting Z-2 ends before it starts' "$T/vi.err"
printf 'posting,host,kind,task,district,from,to\nZ-3,F-1,errand,買い物,平尾,2027-04-07T00:00:00Z,2027-04-07T01:00:00Z\nZ-4,F-1,errand,買い物,平尾,2027-04-07T02:00:00Z,2027-04-07T01:00:00Z\n' >"$T/p.csv"
check_exit 65 "... and in CSV, the rule's refusal names the row" vi "$A" 2027-04-06T00:00:00Z post --csv "$T/p.csv"
check "... (line 3)" grep -q 'p.csv:3: batch entry 2 (volunteer.posting): posting Z-4 ends before it starts' "$T/vi.err"
check "... and nothing was appended" sh -c "[ \"\$(chain-log -L '$A' | wc -l)\" = $n ]"
# Full-width Latin looks like a-z but is not: a search for "carrying" would never find it.
check_exit 65 "a full-width Latin skill tag is refused" \
	vi "$A" 2027-04-06T00:00:00Z register --volunteer $V2 --skills 'ｃａｒｒｙｉｎｇ,料理'
check "... naming the member and the ASCII to write" grep -q 'skills: "ｃａｒｒｙｉｎｇ,料理" has full-width.*write "carrying,料理"' "$T/vi.err"
printf 'volunteer,skills,languages\n%s,carrying,ja\n%s,light-bulb,ＥＮ\n' $V2 $V3 >"$T/r.csv"
check_exit 65 "... in CSV too, the cell named by line and column" vi "$A" 2027-04-06T00:00:00Z register --csv "$T/r.csv"
check "... (line 3, languages)" grep -q 'r.csv:3.*languages: "ＥＮ" has full-width.*write "en"' "$T/vi.err"
# Half-width katakana are other code points than the kana a search types.
check_exit 65 "a half-width katakana skill tag is refused" \
	vi "$A" 2027-04-06T00:00:00Z register --volunteer $V2 --skills 'ｶﾞｲﾄﾞ,ﾊﾟﾝ,ｳﾞｧｲｵﾘﾝ,料理'
check "... naming the full-width form to write, voiced marks joined" \
	grep -q 'skills: "ｶﾞｲﾄﾞ,ﾊﾟﾝ,ｳﾞｧｲｵﾘﾝ,料理" has half-width katakana.*write "ガイド,パン,ヴァイオリン,料理"' "$T/vi.err"
# What an IME types between words (、 ， and the ideographic space) joins two tags into one that no search finds.
for sep in '、:U+3001' '，:U+FF0C' '　:U+3000'; do
	c=${sep%%:*} u=${sep#*:}
	check_exit 65 "skill tags separated by $u are refused" \
		vi "$A" 2027-04-06T00:00:00Z register --volunteer $V2 --skills "carrying${c}料理"
	check "... naming $u and the tags to write, separated by a comma" \
		grep -q "skills: \"carrying${c}料理\" has .*$u.*: write \"carrying,料理\"" "$T/vi.err"
done
printf 'volunteer,skills,languages\n%s,carrying,ja\n%s,"light-bulb、 料理",ja\n' $V3 $V2 >"$T/r2.csv"
check_exit 65 "... in a CSV sheet's skills column too" vi "$A" 2027-04-06T00:00:00Z register --csv "$T/r2.csv"
check "... (line 3), the blank after the separator dropped" \
	grep -q 'r2.csv:3.*skills: "light-bulb、 料理" has .*U+3001.*write "light-bulb,料理"' "$T/vi.err"
printf 'volunteer,skills,languages\n%s,carrying,ja　en\n' $V2 >"$T/r2.csv"
check_exit 65 "... and in its languages column" vi "$A" 2027-04-06T00:00:00Z register --csv "$T/r2.csv"
check "... (line 2)" grep -q 'r2.csv:2.*languages: "ja　en" has U+3000.*write "ja,en"' "$T/vi.err"
check "... and nothing was appended" sh -c "[ \"\$(chain-log -L '$A' | wc -l)\" = $n ]"
# A registration stored before these refusals (given to chain-append here, which holds only the schema)
# is still found: a search reads its tags as they would be written now.
check "a registration stored with full-width, half-width and 、-separated tags" sh -c "
	printf '{\"type\":\"volunteer.volunteer\",\"body\":{\"volunteer\":\"%s\",\"home\":\"%s\",\"fy\":2027,\"skills\":\"ｄｒｉｖｉｎｇ、ｶﾞｲﾄﾞ\"}}\\n' $V2 $OA |
	CHOBO_NOW=2027-04-06T00:30:00Z chain-append -q -L '$A' >/dev/null"
check "... is found by search --skill driving, and by ガイド" sh -c "
	volunteer-issue -L '$A' search --skill driving | grep -q '\"volunteer\":\"$V2\"' &&
	volunteer-issue -L '$A' search --skill ガイド | grep -q '\"volunteer\":\"$V2\"'"
check "... but not by a tag it does not hold" sh -c "! volunteer-issue -L '$A' search --skill cooking | grep -q '$V2'"
n=$(chain-log -L "$A" | wc -l)
check "records as CSV: two postings in one batch" sh -c "
	printf 'posting,host,kind,task,district,from,to,people\nZ-2,F-1,errand,買い物の付き添い,平尾,2027-04-08T00:00:00Z,2027-04-08T01:00:00Z,1\nZ-3,F-1,carrying,荷物運び,坂浜,2027-04-09T00:00:00Z,2027-04-09T01:00:00Z,3\n' >'$T/p.csv' &&
	CHOBO_NOW=2027-04-06T01:00:00Z volunteer-issue -L '$A' post --csv '$T/p.csv' | grep -c recorded | grep -qx 2"
check "the volunteer's record is erased (chain-private)" sh -c "CHOBO_NOW=2027-04-07T00:00:00Z chain-private -q -L '$A' erase '$P' >/dev/null"
check_exit 66 "... no way back to a person: chain-private show finds no one" chain-private -L "$A" show "$P"
n=$(count "$A")
check_exit 65 "... and certify refuses the erased volunteer, registered for the year though they are" \
	vi "$A" 2027-04-07T00:10:00Z certify --volunteer "$P"
check "... naming the pseudonym and the erasure" \
	grep -q "volunteer $P is registered on this node but no longer in its private store: the person's private data were erased" "$T/vi.err"
check "... and no certificate was appended" sh -c "[ \"\$(chain-log -L '$A' | wc -l)\" = $n ] &&
	! chain-log -L '$A' | tail -n 1 | grep -q volunteer.certificate"
check_exit 65 "... nor may the erased volunteer apply to a posting" \
	vi "$A" 2027-04-07T00:20:00Z apply --posting Z-3 --volunteer "$P"
check "... saying no application is recorded for them" \
	grep -q "volunteer $P is registered on this node but no longer in its private store: the person's private data were erased (chain-private erase), and no application is recorded for them" "$T/vi.err"
check_exit 65 "... nor be assigned" vi "$A" 2027-04-07T00:20:00Z assign --posting Z-3 --volunteer "$P"
check "... saying no assignment is recorded" grep -q "and no assignment is recorded for them" "$T/vi.err"
check_exit 65 "... nor start work, whatever else the start lacks" \
	vi "$A" 2027-04-07T00:20:00Z start --activity Z-3.1 --posting Z-3 --volunteer "$P" --certificate "$LEAF"
check "... saying no start is recorded" grep -q "and no start is recorded for them" "$T/vi.err"
check "... and nothing was appended" sh -c "[ \"\$(chain-log -L '$A' | wc -l)\" = $n ]"
check "history and search still show the pseudonym, with counts by kind, never a name" sh -c "
	volunteer-issue -L '$A' history --volunteer '$P' >'$T/h2' && grep -q '$P' '$T/h2' &&
	volunteer-issue -L '$A' search --skill carrying >'$T/s2' &&
	python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o[\"volunteer\"] == sys.argv[2] and o[\"by_kind\"] == {\"light-bulb\": 1, \"carrying\": 6} and o[\"declined\"] == 1, o' '$T/s2' '$P' &&
	! grep -q '花子\|hanako\|R-1001' '$T/h2' '$T/s2'"
check "search --csv is UTF-8 without a BOM; with --bom it starts with one, for Excel" sh -c "
	volunteer-issue -L '$A' search --skill carrying --csv >'$T/s.csv' &&
	volunteer-issue -L '$A' search --skill carrying --csv --bom >'$T/s-bom.csv' &&
	head -c 3 '$T/s.csv' | grep -q '^vol' &&
	[ \"\$(head -c 3 '$T/s-bom.csv' | od -An -tx1 | tr -d ' ')\" = efbbbf ] &&
	tail -c +4 '$T/s-bom.csv' | cmp -s - '$T/s.csv'"
check "... history and balance take --bom too" sh -c "
	[ \"\$(volunteer-issue -L '$A' history --csv --bom | head -c 3 | od -An -tx1 | tr -d ' ')\" = efbbbf ] &&
	[ \"\$(volunteer-issue -L '$A' balance --csv --bom | head -c 3 | od -An -tx1 | tr -d ' ')\" = efbbbf ]"
check_exit 64 "--bom without --csv is a usage error" volunteer-issue -L "$A" search --bom
check_exit 64 "... and so is --bom on a verb that reads CSV" volunteer-issue -L "$A" post --csv --bom "$T/p.csv"
check "search by a skill nobody has lists no one" sh -c "[ -z \"\$(volunteer-issue -L '$A' search --skill sign-language)\" ]"
# No registration can hold these tags now: a search for one would find no one without a word.
for tag in 'ｃａｒｒｙｉｎｇ:carrying' 'ｶﾞｲﾄﾞ:ガイド'; do
	check_exit 64 "search --skill ${tag%%:*} is a usage error" volunteer-issue -L "$A" search --skill "${tag%%:*}"
	check "... naming the tag to write" grep -q -- "--skill: \"${tag%%:*}\" has .*write \"${tag#*:}\"" "$T/last.err"
done
check_exit 64 "search --skill with a list of tags is a usage error: it finds one tag" volunteer-issue -L "$A" search --skill carrying,cooking
check "... saying so" grep -q -- '--skill "carrying,cooking": one tag' "$T/last.err"
check "no personal field ever reached either ledger" sh -c "! chain-log -L '$A' | grep -q '花子\|hanako\|R-1001' && ! chain-log -L '$B' | grep -q '花子\|hanako\|R-1001'"
check "chain-verify --views --index passes on A" chain-verify -q -L "$A" --views --index
check "chain-verify --views --index passes on B" chain-verify -q -L "$B" --views --index
# ------------------------------------------------------------- --dry-run
F=$T/dry
new_ledger "$F" tama.example/dry
W=$(people "$F" dry 1)
n=$(count "$F")
check "register --dry-run exits 0" sh -c "CHOBO_NOW=2026-04-20T01:00:00Z volunteer-issue -n -L '$F' register --volunteer $W --skills carrying >'$T/dry.out' 2>'$T/dry.err'"
check "... its line says valid, with the record, and names no entry" sh -c "
	grep -q '^{\"input\":\"options\",\"result\":\"valid\",\"volunteer\":\"$W\",' '$T/dry.out' && ! grep -q 'index\|leaf_hash' '$T/dry.out'"
check "... saying what would be appended (the scheme's terms, the account, the registration) and that nothing was" \
	grep -q "3 entries would be appended: every rule passed; nothing was appended (--dry-run)" "$T/dry.err"
check "... and nothing was" test "$(count "$F")" -eq "$n"
check "the registration for real" sh -c "CHOBO_NOW=2026-04-20T01:00:00Z volunteer-issue -L '$F' register --volunteer $W --skills carrying |
	grep -q '\"result\":\"recorded\"'"
n=$(count "$F")
check "register --dry-run again: a duplicate, as in a run" sh -c "
	CHOBO_NOW=2026-04-20T01:01:00Z volunteer-issue --dry-run -L '$F' register --volunteer $W --skills carrying >'$T/dry.out' 2>'$T/dry.err' &&
	grep -q '\"result\":\"duplicate\"' '$T/dry.out' && grep -q 'no entry would be appended; nothing was appended (--dry-run)' '$T/dry.err'"
check_exit 65 "register --dry-run with other skills: refused as in a run" \
	env CHOBO_NOW=2026-04-20T01:01:00Z volunteer-issue -n -L "$F" register --volunteer $W --skills cooking
check "... naming what differs, printing no line" sh -c "grep -q 'with another skills' '$T/last.err' && test ! -s '$T/last.out'"
check "certify --dry-run: valid, with no payload" sh -c "CHOBO_NOW=2026-04-20T02:00:00Z volunteer-issue -q -n -L '$F' certify --volunteer $W >'$T/dry.out' 2>'$T/dry.err' &&
	grep -q '\"result\":\"valid\",\"volunteer\":\"$W\",\"fy\":2026' '$T/dry.out' && ! grep -q payload '$T/dry.out' && test ! -s '$T/dry.err'"
check_exit 64 "certify --dry-run with a card to draw is a usage error" \
	env CHOBO_NOW=2026-04-20T02:00:00Z volunteer-issue -n -L "$F" certify --volunteer $W --pdf "$T/dry.pdf"
check "... saying so, and writing no card" sh -c "grep -q 'certify --dry-run records no certificate, so it draws none' '$T/last.err' && test ! -e '$T/dry.pdf'"
check "... and nothing was appended" test "$(count "$F")" -eq "$n"
printf 'posting,host,kind,task,district,from,to\nV-1,F-1,errand,買い物,平尾,2026-05-01T00:00:00Z,2026-05-01T01:00:00Z\nV-2,F-1,errand,買い物,平尾,2026-05-02T02:00:00Z,2026-05-02T01:00:00Z\n' >"$T/dry.csv"
check_exit 65 "post --dry-run of a sheet that a rule refuses exits 65" env CHOBO_NOW=2026-04-20T03:00:00Z volunteer-issue -n -L "$F" post --csv "$T/dry.csv"
check "... naming the row, as a run does" grep -q 'dry.csv:3: batch entry 2 (volunteer.posting): posting V-2 ends before it starts' "$T/last.err"
check "... and nothing was appended" test "$(count "$F")" -eq "$n"
printf 'posting,host,kind,task,district,from,to\nV-1,F-1,errand,買い物,平尾,2026-05-01T00:00:00Z,2026-05-01T01:00:00Z\nV-2,F-1,errand,買い物,平尾,2026-05-02T00:00:00Z,2026-05-02T01:00:00Z\n' >"$T/dry.csv"
check "the sheet corrected: its --dry-run says valid twice" sh -c "
	CHOBO_NOW=2026-04-20T03:00:00Z volunteer-issue -q -n -L '$F' post --csv '$T/dry.csv' | grep -c '\"result\":\"valid\"' | grep -qx 2"
check "... and nothing was appended" test "$(count "$F")" -eq "$n"
check "... the run records both" sh -c "
	CHOBO_NOW=2026-04-20T03:00:00Z volunteer-issue -L '$F' post --csv '$T/dry.csv' | grep -c '\"result\":\"recorded\"' | grep -qx 2"
for verb in history balance search; do
	check_exit 64 "$verb --dry-run is a usage error" volunteer-issue -n -L "$F" $verb
	check "... saying $verb appends nothing" grep -q "$verb appends nothing: --dry-run is for the verbs that append records" "$T/last.err"
done
n=$(count "$F")
check_exit 65 "spend --dry-run is judged by the rules: a volunteer with no points is refused" \
	env CHOBO_NOW=2026-04-20T04:00:00Z volunteer-issue -n -L "$F" spend --volunteer $W --shop S-1 --points 1 --ref dry-1
check "... saying why, and nothing was appended" sh -c "grep -q 'balance short: 1 points asked, 0 left' '$T/last.err' && test \$(chain-log -L '$F' | wc -l) -eq $n"
check "events -n, as --dry-run, leaves the cursor: the same events twice, then a run prints them once" sh -c "
	CHOBO_NOW=2026-04-20T04:00:00Z volunteer-issue -n -L '$F' events >'$T/ev1' && grep -q '\"event\":\"registered\"' '$T/ev1' &&
	CHOBO_NOW=2026-04-20T04:00:00Z volunteer-issue -n -L '$F' events | cmp -s - '$T/ev1' &&
	CHOBO_NOW=2026-04-20T04:00:00Z volunteer-issue -L '$F' events | cmp -s - '$T/ev1' &&
	[ -z \"\$(CHOBO_NOW=2026-04-20T04:00:00Z volunteer-issue -L '$F' events)\" ]"
check "chain-verify --views passes on the dry-run ledger" chain-verify -q -L "$F" --views
check_exit 64 "an unknown verb is a usage error" volunteer-issue -L "$A" transfer
check "--help" sh -c "volunteer-issue --help | grep -q certify"
done_testing
