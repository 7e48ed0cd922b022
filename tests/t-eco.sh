#!/bin/sh
# Eco-points on two nodes: members and equipment registered on A, readings
# turned into reductions and points by the formulas of domain.md §A, spent
# at a shop, a shop settled; refusals change nothing; re-runs grant nothing
# twice; a spend on B, not the member's home node, is refused naming it, even
# when B's clock reads before the account's opening.
#
# Factors (data/emission-factors.json): grid FY2022 0.649, FY2023 0.672
# kg/kWh; gasoline 2.32 kg/L.  points_per_kg = 1 (the default).
#
# Worked examples, by hand:
#  solar, FY2023 (2023-04-01..2024-03-31), 3,000 kWh generated, 1,000 sold:
#    self-consumed 2,000 kWh x 0.672 = 1,344 kg = 1,344,000 g -> 1,344 points
#  EV, FY2023, 10,000 km, baseline 20 km/L gasoline, 1,500 kWh charged:
#    baseline 10,000 / 20 = 500 L x 2.32 = 1,160 kg; project 1,500 x 0.672 = 1,008 kg
#    reduction 152 kg = 152,000 g -> 152 points
#  PHV, FY2023, 10,000 km, 20 km/L gasoline, 800 kWh charged, 100 L burned:
#    baseline 1,160 kg; project 800 x 0.672 = 537.6 kg + 100 x 2.32 = 232 kg = 769.6 kg
#    reduction 390.4 kg = 390,400 g -> 390 points
#  solar 2023-03-22..2023-04-10 (20 days: 10 in FY2022, 10 in FY2023), 200 kWh
#  generated, 100 sold: split by days, 100/50 kWh each part;
#    FY2022 50 x 0.649 = 32.45 kg = 32,450 g; FY2023 50 x 0.672 = 33.6 kg = 33,600 g
#    total 66,050 g -> 66 points
. "${top_srcdir:-.}/tests/lib.sh"

A=$T/hachioji
B=$T/tachikawa
OA=tama.example/hachioji
OB=tama.example/tachikawa
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$B/keys/node.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" >>"$B/trust/peers"
F=$top_srcdir/data/emission-factors.json
NOW=2024-04-10T01:00:00Z
# The members: people in A's private store, under the IDs it gave them.
set -- $(people "$A" resident 7)
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5 P6=$6 P9=$7
count() { chain-log -L "$1" | wc -l; }
grant() { CHOBO_NOW=$NOW ecopt-grant -L "$A" --factors "$F" "$@"; }
field() { python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; print(r[int(sys.argv[1])].get(sys.argv[2]))' "$@"; }
copy() { chain-export -L "$1" --log "$2" -o "$T/bundle" && chain-import -q -L "$3" "$T/bundle" >/dev/null; }

printf '{"type":"points.scheme","body":{"scheme":"eco","yen_per_point":1,"expiry_days":365,"cap_purchase":1000,"cap_day":1200}}\n' |
	CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$A" >/dev/null
cat >"$T/reg.jsonl" <<EOR
{"member":"$P1","kind":"household","joined":"2023-04-01"}
{"member":"$P2","kind":"household","joined":"2023-04-01"}
{"member":"$P3","kind":"business","joined":"2023-04-01"}
{"member":"$P4","kind":"household","joined":"2023-03-01"}
{"code":"PV-1","member":"$P1","kind":"solar","capacity_w":3000,"serial":"SN-PV-0001","monitoring_from":"2023-04-01"}
{"code":"EV-1","member":"$P2","kind":"ev","baseline_m_per_l":20000,"baseline_fuel":"gasoline","serial":"VIN-1","monitoring_from":"2023-04-01"}
{"code":"PHV-1","member":"$P3","kind":"phv","baseline_m_per_l":20000,"baseline_fuel":"gasoline","serial":"VIN-2","monitoring_from":"2023-04-01"}
{"code":"PV-2","member":"$P4","kind":"solar","capacity_w":4000,"serial":"SN-PV-0002","monitoring_from":"2023-03-01"}
EOR
check "members and equipment register" sh -c "CHOBO_NOW=2023-03-02T00:00:00Z ecopt-grant -q -L '$A' --register '$T/reg.jsonl' >/dev/null"
check "the ledger holds no serial number" sh -c "! chain-log -L '$A' | grep -q SN-PV"
# A member is someone this node's private store holds: an ID made up, one that another node's
# store gave, and one whose person was erased are refused, and nothing is appended.
stranger() {
	printf '{"member":"%s","kind":"household","joined":"2023-04-01"}\n' "$2" >"$T/stranger.jsonl"
	n=$(chain-log -L "$A" | wc -l)
	check_exit 65 "a member under an ID $1 is refused" env CHOBO_NOW=2023-03-03T00:00:00Z ecopt-grant -L "$A" --register "$T/stranger.jsonl"
	check "... saying where the ID comes from" grep -q "stranger.jsonl:1: member $2 is not in this node's private store: register the person with chain-private add" "$T/last.err"
	check "... nothing appended" test "$(chain-log -L "$A" | wc -l)" = "$n"
}
stranger "made up" p-00000000000000000000000000000001
stranger "that B's private store gave" "$(people "$B" resident 1)"
Q=$(people "$A" leaver 1)
chain-private -q -L "$A" erase "$Q" >/dev/null
stranger "whose person was erased" "$Q"
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-PV-0001","monitoring_from":"2023-04-01"}\n' $P1 >"$T/dup.jsonl"
check_exit 65 "the same panel registered twice is refused" env CHOBO_NOW=2023-03-03T00:00:00Z ecopt-grant -L "$A" --register "$T/dup.jsonl"

# A member's departure: in the registration, or an eco.member entry with left appended later.
printf '{"member":"%s","kind":"household","joined":"2023-04-01","left":"2023-03-01"}\n' $P9 >"$T/early.jsonl"
check_exit 65 "a member who leaves before joining is refused" env CHOBO_NOW=2023-03-03T00:00:00Z ecopt-grant -L "$A" --register "$T/early.jsonl"
check "... saying so" grep -q "body.left (2023-03-01) is before body.joined (2023-04-01)" "$T/last.err"
printf '{"member":"%s","kind":"household","joined":"2023-04-01"}\n' $P9 >"$T/p5.jsonl"
check "another member registers" sh -c "CHOBO_NOW=2023-03-03T00:00:00Z ecopt-grant -q -L '$A' --register '$T/p5.jsonl' >/dev/null"
departure() { printf '{"type":"eco.member","body":{"member":"%s","kind":"household","home":"%s","joined":"%s","left":"%s"}}\n' $P9 $OA "$1" "$2"; }
departure 2022-01-01 2022-12-31 >"$T/gone-early.jsonl"
departure 2023-04-01 2024-03-31 >"$T/gone.jsonl"
check_exit 65 "a departure dated before the member joined is refused" env CHOBO_NOW=2023-03-04T00:00:00Z chain-append -L "$A" "$T/gone-early.jsonl"
check "... naming the day the member joined" grep -q "member $P9 joined on 2023-04-01: body.left (2022-12-31) is before it" "$T/last.err"
check "a departure is recorded with chain-append" sh -c "CHOBO_NOW=2023-03-04T00:00:00Z chain-append -q -L '$A' '$T/gone.jsonl' >/dev/null &&
	chain-view -L '$A' eco.registry member/$P9 | grep -q '\"left\":\"2024-03-31\"'"

cat >"$T/r1.jsonl" <<EOR
{"equipment":"PV-1","from":"2023-04-01","to":"2024-03-31","generated_kwh":3000,"sold_kwh":1000}
{"equipment":"EV-1","from":"2023-04-01","to":"2024-03-31","distance_km":10000,"charged_kwh":1500}
{"equipment":"PHV-1","from":"2023-04-01","to":"2024-03-31","distance_km":10000,"charged_kwh":800,"fuel_l":100,"source":"manual"}
{"equipment":"PV-2","from":"2023-03-22","to":"2023-04-10","generated_kwh":200,"sold_kwh":100}
EOR
grant "$T/r1.jsonl" >"$T/g1.out"
check "solar: 1,344,000 g" test "$(field 0 reduction_g <"$T/g1.out")" = 1344000
check "EV: 152,000 g" test "$(field 1 reduction_g <"$T/g1.out")" = 152000
check "PHV: 390,400 g" test "$(field 2 reduction_g <"$T/g1.out")" = 390400
check "spanning March 31 / April 1: 66,050 g in two parts" test "$(field 3 reduction_g <"$T/g1.out") $(field 3 parts <"$T/g1.out" | grep -o reduction_g | wc -l)" = "66050 2"
check "... 32,450 g in FY2022, in the reading's entry" sh -c "chain-log -L '$A' | grep eco.reading | grep -q '\"parts\":\[{\"fy\":2022,[^}]*\"reduction_g\":32450}'"
check "... one entry per reading: no eco.reduction, eco.grant or points.credit" sh -c "test \$(chain-log -L '$A' --type eco.reading | wc -l) = 4 && ! chain-log -L '$A' | grep -q 'eco.reduction\|eco.grant\|points.credit'"
check "points: 1,344 for the solar household" test "$(field 0 points <"$T/g1.out")" = 1344
before=$(count "$A")
check "each granted line names its reading's entry, as chain-log has it" python3 -c "
import json, subprocess, sys
g = [json.loads(l) for l in open(sys.argv[1])]
log = {e['index']: e for e in map(json.loads, subprocess.run(['chain-log', '-L', sys.argv[2], '--type', 'eco.reading'], capture_output=True, check=True).stdout.splitlines())}
for r in g:
    assert r['result'] == 'granted' and log[r['leaf_index']]['body']['equipment'] == r['equipment'], r
proof = subprocess.run(['chain-proof', '-L', sys.argv[2], 'inclusion', '--index', str(g[0]['leaf_index'])], capture_output=True, check=True).stdout
assert g[0]['leaf_hash'] in proof.decode(), proof
" "$T/g1.out" "$A"
check "a re-run grants nothing twice" sh -c "CHOBO_NOW=$NOW ecopt-grant -L '$A' --factors '$F' '$T/r1.jsonl' >'$T/g1.again' && grep -c duplicate '$T/g1.again' | grep -qx 4"
check "... and appends nothing" test "$before" -eq "$(count "$A")"
check "... each duplicate naming the entry that granted it" python3 -c "
import json, sys
g, d = ([json.loads(l) for l in open(f)] for f in sys.argv[1:])
assert [(x['result'], x['leaf_index'], x['leaf_hash']) for x in d] == [('duplicate', x['leaf_index'], x['leaf_hash']) for x in g], d
" "$T/g1.out" "$T/g1.again"

cat >"$T/bad.jsonl" <<EOR
{"equipment":"EV-1","from":"2024-03-01","to":"2024-03-31","distance_km":100,"charged_kwh":15}
{"equipment":"PV-1","from":"2024-04-01","to":"2024-04-05","generated_kwh":10,"sold_kwh":20}
{"equipment":"NOPE","from":"2024-04-01","to":"2024-04-05","generated_kwh":1}
{"equipment":"PV-2","from":"2024-04-01","to":"2024-04-02","generated_kwh":500}
{"equipment":"PHV-1","from":"2024-04-01","to":"2024-04-02","distance_km":-5}
{"equipment":"PV-2","from":"2023-04-11","to":"2023-04-20","generated_kwh":10,"sold_kwh":0}
EOR
check_exit 65 "bad readings are refused" env CHOBO_NOW=$NOW ecopt-grant -L "$A" --factors "$F" "$T/bad.jsonl"
CHOBO_NOW=$NOW ecopt-grant -L "$A" --factors "$F" "$T/bad.jsonl" >"$T/bad.out" 2>/dev/null
check "... overlap named" grep -q overlaps "$T/bad.out"
check "... sold above generated named" grep -q 'more than generated' "$T/bad.out"
check "... unknown equipment named" grep -q 'unknown equipment' "$T/bad.out"
check "... generation above capacity named" grep -q 'can make in' "$T/bad.out"
check "... negative value named" grep -q negative "$T/bad.out"
check "... nothing granted" test "$before" -eq "$(count "$A")"
check "... the valid reading among them is said valid, not granted" sh -c "grep '\"equipment\":\"PV-2\",\"from\":\"2023-04-11\"' '$T/bad.out' | grep -q '\"result\":\"valid\",\"methodology\":\"EN-R-002\",\"reduction_g\":[1-9]'"
check "... and no line says granted" sh -c "! grep -q '\"result\":\"granted\"' '$T/bad.out'"

# A reading entry by hand (chain-append) must add up and be its equipment's: PV-1's first
# reading moved to FY2024, then broken one way at a time.
hand() {
	chain-log -L "$A" --type eco.reading | head -1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())["body"]
e["from"], e["to"] = "2024-04-01", "2025-03-31"
e["parts"] = [dict(e["parts"][0], fy=2024, **{"from": "2024-04-01", "to": "2025-03-31"})]
how = sys.argv[1]
if how == "points": e["points"] += 1
if how == "parts": e["parts"][0]["generated_wh"] -= 1
if how == "reduction": e["parts"][0]["reduction_g"] += 1
if how == "member": e["member"] = sys.argv[2]
print(json.dumps({"type": "eco.reading", "body": e}))' "$@" >"$T/hand.jsonl"
	CHOBO_NOW=${HAND_NOW:-$NOW} chain-append -L "$A" "$T/hand.jsonl"
}
check_exit 65 "a reading entry whose points are not reduction x points_per_kg is refused" hand points
check "... named" grep -q 'body.points must be 1344' "$T/last.err"
check_exit 65 "... one whose parts do not add up to the reading" hand parts
check "... named" grep -q "parts' generated_wh add up to" "$T/last.err"
check_exit 65 "... one whose part's reduction is not baseline - project" hand reduction
check "... named" grep -q 'reduction_g is baseline_g - project_g' "$T/last.err"
check_exit 65 "... one naming another member than the equipment's" hand member $P2
check "... named" grep -q "equipment PV-1 is member $P1's" "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count "$A")"

redeem() { CHOBO_NOW=${WHEN:-2024-04-10T02:00:00Z} ecopt-redeem -q "$@"; }
check "a shop opens on A" sh -c "CHOBO_NOW=2024-04-10T01:30:00Z ecopt-redeem -q -L '$A' shop --shop shop-1 >/dev/null"
n=$(chain-log -L "$A" | wc -l)
check "a shop opened again is a duplicate, its opening named" sh -c "CHOBO_NOW=2024-04-10T01:31:00Z ecopt-redeem -L '$A' shop --shop shop-1 |
	grep -q '^{\"result\":\"duplicate\",\"leaf_index\":[0-9]*,\"leaf_hash\":\"\([0-9a-f]\{64\}\)\",\"time\":\"2024-04-10T01:30:00Z\",\"entry\":\"\\1\"}\$'"
check "... nothing appended" test "$(chain-log -L "$A" | wc -l)" = "$n"
n=$(chain-log -L "$A" | wc -l)
check "a spend of 500 judged with --dry-run: valid, nothing appended" sh -c "CHOBO_NOW=2024-04-10T01:59:00Z ecopt-redeem -L '$A' --dry-run spend --member $P1 --shop shop-1 --points 500 --ref buy-1 |
	grep -qx '{\"result\":\"valid\",\"type\":\"points.debit\",\"scheme\":\"eco\",\"holder\":\"$P1\",\"points\":500,\"ref\":\"buy-1\",\"shop\":\"shop-1\"}' &&
	test \$(chain-log -L '$A' | wc -l) -eq $n"
check_exit 65 "overspending judged with -n is refused, as the spend would be" env CHOBO_NOW=2024-04-10T01:59:30Z ecopt-redeem -n -L "$A" spend --member $P1 --shop shop-1 --points 100000 --ref buy-n
check_exit 64 "balance --dry-run is a usage error" ecopt-redeem -n -L "$A" balance
check "... saying balance appends nothing" grep -q "balance appends nothing: --dry-run is for shop, spend and settle" "$T/last.err"
check "shop -n of a new shop: valid, nothing appended" sh -c "CHOBO_NOW=2024-04-10T01:59:40Z ecopt-redeem -n -L '$A' shop --shop shop-9 2>'$T/shop9.err' |
	grep -qx '{\"result\":\"valid\",\"type\":\"points.open\",\"scheme\":\"eco\",\"holder\":\"shop-9\",\"kind\":\"shop\"}' &&
	grep -q '1 entry would be appended' '$T/shop9.err' && test \$(chain-log -L '$A' | wc -l) -eq $n"
check "shop -n of the shop open already: its duplicate line, and no entry would be appended" sh -c "
	CHOBO_NOW=2024-04-10T01:59:41Z ecopt-redeem -n -L '$A' shop --shop shop-1 2>'$T/shop1.err' | grep -q '\"result\":\"duplicate\"' &&
	grep -q 'no entry would be appended; nothing was appended (--dry-run)' '$T/shop1.err'"
check "-q keeps a dry run's message off the standard error" sh -c "
	CHOBO_NOW=2024-04-10T01:59:42Z ecopt-redeem -q -n -L '$A' shop --shop shop-9 2>'$T/q.err' >/dev/null && test ! -s '$T/q.err'"
check "a spend of 500" sh -c "CHOBO_NOW=2024-04-10T02:00:00Z ecopt-redeem -q -L '$A' spend --member $P1 --shop shop-1 --points 500 --ref buy-1 >'$T/spend1'"
check "the same spend again moves nothing" sh -c "CHOBO_NOW=2024-04-10T02:01:00Z ecopt-redeem -L '$A' spend --member $P1 --shop shop-1 --points 500 --ref buy-1 >'$T/spend2' && grep -q duplicate '$T/spend2'"
check "... naming the first spend's entry as its receipt did" python3 -c "
import json, sys
r, d = (json.load(open(f)) for f in sys.argv[1:])
assert (d['leaf_index'], d['leaf_hash'], d['time'], d['entry'], d['ref']) == (r['leaf_index'], r['leaf_hash'], r['time'], r['leaf_hash'], 'buy-1'), d
" "$T/spend1" "$T/spend2"
check_exit 65 "the same reference for another amount is refused" env CHOBO_NOW=2024-04-10T02:01:30Z ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 7 --ref buy-1
check "... naming the reference and what differs" grep -q "reference buy-1 is already recorded (entry [0-9a-f]*) with another points" "$T/last.err"
check_exit 65 "over the cap per purchase refused" env CHOBO_NOW=2024-04-10T02:02:00Z ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 1001 --ref buy-2
check_exit 65 "over the cap per day refused" env CHOBO_NOW=2024-04-10T02:03:00Z ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 800 --ref buy-3
check_exit 65 "overspending refused" env CHOBO_NOW=2024-04-12T02:00:00Z ecopt-redeem -L "$A" spend --member $P2 --shop shop-1 --points 153 --ref buy-4
check "balance: 844 left" sh -c "CHOBO_NOW=2024-04-12T00:00:00Z ecopt-redeem -L '$A' balance --holder $P1 | grep -q '\"balance\":844'"
check "settle -n: valid, with the yen it would pay, and nothing appended" sh -c "n=\$(chain-log -L '$A' | wc -l)
	CHOBO_NOW=2024-04-12T02:59:00Z ecopt-redeem -n -L '$A' settle --shop shop-1 --points 500 --ref pay-1 2>/dev/null |
	grep -qx '{\"result\":\"valid\",\"type\":\"points.settle\",\"scheme\":\"eco\",\"holder\":\"shop-1\",\"points\":500,\"yen\":500,\"ref\":\"pay-1\"}' &&
	test \$(chain-log -L '$A' | wc -l) -eq \$n"
check "settle the shop: 500 points, 500 yen" sh -c "CHOBO_NOW=2024-04-12T03:00:00Z ecopt-redeem -q -L '$A' settle --shop shop-1 --points 500 --ref pay-1 >/dev/null"
check "balance CSV" sh -c "CHOBO_NOW=2024-04-12T04:00:00Z ecopt-redeem -L '$A' balance --csv | grep -q '^eco,shop-1,shop,$OA,0,0,0,500,500,500'"
check "balance CSV with --bom is the byte order mark, then the same table" sh -c \
	"CHOBO_NOW=2024-04-12T04:00:00Z ecopt-redeem -L '$A' balance --csv >'$T/bal.csv' &&
	 printf '\\357\\273\\277' | cat - '$T/bal.csv' >'$T/bal.want' &&
	 CHOBO_NOW=2024-04-12T04:00:00Z ecopt-redeem -L '$A' balance --csv --bom | cmp -s - '$T/bal.want'"
check_exit 64 "--bom without --csv is a usage error" ecopt-redeem -L "$A" balance --bom
check "the points expire after 365 days" sh -c "CHOBO_NOW=2025-05-01T00:00:00Z ecopt-redeem -L '$A' balance --holder $P2 | grep -q '\"balance\":0'"
check "... counted as expired, and no longer listed among the lots" sh -c "
	CHOBO_NOW=2025-05-01T00:00:00Z ecopt-redeem -L '$A' balance --holder $P2 |
	python3 -c 'import json,sys; o=json.load(sys.stdin); assert o[\"expired\"] > 0 and o[\"lots\"] == [], o'"

# A cap per fiscal year of 600: P1 spent 500 in FY2024 (on 2024-04-10).
printf '{"type":"points.scheme","body":{"scheme":"eco","yen_per_point":1,"expiry_days":365,"cap_purchase":1000,"cap_day":1200,"cap_fy":600}}\n' |
	CHOBO_NOW=2024-04-20T00:00:00Z chain-append -L "$A" >/dev/null
check_exit 65 "over the cap per fiscal year refused" env CHOBO_NOW=2024-04-20T01:00:00Z ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 101 --ref buy-fy-1
check "... named" sh -c "CHOBO_NOW=2024-04-20T01:00:00Z ecopt-redeem -L '$A' spend --member $P1 --shop shop-1 --points 101 --ref buy-fy-1b 2>&1 | grep -q 'cap per fiscal year'"
check "... up to the cap is taken" sh -c "CHOBO_NOW=2024-04-20T02:00:00Z ecopt-redeem -q -L '$A' spend --member $P1 --shop shop-1 --points 100 --ref buy-fy-2 >/dev/null"
check "... the next fiscal year starts again" sh -c "CHOBO_NOW=2025-04-01T01:00:00Z ecopt-redeem -L '$A' spend --member $P1 --shop shop-1 --points 10 --ref buy-fy-3 >/dev/null"

# A reading's points are credited under the reference eco.reading:TO:CODE:FROM; when a
# points.credit took that reference first, the reading would grant nothing, so it is refused.
printf '{"type":"points.credit","body":{"scheme":"eco","holder":"%s","points":1,"ref":"eco.reading:2025-03-31:PV-1:2024-04-01"}}\n' $P1 |
	CHOBO_NOW=2025-04-02T00:00:00Z chain-append -q -L "$A" >/dev/null
before=$(count "$A")
check_exit 65 "a reading whose points' reference is taken is refused" env HAND_NOW=2025-04-02T00:01:00Z sh -c "$(declare -f hand); A='$A' T='$T' NOW='$NOW' hand ok"
check "... named" grep -q 'reference eco.reading:2025-03-31:PV-1:2024-04-01 is already used in scheme eco' "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count "$A")"

copy "$A" "$OA" "$B"
check_exit 66 "the balance of a holder with no account: EX_NOINPUT" ecopt-redeem -L "$A" balance --holder p-00000000000000000000000000000999
check "... saying so" grep -q "p-00000000000000000000000000000999 has no account in the eco scheme" "$T/last.err"
check_exit 66 "the history of a holder with no account: EX_NOINPUT" ecopt-redeem -L "$A" history --holder nobody-here
check_exit 64 "a spend of 0 points is a usage error" ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 0 --ref buy-0
check "... saying so" grep -q "spend needs --points N, at least 1" "$T/last.err"
check_exit 64 "a spend without --ref is a usage error" ecopt-redeem -L "$A" spend --member $P1 --shop shop-1 --points 3
check "... naming the option" grep -q "spend needs --ref REF" "$T/last.err"
for opt in ref shop member; do
	check_exit 64 "a spend whose --$opt is not UTF-8 is a usage error, not out of memory" sh -c "
		set -- --member $P1 --shop shop-1 --ref buy-utf8 --points 3 --$opt \"\$(printf 'x\\377')\"
		ecopt-redeem -L '$A' spend \"\$@\""
	check "... saying so" grep -q -- "--$opt: not UTF-8 text" "$T/last.err"
done
check_exit 64 "an unknown verb is a usage error" ecopt-redeem -L "$A" frobnicate
check "... naming it" grep -q "frobnicate: not shop, spend, settle, balance or history" "$T/last.err"
check_exit 65 "a spend on B, not the member's home node, is refused" env CHOBO_NOW=2024-04-13T00:00:00Z ecopt-redeem -L "$B" spend --member $P2 --shop shop-1 --points 10 --ref buy-b
check "... naming the home node" grep -q "$P2's home node is $OA: spend there, not on $OB" "$T/last.err"

# Three readings of one panel and one of another, of the same member, in one run: the panel's
# registry record and the member's points account change more than once in the run (they are
# written once, at its end).
cat >"$T/reg5.jsonl" <<EOR
{"member":"$P5","kind":"household","joined":"2023-04-01"}
{"code":"PV-5","member":"$P5","kind":"solar","capacity_w":4000,"serial":"SN-PV-0005","monitoring_from":"2023-04-01"}
{"code":"PV-6","member":"$P5","kind":"solar","capacity_w":4000,"serial":"SN-PV-0006","monitoring_from":"2023-04-01"}
EOR
cat >"$T/r5.jsonl" <<EOR
{"equipment":"PV-5","from":"2023-04-01","to":"2023-04-30","generated_kwh":300,"sold_kwh":100}
{"equipment":"PV-6","from":"2023-04-01","to":"2023-04-30","generated_kwh":300,"sold_kwh":100}
{"equipment":"PV-5","from":"2023-05-01","to":"2023-05-31","generated_kwh":300,"sold_kwh":100}
{"equipment":"PV-5","from":"2023-06-01","to":"2023-06-30","generated_kwh":300,"sold_kwh":100}
EOR
check "four readings of two panels of one member in one run: 4 x 134 points" sh -c "CHOBO_NOW=2025-06-01T00:00:00Z ecopt-grant -q -L '$A' --register '$T/reg5.jsonl' >/dev/null &&
	CHOBO_NOW=2025-06-01T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/r5.jsonl' | grep -c '\"points\":134' | grep -qx 4"
check "... the member's balance is their sum" sh -c "CHOBO_NOW=2025-06-02T00:00:00Z ecopt-redeem -L '$A' balance --holder $P5 | grep -q '\"balance\":536'"
check "... the panel's record ends with its last reading" sh -c "chain-view -L '$A' eco.registry equip/PV-5 | grep -q '\"last\":\"2023-06-30\"'"
CHOBO_NOW=2025-06-01T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/r5.jsonl" >"$T/r5.out"
check "... a re-run of that run: 4 duplicates" test "$(grep -c duplicate "$T/r5.out")" = 4
# The same with the reducers' memos bounded to a byte (CHOBO_LIMIT_VIEW_MEMO_BYTES): written and
# forgotten after every entry.
sed "s/$P5/$P6/; s/PV-5/PV-7/; s/PV-6/PV-8/; s/SN-PV-0005/SN-PV-0007/; s/SN-PV-0006/SN-PV-0008/" "$T/reg5.jsonl" >"$T/reg6.jsonl"
sed "s/PV-5/PV-7/; s/PV-6/PV-8/" "$T/r5.jsonl" >"$T/r6.jsonl"
check "... and again with the memos bounded to a byte: 4 x 134 points" sh -c "export CHOBO_LIMIT_VIEW_MEMO_BYTES=1 CHOBO_NOW=2025-06-01T00:00:00Z &&
	ecopt-grant -q -L '$A' --register '$T/reg6.jsonl' >/dev/null &&
	ecopt-grant -L '$A' --factors '$F' '$T/r6.jsonl' | grep -c '\"points\":134' | grep -qx 4"
check "... the member's balance is their sum" sh -c "CHOBO_NOW=2025-06-02T00:00:00Z ecopt-redeem -L '$A' balance --holder $P6 | grep -q '\"balance\":536'"
# A spend on B of an account opened on A at a later time than B's clock reads: in the merge order
# the account is not open yet, but B holds it, and its home node is said.
copy "$A" "$OA" "$B"
check_exit 65 "a spend on B dated before the account's opening on A is refused" env CHOBO_NOW=2025-05-31T00:00:00Z ecopt-redeem -L "$B" spend --member $P6 --shop shop-1 --points 10 --ref buy-b2
check "... naming the home node, not a missing account" sh -c "grep -q \"$P6's home node is $OA: spend there, not on $OB\" '$T/last.err' &&
	! grep -q 'no eco account' '$T/last.err'"
check_exit 65 "... and so is a settlement of A's shop on B" env CHOBO_NOW=2025-05-31T00:00:00Z ecopt-redeem -L "$B" settle --shop shop-1 --points 1 --ref pay-b2
check "... naming the home node" grep -q "shop-1's home node is $OA: settle there, not on $OB" "$T/last.err"
# Standard output lost after a movement is stored: the message names it, and a retry is a duplicate.
n=$(count "$A")
check_exit 3 "a spend with standard output failing (/dev/full): exit 3, stored" sh -c "
	CHOBO_NOW=2025-06-03T00:00:00Z ecopt-redeem -L '$A' spend --member $P6 --shop shop-1 --points 6 --ref buy-full >/dev/full"
check "... the message names the entry recorded and says the same request again is a duplicate" grep -q \
	"standard output could not be written: .*; the points.debit is recorded, as entry $n of $OA (leaf hash [0-9a-f]\{64\}): the same request again is a duplicate" "$T/last.err"
check "... which it is: the ledger holds the spend once" sh -c "
	CHOBO_NOW=2025-06-03T00:01:00Z ecopt-redeem -L '$A' spend --member $P6 --shop shop-1 --points 6 --ref buy-full |
	grep -q '\"result\":\"duplicate\",\"leaf_index\":$n,' && [ \$(chain-log -L '$A' | wc -l) -eq $((n + 1)) ]"
for d in "$A" "$B"; do
	check "chain-verify --views --index passes on $(basename "$d")" chain-verify -L "$d" --views --index
done
done_testing
