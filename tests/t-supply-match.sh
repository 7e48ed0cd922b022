#!/bin/sh
# supply-match on two nodes: allergens, sizes (the offer's or its catalogue
# item's), shelf life at the deadline and supply.min_shelf_days, FEFO, partial
# fills across offers, priority and deadline order; the same proposals on
# both nodes; --commit then supply-status; and two nodes that commit requests
# for the last units of one offer while they cannot reach each other: after
# the exchange both show the same allocation, the later request unfilled.
. "${top_srcdir:-.}/tests/lib.sh"

A=$T/hachioji
B=$T/tachikawa
OA=tama.example/hachioji
OB=tama.example/tachikawa
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$B/keys/node.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" >>"$B/trust/peers"
NAMES=$T/names

# post DIR TIME NAME KIND ARGS...: supply-post at TIME; NAME stands for the leaf hash in $NAMES.
post() {
	d=$1 t=$2 name=$3
	shift 3
	CHOBO_NOW=$t supply-post -q -L "$d" "$@" >"$T/post.out" || return 1
	h=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["leaf_hash"])' "$T/post.out")
	echo "$h $name" >>"$NAMES"
}
copy() {
	if [ "$1" = "$A" ]; then o=$OA; else o=$OB; fi
	chain-export -L "$1" --log "$o" -o "$T/bundle" && chain-import -q -L "$2" "$T/bundle" >/dev/null
}
# short: proposals (JSON Lines on stdin) as "NEED>OFFER:QUANTITY" words by the names of $NAMES.
short() {
	python3 -c '
import json, sys
names = dict(l.split() for l in open(sys.argv[1]))
print(" ".join("%s>%s:%d" % (names.get(p["need"], "?"), names.get(p["offer"], "?"), p["quantity"])
               for p in map(json.loads, sys.stdin)))' "$NAMES"
}
# match DIR TIME [ARGS]: supply-match at TIME.
match() {
	d=$1 t=$2
	shift 2
	CHOBO_NOW=$t supply-match -L "$d" "$@"
}
row() {
	CHOBO_NOW=$2 supply-status -L "$1" --site "$3" --item "$4" |
		python3 -c 'import json, sys; r = [json.loads(l) for l in sys.stdin]; print(r[0][sys.argv[1]] if r else "none")' "$5"
}

T0=2025-06-01T09:00:00Z
: >"$NAMES"
check "the catalogue and two sites on A" sh -c "CHOBO_NOW=$T0 supply-post -q -L '$A' item '$top_srcdir/data/supply-items.jsonl' >/dev/null &&
	printf 'code,name,municipality,role,open\nS-001,八王子市立第一小学校,八王子市,shelter,true\nS-002,立川市立第二中学校,立川市,shelter,true\n' |
	CHOBO_NOW=$T0 supply-post -q -L '$A' site >/dev/null"
# Needs on A, in this posting order.
check "needs on A" sh -c "true" &&
post "$A" $T0 NA need --site S-001 --item alpha-rice --quantity 100 --unit 食 --allergen-free egg,milk --priority 2 &&
post "$A" $T0 NS need --site S-001 --item diaper-m --quantity 30 --unit パック --size M &&
post "$A" $T0 NW need --site S-002 --item water-2l --quantity 50 --unit 本 --deadline 2025-06-20T00:00:00+09:00 &&
post "$A" $T0 NP2 need --site S-001 --item blanket --quantity 10 --unit 枚 &&
post "$A" $T0 NP1 need --site S-002 --item blanket --quantity 10 --unit 枚 --priority 1 ||
	not_ok "posting the needs"
check "A's entries reach B" copy "$A" "$B"

T1=2025-06-01T12:00:00Z
F=株式会社多摩物流
post "$B" $T1 OA1 offer --item alpha-rice --quantity 60 --unit 食 --allergen-free egg --firm $F &&
post "$B" $T1 OA2 offer --item alpha-rice --quantity 70 --unit 食 --allergen-free egg,milk,wheat --expiry 2026-01-31 --firm $F &&
post "$B" $T1 OS1 offer --item diaper-m --quantity 20 --unit パック --size L --firm $F &&
post "$B" $T1 OS2 offer --item diaper-m --quantity 12 --unit パック --size M --firm $F &&
post "$B" $T1 OS3 offer --item diaper-m --quantity 8 --unit パック --firm $F &&
post "$B" $T1 OW1 offer --item water-2l --quantity 30 --unit 本 --expiry 2025-06-18 --firm $F &&
post "$B" $T1 OW2 offer --item water-2l --quantity 30 --unit 本 --expiry 2025-09-30 --firm $F &&
post "$B" $T1 OW3 offer --item water-2l --quantity 30 --unit 本 --expiry 2025-07-31 --firm $F &&
post "$B" $T1 OT offer --item water-tank --quantity 500 --unit L --firm $F &&
post "$B" $T1 OB1 offer --item blanket --quantity 15 --unit 枚 --firm $F &&
post "$B" $T1 OB2 offer --item blanket --quantity 10 --unit 枚 --firm $F ||
	not_ok "posting the offers"
check "B's offers reach A" copy "$B" "$A"

T2=2025-06-02T09:00:00Z
match "$A" $T2 >"$T/m.a"
check "supply-match on A exits 0" test $? -eq 0
got=$(short <"$T/m.a")
check "the proposals in need order, FEFO, partial fills" test \
	"$got" = "NP1>OB1:10 NA>OA2:70 NW>OW3:30 NW>OW2:20 NS>OS2:12 NS>OS3:8 NP2>OB1:5 NP2>OB2:5"
case $got in *OA1*) not_ok "an offer that is not free of milk is not proposed for a milk-free need" ;;
	*) ok "an offer that is not free of milk is not proposed for a milk-free need" ;; esac
case $got in *OS1*) not_ok "an offer of size L is not proposed for a size M need" ;;
	*) ok "an offer of size L is not proposed for a size M need" ;; esac
case $got in *OW1*) not_ok "water that expires before the deadline is not proposed" ;;
	*) ok "water that expires before the deadline is not proposed" ;; esac
case $got in *OT*) not_ok "water in L is never proposed for water in 本" ;;
	*) ok "water in L is never proposed for water in 本" ;; esac
check "a proposal carries site, item, unit, expiry and the need's deadline in UTC" grep -q \
	'"site":"S-002","item":"water-2l","unit":"本","quantity":30,"expiry":"2025-07-31","deadline":"2025-06-19T15:00:00Z"' "$T/m.a"
check "--min-shelf-days 60 leaves out the water that expires in July" test \
	"$(match "$A" $T2 --min-shelf-days 60 | short | tr ' ' '\n' | grep '^NW')" = "NW>OW2:30"
check "... and so does the setting supply.min_shelf_days" sh -c \
	"cp '$A/chobo.conf' '$T/conf.bak' && echo 'supply.min_shelf_days = 60' >>'$A/chobo.conf' &&
	CHOBO_NOW=$T2 supply-match -L '$A' | grep -c water-2l | grep -qx 1; rc=\$?; cp '$T/conf.bak' '$A/chobo.conf'; exit \$rc"

match "$B" $T2 >"$T/m.b"
check "B, with the same entries, prints the same proposals byte for byte" cmp "$T/m.a" "$T/m.b"
match "$A" $T2 --csv >"$T/m.a.csv" && match "$B" $T2 --csv >"$T/m.b.csv"
check "... and the same CSV" cmp "$T/m.a.csv" "$T/m.b.csv"
check "the CSV has a header and one row per proposal" test "$(head -1 "$T/m.a.csv" | tr -d '\r')" = \
	"need,offer,site,item,unit,quantity,size,expiry,priority,deadline,pledged" -a "$(wc -l <"$T/m.a.csv")" -eq 9
match "$A" $T2 --csv --bom >"$T/m.a.bom.csv"
check "--bom puts a UTF-8 byte order mark before the same CSV, for Excel" sh -c \
	"printf '\\357\\273\\277' | cat - '$T/m.a.csv' | cmp -s - '$T/m.a.bom.csv'"
check_exit 64 "--bom without --csv is a usage error" sh -c "CHOBO_NOW=$T2 supply-match -L '$A' --bom"
match "$A" $T2 >"$T/m.again"
check "a second run prints the same again" cmp "$T/m.a" "$T/m.again"

before=$(chain-log -L "$A" --type supply.request | wc -l)
match "$A" $T2 --commit >"$T/commit.out"
check "--commit exits 0" test $? -eq 0
check "... appends one supply.request per proposal" test \
	"$(chain-log -L "$A" --type supply.request | wc -l)" -eq $((before + 8))
check "... and prints each proposal with its request's leaf hash" test \
	"$(grep -c '"request":"[0-9a-f]\{64\}"' "$T/commit.out")" -eq 8
check "status: alpha-rice at S-001 requested 70, open 30" \
	test "$(row "$A" $T2 S-001 alpha-rice requested) $(row "$A" $T2 S-001 alpha-rice open)" = "70 30"
check "status: water at S-002 requested 50, open 0" \
	test "$(row "$A" $T2 S-002 water-2l requested) $(row "$A" $T2 S-002 water-2l open)" = "50 0"
check "status: diaper-m at S-001 requested 20, open 10" \
	test "$(row "$A" $T2 S-001 diaper-m requested) $(row "$A" $T2 S-001 diaper-m open)" = "20 10"
check "after the commit nothing fits any more" test -z "$(match "$A" $T2)"
check "--commit with nothing to propose appends nothing" sh -c \
	"CHOBO_NOW=$T2 supply-match -q -L '$A' --commit && test \$(chain-log -L '$A' --type supply.request | wc -l) -eq $((before + 8))"
check "A's requests reach B" copy "$A" "$B"
check "B prints no proposals either" test -z "$(match "$B" $T2)"

# The partition: one offer of 10 masks; each node posts a need of 8 and commits
# a request for it while the two cannot exchange anything.
T3=2025-06-03T09:00:00Z
post "$B" $T3 OX offer --item mask --quantity 10 --unit 箱 --firm $F || not_ok "posting the mask offer"
check "the mask offer reaches A" copy "$B" "$A"
post "$A" 2025-06-03T10:00:00Z NX1 need --site S-001 --item mask --quantity 8 --unit 箱 &&
post "$B" 2025-06-03T10:30:00Z NX2 need --site S-002 --item mask --quantity 8 --unit 箱 || not_ok "posting the mask needs"
match "$A" 2025-06-03T11:00:00Z --commit >"$T/px.a"
match "$B" 2025-06-03T11:30:00Z --commit >"$T/px.b"
check "A commits 8 of the offer for its need while partitioned" test "$(short <"$T/px.a")" = "NX1>OX:8"
check "B commits 8 of the same offer for its own" test "$(short <"$T/px.b")" = "NX2>OX:8"
RA=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["request"])' "$T/px.a")
RB=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["request"])' "$T/px.b")
check "the exchange: A's into B" copy "$A" "$B"
check "... and B's into A" copy "$B" "$A"
for d in "$A" "$B"; do
	n=$(basename "$d")
	check "on $n the later request in merge order (B's) is unfilled" sh -c \
		"chain-view -L '$d' supply.lines request/$RB | grep -q '\"state\":\"unfilled\"'"
	check "... and A's stands" sh -c "chain-view -L '$d' supply.lines request/$RA | grep -q '\"state\":\"requested\"'"
	check "... the offer has 2 left on $n" sh -c \
		"chain-view -L '$d' supply.lines offer/\$(grep ' OX\$' '$NAMES' | cut -d' ' -f1) | grep -q '\"open\":2,'"
done
chain-view -L "$A" supply.lines >"$T/lines.a"
chain-view -L "$B" supply.lines >"$T/lines.b"
check "supply.lines is byte-identical on both nodes" cmp "$T/lines.a" "$T/lines.b"
CHOBO_NOW=2025-06-04T09:00:00Z supply-status -L "$A" >"$T/st.a"
CHOBO_NOW=2025-06-04T09:00:00Z supply-status -L "$B" >"$T/st.b"
check "supply-status is byte-identical on both nodes" cmp "$T/st.a" "$T/st.b"
check "... and counts B's request unfilled" test "$(row "$A" 2025-06-04T09:00:00Z S-002 mask unfilled)" = 1
check_exit 65 "a shipment against the unfilled request is refused on the offer's node" sh -c \
	"CHOBO_NOW=2025-06-04T09:00:00Z supply-post -q -L '$B' ship --request $RB --box 1 --quantity 8 2>'$T/unf.err'"
check "... saying the request is unfilled" grep -q "request $RB is unfilled: its offer had nothing left for it" "$T/unf.err"
match "$A" 2025-06-04T09:00:00Z >"$T/after.a"
match "$B" 2025-06-04T09:00:00Z >"$T/after.b"
check "both then propose the 2 left for B's need, the same way" test \
	"$(short <"$T/after.a")" = "NX2>OX:2" -a "$(short <"$T/after.b")" = "NX2>OX:2"
for d in "$A" "$B"; do
	check "chain-verify --views passes on $(basename "$d")" chain-verify -L "$d" --views
done
# A supporter pledges exactly what a shelter asked for: the need has nothing open, and is still served.
T4=2025-06-05T09:00:00Z
post "$A" $T4 NT need --site S-001 --item toilet-simple --quantity 30 --unit 個 &&
	copy "$A" "$B" &&
	post "$B" $T4 OTP offer --item toilet-simple --quantity 30 --unit 個 --firm $F --need "$(grep ' NT$' "$NAMES" | cut -d' ' -f1)" &&
	copy "$B" "$A" || not_ok "posting the pledged need and offer"
T5=2025-06-05T10:00:00Z
check "status: the wholly pledged need is offered 30, open 0" \
	test "$(row "$A" $T5 S-001 toilet-simple offered) $(row "$A" $T5 S-001 toilet-simple open)" = "30 0"
match "$A" $T5 >"$T/pl.a"
check "supply-match proposes the pledged offer for the whole need" test "$(grep toilet-simple "$T/pl.a" | short)" = "NT>OTP:30"
check "... marked pledged, a JSON boolean" grep -q '"pledged":true}' "$T/pl.a"
check "... and in CSV true" sh -c "CHOBO_NOW=$T5 supply-match -L '$A' --csv | tr -d '\\r' | grep -q ',true\$'"
match "$A" $T5 --commit >"$T/pl.commit"
check "--commit requests it" test "$(grep toilet-simple "$T/pl.commit" | short)" = "NT>OTP:30"
check "status: requested 30" test "$(row "$A" $T5 S-001 toilet-simple requested)" = 30
check "then nothing more is proposed for it" sh -c "! CHOBO_NOW=$T5 supply-match -L '$A' | grep -q toilet"
check "the open index no longer holds the need" sh -c \
	"! chain-view -L '$A' supply.lines | grep -q '\"key\":\"open/need/toilet-simple/'"

# Two supporters pledge 20 each to a need of 30: it takes 30, and a free offer beside it is requested too.
T6=2025-06-06T09:00:00Z
T7=2025-06-06T10:00:00Z
post "$A" $T6 NO need --site S-001 --item toilet-portable --quantity 30 --unit 個 &&
	post "$A" $T6 NB need --site S-001 --item mask --quantity 3 --unit 箱 &&
	copy "$A" "$B" &&
	post "$B" $T6 OP1 offer --item toilet-portable --quantity 20 --unit 個 --firm $F --need "$(grep ' NO$' "$NAMES" | cut -d' ' -f1)" &&
	post "$B" $T6 OP2 offer --item toilet-portable --quantity 20 --unit 個 --firm $F --need "$(grep ' NO$' "$NAMES" | cut -d' ' -f1)" &&
	post "$B" $T6 OM offer --item mask --quantity 3 --unit 箱 --firm $F &&
	copy "$B" "$A" || not_ok "posting the over-pledged need"
match "$A" $T7 >"$T/op.a"
check "a need pledged 40 of the 30 it asked is proposed 20 and 10 of its pledges" \
	test "$(grep -e toilet-portable "$T/op.a" | short)" = "NO>OP1:20 NO>OP2:10"
match "$A" $T7 --commit >"$T/op.commit"
check "--commit requests them, and the free mask offer beside them" sh -c \
	"grep -q '\"need\":\"$(grep ' NO$' "$NAMES" | cut -d' ' -f1)\".*\"request\"' '$T/op.commit' &&
	 grep -q '\"item\":\"mask\",\"unit\":\"箱\",\"quantity\":3,.*\"request\"' '$T/op.commit'"
check "status: the need is requested 30, no more" test "$(row "$A" $T7 S-001 toilet-portable requested)" = 30
check "then nothing more is proposed for it" sh -c "! CHOBO_NOW=$T7 supply-match -L '$A' | grep -q toilet-portable"
# A pledge ends with its need: what is left of the offer is free for another need.
T8=2025-06-07T09:00:00Z
T9=2025-06-07T10:00:00Z
post "$A" $T8 NO2 need --site S-002 --item toilet-portable --quantity 15 --unit 個 || not_ok "posting another toilet need"
match "$A" $T9 >"$T/free.a"
check "the 10 left of a pledge to a need that has all it asked go to another need" \
	test "$(grep toilet-portable "$T/free.a" | short)" = "NO2>OP2:10"
check "... as a free proposal" sh -c "grep toilet-portable '$T/free.a' | grep -vq pledged"
match "$A" $T9 --commit >/dev/null
check "... and --commit requests it: the rule takes an ended pledge" \
	test "$(row "$A" $T9 S-002 toilet-portable requested)" = 10
NC=$(grep ' NO2$' "$NAMES" | cut -d' ' -f1)
T10=2025-06-08T09:00:00Z
T11=2025-06-08T10:00:00Z
copy "$A" "$B" &&
	post "$B" $T10 OPC offer --item toilet-portable --quantity 5 --unit 個 --firm $F --need "$NC" &&
	copy "$B" "$A" &&
	CHOBO_NOW=$T10 supply-post -q -L "$A" cancel --ref "$NC" >/dev/null &&
	post "$A" $T10 NO3 need --site S-001 --item toilet-portable --quantity 5 --unit 個 || not_ok "the cancelled pledged need"
match "$A" $T11 >"$T/cancelled.a"
check "an offer pledged to a need cancelled since goes to another need" \
	test "$(grep toilet-portable "$T/cancelled.a" | short)" = "NO3>OPC:5"
match "$A" $T11 --commit >/dev/null
check "... and --commit requests it" test "$(row "$A" $T11 S-001 toilet-portable requested)" = 35
# A pledge whose goods expire holds nothing: the need is open again, for free offers.
T12=2025-06-09T09:00:00Z
T13=2025-06-11T09:00:00Z
post "$A" $T12 NCB need --site S-001 --item canned-bread --quantity 20 --unit 個 &&
	NBH=$(grep ' NCB$' "$NAMES" | cut -d' ' -f1) && copy "$A" "$B" &&
	post "$B" $T12 OBP offer --item canned-bread --quantity 20 --unit 個 --expiry 2025-06-10 --firm $F --need "$NBH" &&
	post "$B" $T12 OBF offer --item canned-bread --quantity 25 --unit 個 --expiry 2026-03-31 --firm $F &&
	copy "$B" "$A" || not_ok "posting the need, its pledge and a free offer"
check "status: the need wholly pledged is open 0 while the pledged goods keep" \
	test "$(row "$A" $T12 S-001 canned-bread open)" = 0
check "status: once they expired, the need is open 20 again (and the pledged 20 expired)" \
	test "$(row "$A" $T13 S-001 canned-bread open) $(row "$A" $T13 S-001 canned-bread expired)" = "20 20"
match "$A" $T13 >"$T/lapsed.a"
check "supply-match proposes the free offer for the whole need" \
	test "$(grep canned-bread "$T/lapsed.a" | short)" = "NCB>OBF:20"
match "$A" $T13 --commit >/dev/null
check "... and --commit requests it: the rule frees the expired pledge too" \
	test "$(row "$A" $T13 S-001 canned-bread requested) $(row "$A" $T13 S-001 canned-bread open)" = "20 0"
check "then nothing more is proposed for it" sh -c "! CHOBO_NOW=$T13 supply-match -L '$A' | grep -q canned-bread"
# Pledged beyond what it asked: the pledges that keep still cover the need when one lapses.
T14=2025-06-12T09:00:00Z
T15=2025-06-13T09:00:00Z
post "$A" $T14 NOV need --site S-001 --item rice-pack --quantity 10 --unit 食 &&
	NOVH=$(grep ' NOV$' "$NAMES" | cut -d' ' -f1) &&
	post "$A" $T14 NPT need --site S-001 --item care-food --quantity 10 --unit 個 &&
	NPTH=$(grep ' NPT$' "$NAMES" | cut -d' ' -f1) && copy "$A" "$B" &&
	post "$B" $T14 OKP offer --item rice-pack --quantity 10 --unit 食 --firm $F --need "$NOVH" &&
	post "$B" $T14 OXP offer --item rice-pack --quantity 10 --unit 食 --expiry 2025-06-12 --firm $F --need "$NOVH" &&
	post "$B" $T14 ORF offer --item rice-pack --quantity 10 --unit 食 --expiry 2026-03-31 --firm $F &&
	post "$B" $T14 OCK offer --item care-food --quantity 6 --unit 個 --firm $F --need "$NPTH" &&
	post "$B" $T14 OCX offer --item care-food --quantity 8 --unit 個 --expiry 2025-06-12 --firm $F --need "$NPTH" &&
	post "$B" $T14 OCF offer --item care-food --quantity 20 --unit 個 --expiry 2026-03-31 --firm $F &&
	copy "$B" "$A" || not_ok "posting two needs pledged beyond what they asked"
# A pledge is of goods its need can take, or it would hold the need for nothing.
post "$A" $T14 NRF need --site S-001 --item water-500ml --quantity 5 --unit 本 --allergen-free egg \
	--deadline 2025-06-20T00:00:00Z --disaster d-2025 && NRFH=$(grep ' NRF$' "$NAMES" | cut -d' ' -f1) && copy "$A" "$B" ||
	not_ok "posting an egg-free need with a deadline"
check_exit 65 "a pledge of goods not said to be egg-free to an egg-free need is refused" env CHOBO_NOW=$T14 \
	supply-post -L "$B" offer --item water-500ml --quantity 5 --unit 本 --firm $F --need "$NRFH"
check "... naming the allergen" grep -q "must be free of egg, and these goods are not said to be" "$T/last.err"
check_exit 65 "a pledge of goods that expire before the need's deadline is refused" env CHOBO_NOW=$T14 \
	supply-post -L "$B" offer --item water-500ml --quantity 5 --unit 本 --allergen-free egg --expiry 2025-06-15 \
	--firm $F --need "$NRFH"
check "... naming the deadline and the expiry" grep -q "is due by 2025-06-20T00:00:00Z, and these goods expire on 2025-06-15" "$T/last.err"
check_exit 65 "a pledge of goods for another disaster is refused" env CHOBO_NOW=$T14 \
	supply-post -L "$B" offer --item water-500ml --quantity 5 --unit 本 --allergen-free egg --disaster d-2024 \
	--firm $F --need "$NRFH"
check "... naming both" grep -q "is for disaster d-2025, and these goods for d-2024" "$T/last.err"
check "status: a need of 10 pledged 10 that keep and 10 expired is open 0" \
	test "$(row "$A" $T15 S-001 rice-pack open)" = 0
# An expired pledge of goods the need can no longer take frees it too: the pledge was egg-free by its
# catalogue item, which the catalogue no longer says.
I1='{"code":"bread-x","name":"パン","category":"food","unit":"個","expiry_kind":"賞味","target":"all"'
check "an item egg-free by the catalogue" sh -c "echo '$I1,\"allergen_free\":\"egg\"}' | CHOBO_NOW=$T14 supply-post -q -L '$A' item >/dev/null"
post "$A" $T14 NAE need --site S-001 --item bread-x --quantity 5 --unit 個 --allergen-free egg &&
	NAEH=$(grep ' NAE$' "$NAMES" | cut -d' ' -f1) && copy "$A" "$B" &&
	post "$B" $T14 OAE offer --item bread-x --quantity 5 --unit 個 --expiry 2025-06-12 --firm $F --need "$NAEH" &&
	post "$B" $T14 OAF offer --item bread-x --quantity 10 --unit 個 --expiry 2026-03-31 --allergen-free egg --firm $F &&
	copy "$B" "$A" || not_ok "posting a need and a pledge egg-free by its item"
check "... which the catalogue then no longer says" sh -c "echo '$I1}' | CHOBO_NOW=$T14 supply-post -q -L '$A' item >/dev/null"
check "status: that need is open 5 once the pledge expired" test "$(row "$A" $T15 S-001 bread-x open)" = 5
match "$A" $T15 >"$T/over.a"
check "supply-match proposes the egg-free offer for it" test "$(grep bread-x "$T/over.a" | short)" = "NAE>OAF:5"
check "supply-match proposes its pledge that keeps, and no free offer" \
	test "$(grep rice-pack "$T/over.a" | short)" = "NOV>OKP:10"
check "status: a need of 10 pledged 6 that keep and 8 expired is open 4" \
	test "$(row "$A" $T15 S-001 care-food open)" = 4
check "supply-match proposes the 6 pledged and 4 of the free offer" \
	test "$(grep care-food "$T/over.a" | short)" = "NPT>OCK:6 NPT>OCF:4"
match "$A" $T15 --commit >/dev/null
check "... and --commit requests them: each need is requested in full, open 0" \
	test "$(row "$A" $T15 S-001 rice-pack requested) $(row "$A" $T15 S-001 care-food requested) $(row "$A" $T15 S-001 care-food open) $(row "$A" $T15 S-001 bread-x requested)" = "10 10 0 5"
check "chain-verify --views passes" chain-verify -L "$A" --views
check_exit 64 "an unknown option is a usage error" supply-match -L "$A" --frobnicate
done_testing
