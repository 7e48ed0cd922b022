#!/bin/sh
# The relief supply story between two nodes that replicate with chain-sync
# over real sshd on loopback (no bundles): a shelter on each node, three
# supporters, needs with size and allergen constraints, expiring offers,
# supply-match proposals (the same on both nodes) committed as requests with
# partial fills, a label drawn on the shipping node and scanned in at the
# other, a box received short, a box never received (overdue), a box
# reported lost, a site that closes; supply-status checked at each step on
# both nodes after the sync.  Then the partition: both nodes request the
# last units of one offer without seeing each other; after the sync both
# print the same allocation and the loser's "unfilled" event.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/sshd-nodes.sh"
sshd_nodes_require
command -v python3 >/dev/null 2>&1 || sshd_skip "no python3"
exec </dev/null                         # no ssh here reads the terminal
# The font libraries keep caches for the process's life (supply-label): not leaks of ours.
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-fonts.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

SYNC=$(command -v chain-sync) || { echo "Bail out! chain-sync is not built"; exit 99; }
base=$(sshd_pick_base) || { echo "Bail out! no free port range on 127.0.0.1"; exit 99; }
port() { echo $((base + $1)); }
export CHOBO_SYNC_TIMEOUT=30
# $SSHC is sshd-nodes.sh's hermetic client; the two nodes' ledgers are supply-nodes.sh's.

. "$top_srcdir/tests/supply-nodes.sh"   # A (node 1) and B (node 2), post()
CATALOGUE=$top_srcdir/data/supply-items.jsonl

# Each node's sshd serves its ledger to the other node's key; each names the other as its peer.
i=1
for d in "$A" "$B"; do
	mkdir -p "$T/s$i"
	sshd_client_key "$T/s$i/client"
	i=$((i + 1))
done
cat "$B/keys/witness.pub" >>"$A/trust/peers"
cat "$A/keys/witness.pub" >>"$B/trust/peers"
echo "peer = b ssh://root@127.0.0.1:$(port 2)" >>"$A/chobo.conf"
echo "peer = a ssh://root@127.0.0.1:$(port 1)" >>"$B/chobo.conf"
echo "restrict,command=\"$SYNC --serve -L $A\" $(cat "$T/s2/client.pub")" >"$T/s1/authorized_keys"
echo "restrict,command=\"$SYNC --serve -L $B\" $(cat "$T/s1/client.pub")" >"$T/s2/authorized_keys"
for i in 1 2; do
	sshd_node_start "$i" "$T/s$i" "$(port "$i")" || { echo "Bail out! sshd node $i did not start"; exit 99; }
done
for i in 1 2; do sshd_known_hosts "$i"; done >"$T/known_hosts"
ok "two sshd nodes listen on 127.0.0.1:$(port 1) and $(port 2)"

# sync: A fetches from B, then B from A: both hold both logs.
sync() {
	CHOBO_SSH="$SSHC -i $T/s1/client" chain-sync -q -L "$A" >"$T/sync.a" 2>&1 &&
		CHOBO_SSH="$SSHC -i $T/s2/client" chain-sync -q -L "$B" >"$T/sync.b" 2>&1
}
status() {
	d=$1 t=$2
	shift 2
	CHOBO_NOW=$t supply-status -L "$d" "$@"
}
# row DIR TIME SITE ITEM FIELD...: those fields of the site and item's row, space-separated.
row() {
	d=$1 t=$2 site=$3 item=$4
	shift 4
	status "$d" "$t" --site "$site" --item "$item" | python3 -c '
import json, sys
r = [json.loads(l) for l in sys.stdin]
print(" ".join(str(r[0][f]) for f in sys.argv[1:]) if r else "none")' "$@"
}
# synced STEP TIME: after a sync, both nodes print the same status table.
synced() {
	check "$1: chain-sync both ways over sshd" sync
	status "$A" "$2" >"$T/st.a" && status "$B" "$2" >"$T/st.b"
	check "$1: supply-status is byte-identical on both nodes" cmp "$T/st.a" "$T/st.b"
}
# both STEP TIME SITE ITEM WANT FIELD...: the row reads WANT on A and on B.
both() {
	step=$1 t=$2 site=$3 item=$4 want=$5
	shift 5
	for d in "$A" "$B"; do
		got=$(row "$d" "$t" "$site" "$item" "$@")
		check "$step on $(basename "$d"): $site $item $* = $want" test "$got" = "$want"
	done
}
match() { d=$1 t=$2; shift 2; CHOBO_NOW=$t supply-match -L "$d" "$@"; }

# ------------------------------------------------------------ needs
T0=2025-06-01T09:00:00Z
check "the catalogue, on A" sh -c "CHOBO_NOW=$T0 supply-post -q -L '$A' item '$CATALOGUE' >/dev/null"
check "shelter S-001 on A" post "$A" $T0 site --code S-001 --name 八王子市立第一小学校 \
	--municipality 八王子市 --role shelter --open true
N1=$(post "$A" $T0 need --site S-001 --item diaper-m --quantity 30 --unit パック --size M) || N1=none
N2=$(post "$A" $T0 need --site S-001 --item alpha-rice --quantity 200 --unit 食 \
	--allergen-free egg,milk,wheat --priority 1 --deadline 2025-06-05T00:00:00+09:00) || N2=none
check "A's needs: size M diapers, rice free of egg, milk and wheat" test "$N1" != none -a "$N2" != none
check "the catalogue reaches B by chain-sync" sync
T0b=2025-06-01T09:30:00Z
check "shelter S-002 on B" post "$B" $T0b site --code S-002 --name 立川市立第二中学校 \
	--municipality 立川市 --role shelter --open true
# B's need comes from a spreadsheet saved as CSV in Shift_JIS, through iconv as supply-post(1) shows.
printf 'site,item,quantity,unit\r\nS-002,water-2l,120,本\r\n' | iconv -f UTF-8 -t CP932 >"$T/needs-sjis.csv"
N3=$(iconv -f CP932 -t UTF-8 "$T/needs-sjis.csv" | post "$B" $T0b need --csv) || N3=none
check "B's need for water, from a CP932 CSV through iconv" test "$N3" != none
synced "needs" $T0b
both "needs" $T0b S-001 diaper-m "30 30 open" needed open site_state
both "needs" $T0b S-002 water-2l "120 120" needed open

# ------------------------------------------------------------ offers: three supporters
T1=2025-06-01T12:00:00Z
P1=$(chain-private add -L "$B" --identifier sup-1 --name 山田太郎 --mail yamada@example.jp |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
O1=$(post "$B" $T1 offer --item diaper-m --quantity 20 --unit パック --size M --firm 株式会社多摩ベビー \
	--need "$N1") || O1=none
O2=$(post "$B" $T1 offer --item diaper-m --quantity 15 --unit パック --size M --supporter "$P1") || O2=none
O2L=$(post "$B" $T1 offer --item diaper-m --quantity 50 --unit パック --size L --supporter "$P1") || O2L=none
O3=$(post "$B" $T1 offer --item alpha-rice --quantity 150 --unit 食 --allergen-free egg,milk \
	--expiry 2026-03-31 --firm 株式会社多摩食品) || O3=none
O3b=$(post "$B" $T1 offer --item alpha-rice --quantity 150 --unit 食 --allergen-free egg,milk,wheat \
	--expiry 2026-03-31 --firm 株式会社多摩食品) || O3b=none
O4=$(post "$A" $T1 offer --item water-2l --quantity 100 --unit 本 --firm 株式会社多摩水 --expiry 2025-06-04) || O4=none
O5=$(post "$A" $T1 offer --item water-2l --quantity 50 --unit 本 --firm 株式会社多摩水 --expiry 2026-01-31) || O5=none
check "offers on both nodes: pledged, free, the wrong size, with wheat, expiring" \
	test "$O1" != none -a "$O2" != none -a "$O2L" != none -a "$O3" != none -a "$O3b" != none -a \
	"$O4" != none -a "$O5" != none
synced "offers" $T1
both "offers" $T1 S-001 diaper-m "20 10" offered open

# ------------------------------------------------------------ matching
T2=2025-06-01T15:00:00Z
match "$A" $T2 >"$T/prop.a" && match "$B" $T2 >"$T/prop.b"
check "supply-match proposes the same on both nodes" cmp "$T/prop.a" "$T/prop.b"
short() {   # need>offer:quantity per proposal
	python3 -c '
import json, sys
names = dict(reversed(a.split("=")) for a in sys.argv[1:])
for l in sys.stdin:
    p = json.loads(l)
    print("%s>%s:%d" % (names.get(p["need"], "?"), names.get(p["offer"], "?"), p["quantity"]))' \
		N1="$N1" N2="$N2" N3="$N3" O1="$O1" O2="$O2" O2L="$O2L" O3="$O3" O3b="$O3b" O4="$O4" O5="$O5" |
		tr '\n' ' '
}
got=$(short <"$T/prop.a")
check "rice: only the offer without wheat; diapers: the pledge, then 10 of size M; water: FEFO, partly from two" \
	test "$got" = "N2>O3b:150 N1>O1:20 N1>O2:10 N3>O4:100 N3>O5:20 "
match "$A" $T2 --commit >"$T/commit.a"
check "A commits the five proposals as requests" test "$(wc -l <"$T/commit.a")" -eq 5
req() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    p = json.loads(l)
    if p["offer"] == sys.argv[2]:
        print(p["request"])' "$T/commit.a" "$1"; }
R1=$(req "$O1") R2=$(req "$O2") R3=$(req "$O3b") R4=$(req "$O4") R5=$(req "$O5")
synced "requests" $T2
both "requests" $T2 S-001 diaper-m "30 0" requested open
both "requests" $T2 S-001 alpha-rice "150 50" requested open
both "requests" $T2 S-002 water-2l "120 0" requested open
check "B prints no proposal left either" test -z "$(match "$B" $T2)"

# ------------------------------------------------------------ boxes, shipped on the offers' home nodes
T3=2025-06-02T09:00:00Z
S1=$(post "$B" $T3 ship --request "$R1" --box 1 --quantity 10) || S1=none
S2=$(post "$B" $T3 ship --request "$R1" --box 2 --quantity 10) || S2=none
S3=$(post "$B" $T3 ship --request "$R2" --box 1 --quantity 10) || S3=none
S4=$(post "$B" $T3 ship --request "$R3" --box 1 --quantity 150 --expiry 2026-03-31) || S4=none
S5=$(post "$A" $T3 ship --request "$R4" --box 1 --quantity 100 --expiry 2025-06-04) || S5=none
S6=$(post "$A" $T3 ship --request "$R5" --box 1 --quantity 20 --expiry 2026-01-31) || S6=none
check "six boxes shipped, each on its offer's home node" test "$S1" != none -a "$S2" != none -a \
	"$S3" != none -a "$S4" != none -a "$S5" != none -a "$S6" != none
synced "shipments" $T3
both "shipments" $T3 S-001 diaper-m "30 3" shipped in_transit
both "shipments" $T3 S-002 water-2l "120 2" shipped in_transit

# ------------------------------------------------------------ arrivals
T4=2025-06-03T10:00:00Z
if command -v zbarimg >/dev/null 2>&1; then
	CHOBO_NOW=$T4 supply-label -L "$B" --format png -o "$T/s3.png" "$S3" &&
		zbarimg --nodbus --raw -q "$T/s3.png" >"$T/s3.txt"
	check "B draws box 1 of R2's label; zbarimg reads its payload" grep -q '^CHB1:' "$T/s3.txt"
	check "A scans it in, 8 found: received short" sh -c \
		"CHOBO_NOW=$T4 supply-post -q -L '$A' receive --qty 8 <'$T/s3.txt' >/dev/null"
else
	ok "# SKIP zbarimg is not installed"
	check "A receives box 1 of R2 short" post "$A" $T4 receive --shipment "$S3" --quantity 8 --discrepancy short
fi
check "A receives box 1 of R1 in full" post "$A" $T4 receive --shipment "$S1" --quantity 10
check "A receives the rice" post "$A" $T4 receive --shipment "$S4" --quantity 150
check "B receives the first water box" post "$B" $T4 receive --shipment "$S5" --quantity 100
check "B reports the second water box not delivered" post "$B" $T4 lost --shipment "$S6" --reason 未着
synced "arrivals" $T4
both "arrivals" $T4 S-001 diaper-m "18 1 0" received in_transit overdue
both "arrivals" $T4 S-002 water-2l "100 20 0" received lost in_transit
check "the short box's state is short on B as well" sh -c \
	"chain-view -L '$B' supply.lines box/$S3 | grep -q '\"state\":\"short\"'"

# Box 2 of R1 never arrives: overdue after supply.overdue_days (3), on both nodes.
T5=2025-06-06T10:00:00Z
both "days later" $T5 S-001 diaper-m "1 1" in_transit overdue
for d in "$A" "$B"; do
	CHOBO_NOW=$T5 supply-status -L "$d" --overdue >"$T/overdue.$(basename "$d")"
done
check "--overdue lists the same box on both nodes" sh -c \
	"cmp '$T/overdue.hachioji' '$T/overdue.tachikawa' && grep -q '\"shipment\":\"$S2\".*\"box\":2' '$T/overdue.hachioji'"
for d in "$A" "$B"; do
	CHOBO_NOW=$T5 supply-events -L "$d" --since-start --dry-run >"$T/ev.$(basename "$d")"
done
check "supply-events prints the same events on both nodes" cmp "$T/ev.hachioji" "$T/ev.tachikawa"
check "... a discrepancy for the short box, to the supporter and the site" \
	grep -q "\"event\":\"discrepancy\".*\"to\":\[\"$P1\",\"S-001\"\].*\"found\":8" "$T/ev.hachioji"
check "... and the lost box, to the firm and the site" \
	grep -q "\"event\":\"lost\".*\"to\":\[\"株式会社多摩水\",\"S-002\"\].*\"shipment\":\"$S6\"" "$T/ev.hachioji"
check "the lost box turns up: B still receives it" post "$B" $T5 receive --shipment "$S6" --quantity 20

# ------------------------------------------------------------ the partition
T6=2025-06-07T09:00:00Z
OX=$(post "$A" $T6 offer --item mask --quantity 10 --unit 箱 --firm 株式会社多摩衛生) || OX=none
synced "the mask offer" $T6
both "the lost box found" $T6 S-002 water-2l "120 0" received lost
NX1=$(post "$A" 2025-06-07T10:00:00Z need --site S-001 --item mask --quantity 8 --unit 箱) || NX1=none
NX2=$(post "$B" 2025-06-07T10:30:00Z need --site S-002 --item mask --quantity 8 --unit 箱) || NX2=none
match "$A" 2025-06-07T11:00:00Z --commit >"$T/px.a"
match "$B" 2025-06-07T11:30:00Z --commit >"$T/px.b"
check "while partitioned, A commits 8 of the offer for S-001" grep -q "\"need\":\"$NX1\",\"offer\":\"$OX\",.*\"quantity\":8," "$T/px.a"
check "... and B 8 of the same offer for S-002" grep -q "\"need\":\"$NX2\",\"offer\":\"$OX\",.*\"quantity\":8," "$T/px.b"
RA=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["request"])' "$T/px.a")
RB=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["request"])' "$T/px.b")
synced "the partition ends" 2025-06-08T09:00:00Z
for d in "$A" "$B"; do
	n=$(basename "$d")
	check "on $n the later request in merge order (B's) is unfilled, A's stands" sh -c \
		"chain-view -L '$d' supply.lines request/$RB | grep -q '\"state\":\"unfilled\"' &&
		 chain-view -L '$d' supply.lines request/$RA | grep -q '\"state\":\"requested\"'"
	match "$d" 2025-06-08T09:00:00Z >"$T/after.$n"
	CHOBO_NOW=2025-06-08T09:00:00Z supply-events -L "$d" >"$T/events.$n"
	check "... $n's supply-events tells S-002 its request is unfilled, 2 available" \
		grep -q "\"event\":\"unfilled\".*\"leaf_hash\":\"$RB\".*\"to\":\[\"S-002\"\].*\"available\":2" "$T/events.$n"
done
check "both nodes print the same allocation: the 2 left for B's need" sh -c \
	"cmp '$T/after.hachioji' '$T/after.tachikawa' && grep -q '\"need\":\"$NX2\",\"offer\":\"$OX\",.*\"quantity\":2}' '$T/after.hachioji' &&
	 test \$(wc -l <'$T/after.hachioji') -eq 1"
both "after the partition" 2025-06-08T09:00:00Z S-002 mask "0 1 8" requested unfilled open

# ------------------------------------------------------------ a site closes
T7=2025-06-09T09:00:00Z
check "B closes S-002" post "$B" $T7 site --code S-002 --name 立川市立第二中学校 \
	--municipality 立川市 --role shelter --open false
synced "S-002 closed" $T7
both "S-002 closed" $T7 S-002 mask "closed 8" site_state open
check "the closed site's need is no longer matched, on either node" sh -c \
	"test -z \"\$(CHOBO_NOW=$T7 supply-match -L '$A' | grep mask)\" && test -z \"\$(CHOBO_NOW=$T7 supply-match -L '$B' | grep mask)\""
n=$(chain-log -L "$A" | wc -l)
check_exit 65 "a new need for the closed site is refused on A, which has the closing by sync" sh -c \
	"CHOBO_NOW=$T7 supply-post -L '$A' need --site S-002 --item mask --quantity 2 --unit 箱"
check "... saying the site is closed and how to reopen it" \
	grep -q "site S-002 is closed (its latest supply.site says open false): it takes no new needs or requests; supply-post site with --open true reopens it" "$T/last.err"
check_exit 65 "a request of goods for the closed site is refused" sh -c \
	"CHOBO_NOW=$T7 supply-post -L '$A' request --offer '$OX' --quantity 1 --site S-002"
check "... saying so, and nothing was appended" sh -c \
	"grep -q 'site S-002 is closed' '$T/last.err' && test \$(chain-log -L '$A' | wc -l) -eq $n"
n=$(chain-log -L "$B" | wc -l)
check_exit 65 "an offer pledged against the closed site's open need is refused on B" sh -c \
	"CHOBO_NOW=$T7 supply-post -L '$B' offer --item mask --quantity 3 --unit 箱 --firm 株式会社多摩衛生 --need '$NX2'"
check "... naming the need and its closed site, and nothing was appended" sh -c \
	"grep -q 'the need $(echo "$NX2" | cut -c1-16) is for site S-002, which is closed' '$T/last.err' &&
	 test \$(chain-log -L '$B' | wc -l) -eq $n"
check "the same goods offered without a pledge are taken" post "$B" $T7 offer --item mask --quantity 3 --unit 箱 \
	--firm 株式会社多摩衛生

for d in "$A" "$B"; do
	check "chain-verify --views passes on $(basename "$d")" chain-verify -L "$d" --views
done
done_testing
