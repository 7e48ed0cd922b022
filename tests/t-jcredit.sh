#!/bin/sh
# The J-Credit monitoring report (jcredit-export) on two nodes joined by
# chain-export / chain-import bundles, and the Tama programme's figures on a
# third ledger.  The formulas' worked examples (t-eco.sh works them out by
# hand for ecopt-grant) are checked here as the report's rows:
#
# Factors ($T/factors.json, the shipped table plus a test value for FY2024):
# grid FY2022 0.649, FY2023 0.672, FY2024 0.600 kg/kWh; gasoline 2.32 kg/L.
#
# (the report's rows go in the order of the members' IDs, which the private
# stores choose; the checks find a row by its equipment)
#
#  member equipment  FY2023 activity                     baseline g  project g  reduction g
#  P1  PV-1  solar: 3,000 kWh generated, 1,000 sold:    2,000 x 0.672 = 1,344,000          0  1,344,000
#  P2  EV-1  10,000 km, 20 km/L, 1,500 kWh: 500 L x 2.32 = 1,160,000  1,500 x 0.672 = 1,008,000  152,000
#  P3  PHV-1 10,000 km, 20 km/L, 800 kWh, 100 L:        1,160,000  537,600 + 232,000 = 769,600  390,400
#  P4  PV-2  2023-03-22..04-10, 200 kWh / 100 sold, 20 days split 10/10 at April 1:
#                 FY2023 part 100 / 50 kWh: 50 x 0.672 = 33,600 (the FY2022 part, 50 x 0.649 = 32,450 g,
#                 is in the FY2022 report)
#  P5  PV-BIG 800,000 kWh self-consumed: 537,600,000 g, above 500 t-CO2 a year: not eligible
#  P6  PV-DUP (registered on B with PV-1's identifier hash): 1,000 kWh: 672,000 g: not eligible
#  P7  PV-OS  (registered in another scheme): 100 kWh: 67,200 g: not eligible
#
# Totals of the eligible rows: EN-R-002 1,377,600 g (2 rows), EV 152,000, PHV
# 390,400; 1,920,000 g.  With the 32,450 g the FY2022 certification carried
# (0 t certified): 1,952,450 g available, 1 t of credits, 952,450 g carried.
#
# Tama: 10,000 households x 1,950 kg (2,901.786 kWh self-consumed x 0.672 =
# 1,950,000.19 g, rounded down) = 19,500 t, x 2,536 yen/t = 49,452,000 yen;
# one more household with 1,486.608 kWh (999,000 g) makes 19,500.999 t:
# 19,500 credits and 999,000 g carried, which the FY2024 report adds to its
# 1,000 g (1.667 kWh x 0.600 = 1,000.2 g): 1 t, nothing carried.
. "${top_srcdir:-.}/tests/lib.sh"

A=$T/hachioji
B=$T/tachikawa
C=$T/tama
OA=tama.example/hachioji
OB=tama.example/tachikawa
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
new_ledger "$C" tama.example/tama
cat "$B/keys/node.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" >>"$B/trust/peers"
for d in "$A" "$B"; do echo "eco.certification_start = 2022-04-01" >>"$d/chobo.conf"; done
echo "eco.certification_start = 2023-04-01" >>"$C/chobo.conf"
python3 - "$top_srcdir/data/emission-factors.json" "$T/factors.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
f["version"] = "test-2024"
f["grid"]["2024"] = {"value": "0.600", "source": "a test value", "confirmed": False}
json.dump(f, open(sys.argv[2], "w"))
EOF
F=$T/factors.json
# The members: people in the private store of their home node (A, and B for P6).
set -- $(people "$A" resident 6)
P1=$1 P2=$2 P3=$3 P4=$4 P5=$5 P7=$6
P6=$(people "$B" resident 1)
SCHEME='{"type":"points.scheme","body":{"scheme":"eco","yen_per_point":1}}'
# rec FILE KIND [N]: the Nth (from 1) record of that kind in a JSON Lines report, as JSON.
rec() { python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["record"]==sys.argv[2]]; print(json.dumps(r[int(sys.argv[3])-1] if len(sys.argv)>3 else r, sort_keys=True))' "$@"; }
# has FILE KIND N|@FIELD=VALUE FIELD=VALUE...: the Nth record of that kind (from 1), or the first
# whose FIELD is VALUE, has those values.
has() {
	python3 - "$@" <<'EOF'
import json, sys
f, kind, n = sys.argv[1:4]
rs = [json.loads(l) for l in open(f) if json.loads(l)["record"] == kind]
if n.startswith("@"):
    k, v = n[1:].split("=", 1)
    rs = [r for r in rs if str(r.get(k)) == v]
    n = "1"
r = rs[int(n) - 1]
bad = [kv for kv in sys.argv[4:] if str(r.get(kv.split("=", 1)[0])) != kv.split("=", 1)[1]]
if bad:
    print("# differs:", bad, "in", json.dumps(r), file=sys.stderr)
    sys.exit(1)
EOF
}
# rowof CODE: the number of the row of equipment CODE in the FY2023 report of A (rows go in the
# order of the members' IDs, which the private stores chose).
rowof() { python3 -c 'import json,sys; print([r["row"] for r in map(json.loads, open(sys.argv[1])) if r["record"] == "row" and r["equipment"] == sys.argv[2]][0])' "$T/a.jsonl" "$1"; }
export_ab() { chain-export -L "$1" --log "$2" -o "$T/bundle" && chain-import -q -L "$3" "$T/bundle" >/dev/null; }

# ---- node A: members, equipment, FY2023 readings
echo "$SCHEME" | CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$A" >/dev/null
cat >"$T/reg-a.jsonl" <<EOR
{"member":"$P1","kind":"household","joined":"2023-03-01"}
{"member":"$P2","kind":"household","joined":"2023-03-01"}
{"member":"$P3","kind":"business","joined":"2023-03-01"}
{"member":"$P4","kind":"household","joined":"2023-03-01"}
{"member":"$P5","kind":"business","joined":"2023-03-01"}
{"member":"$P7","kind":"household","joined":"2023-03-01"}
{"code":"PV-1","member":"$P1","kind":"solar","capacity_w":3000,"serial":"SN-PV-0001","monitoring_from":"2023-03-01"}
{"code":"EV-1","member":"$P2","kind":"ev","baseline_m_per_l":20000,"baseline_fuel":"gasoline","serial":"VIN-1","monitoring_from":"2023-03-01"}
{"code":"PHV-1","member":"$P3","kind":"phv","baseline_m_per_l":20000,"baseline_fuel":"gasoline","serial":"VIN-2","monitoring_from":"2023-03-01"}
{"code":"PV-2","member":"$P4","kind":"solar","capacity_w":4000,"serial":"SN-PV-0002","monitoring_from":"2023-03-01"}
{"code":"PV-BIG","member":"$P5","kind":"solar","capacity_w":200000,"serial":"SN-PV-BIG","monitoring_from":"2023-03-01"}
{"code":"PV-OS","member":"$P7","kind":"solar","capacity_w":3000,"serial":"SN-PV-OS","monitoring_from":"2023-03-01","other_scheme":true}
EOR
CHOBO_NOW=2023-03-02T00:00:00Z ecopt-grant -q -L "$A" --register "$T/reg-a.jsonl" >/dev/null
cat >"$T/read-a.jsonl" <<EOR
{"equipment":"PV-1","from":"2023-04-01","to":"2024-03-31","generated_kwh":3000,"sold_kwh":1000}
{"equipment":"EV-1","from":"2023-04-01","to":"2024-03-31","distance_km":10000,"charged_kwh":1500}
{"equipment":"PHV-1","from":"2023-04-01","to":"2024-03-31","distance_km":10000,"charged_kwh":800,"fuel_l":100,"source":"manual"}
{"equipment":"PV-2","from":"2023-03-22","to":"2023-04-10","generated_kwh":200,"sold_kwh":100}
{"equipment":"PV-BIG","from":"2023-04-01","to":"2024-03-31","generated_kwh":800000,"sold_kwh":0}
{"equipment":"PV-OS","from":"2023-04-01","to":"2024-03-31","generated_kwh":100,"sold_kwh":0}
EOR
check "readings granted on A" sh -c "CHOBO_NOW=2024-04-10T00:00:00Z ecopt-grant -q -L '$A' --factors '$F' '$T/read-a.jsonl' >/dev/null"

# ---- node B, before it hears of A: a member whose panel has PV-1's identifier hash
hash=$(chain-log -L "$A" --type eco.equipment | python3 -c 'import json,sys; print([json.loads(l)["body"]["id_hash"] for l in sys.stdin if json.loads(l)["body"]["code"]=="PV-1"][0])')
echo "$SCHEME" | CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$B" >/dev/null
echo "{\"member\":\"$P6\",\"kind\":\"household\",\"joined\":\"2023-03-01\"}" >"$T/reg-b.jsonl"
CHOBO_NOW=2023-03-05T00:00:00Z ecopt-grant -q -L "$B" --register "$T/reg-b.jsonl" >/dev/null
printf '{"type":"eco.equipment","body":{"code":"PV-DUP","member":"%s","kind":"solar","capacity_w":3000,"id_hash":"%s","monitoring_from":"2023-03-01","other_scheme":false}}\n' "$P6" "$hash" |
	CHOBO_NOW=2023-03-05T00:01:00Z chain-append -L "$B" >/dev/null
echo '{"equipment":"PV-DUP","from":"2023-04-01","to":"2024-03-31","generated_kwh":1000,"sold_kwh":0}' >"$T/read-b.jsonl"
check "a reading granted on B" sh -c "CHOBO_NOW=2024-04-10T00:00:00Z ecopt-grant -q -L '$B' --factors '$F' '$T/read-b.jsonl' >/dev/null"
export_ab "$A" "$OA" "$B"
export_ab "$B" "$OB" "$A"

# ---- the certification period
check_exit 65 "a period before the certification period is refused" jcredit-export -L "$A" --fy 2021
check "... named" grep -q "not inside the certification period 2022-04-01 to 2030-03-31" "$T/last.err"
check_exit 65 "a period past 8 years from its start is refused" jcredit-export -L "$A" --fy 2030
check_exit 64 "--fy with --from is a usage error" jcredit-export -L "$A" --fy 2023 --from 2023-05-01
check "... saying why" grep -q -- "--fy is a period of its own" "$T/last.err"
check_exit 64 "--from 2023-04-31 is a usage error" jcredit-export -L "$A" --from 2023-04-31 --to 2023-05-31
check "... saying there is no such day" grep -q -- '--from: "2023-04-31": no such day' "$T/last.err"
check_exit 64 "--from without --to is a usage error" jcredit-export -L "$A" --from 2023-05-01
check "... saying what is missing" grep -q "a report needs its period" "$T/last.err"

# ---- FY2022, certified with 0 t: its 32,450 g are carried
jcredit-export -L "$A" --fy 2022 -o "$T/fy2022.jsonl"
check "FY2022: the PV-2 part before April 1, 32,450 g" has "$T/fy2022.jsonl" row 1 equipment=PV-2 generated_wh=100000 sold_wh=50000 reduction_g=32450
check "FY2022: 0 t of credits, 32,450 g carried" has "$T/fy2022.jsonl" credits 1 credits_t=0 carried_g=32450
check "FY2022 cites every log A holds, B's too, which has no reading of FY2022" sh -c "
	grep -q '\"record\":\"log\",\"log\":\"$OA\"' '$T/fy2022.jsonl' && grep -q '\"record\":\"log\",\"log\":\"$OB\"' '$T/fy2022.jsonl'"
check "FY2022 certified: 0 t, 32,450 g carried" sh -c "CHOBO_NOW=2024-05-01T00:00:00Z jcredit-export -L '$A' --certify '$T/fy2022.jsonl' --credits 0 --name FY2022 | grep -q eco.certification"
check "... on the ledger with the report's hash" sh -c "chain-log -L '$A' --type eco.certification | grep -q \"\\\"report_sha256\\\":\\\"$(sha256sum "$T/fy2022.jsonl" | cut -c1-64)\\\".*\\\"carried_g\\\":32450\""
n=$(chain-log -L "$A" | wc -l)
check "the same certification again (a retried script) is a duplicate, appending nothing" sh -c "
	CHOBO_NOW=2024-05-02T00:00:00Z jcredit-export -L '$A' --certify '$T/fy2022.jsonl' --credits 0 --name FY2022 |
	grep -q '\"result\":\"duplicate\",\"leaf_index\":[0-9]*,\"leaf_hash\":\"[0-9a-f]*\",.*\"type\":\"eco.certification\"' &&
	test \$(chain-log -L '$A' | wc -l) -eq $n"
jcredit-export -L "$A" --fy 2022 --csv -o "$T/fy2022.csv"
check_exit 65 "a second certification of FY2022, of another report, is refused" env CHOBO_NOW=2024-05-02T00:00:00Z jcredit-export -L "$A" --certify "$T/fy2022.csv" --credits 0
check "... naming the one recorded" grep -q "a certification of the period from 2022-04-01 is already recorded (entry [0-9a-f]*)" "$T/last.err"
CHOBO_NOW=2024-05-01T00:00:00Z jcredit-export -L "$A" --from 2024-04-01 --to 2024-05-01 -o "$T/open.jsonl" 2>/dev/null
check_exit 65 "a period not over (it ends today) is not certified" env CHOBO_NOW=2024-05-01T00:00:00Z jcredit-export -L "$A" --certify "$T/open.jsonl" --credits 0
check "... saying so, and nothing was appended" sh -c "
	grep -q 'the period ends on 2024-05-01, which is not over (today is 2024-05-01 in Japan)' '$T/last.err' &&
	test \$(chain-log -L '$A' | wc -l) -eq $n"
check "a report over a period that overlaps a certified one is written" sh -c "jcredit-export -L '$A' --from 2022-06-01 --to 2024-03-31 >'$T/over.jsonl' 2>'$T/over.err'"
check "... with a warning naming the certified period, which overlaps it (not within it)" grep -q "the report certified for 2022-04-01 to 2023-03-31 overlaps this period: its readings of the days both share are counted again" "$T/over.err"
check "a report over a period that holds the certified one is warned of too" sh -c "jcredit-export -L '$A' --from 2022-04-01 --to 2024-03-31 2>&1 >/dev/null | grep -q 'the report certified for 2022-04-01 to 2023-03-31 overlaps this period'"
check "a report after the certified period has no such warning" sh -c "jcredit-export -L '$A' --fy 2023 2>&1 >/dev/null | grep -c 'overlaps this period' | grep -qx 0"
check_exit 65 "a certification that does not add up is refused" sh -c "printf '%s\n' '{\"type\":\"eco.certification\",\"body\":{\"report\":\"x\",\"from\":\"2023-04-01\",\"to\":\"2024-03-31\",\"report_sha256\":\"$hash\",\"reduction_g\":1500000,\"carried_in_g\":32450,\"certified_t\":1,\"carried_g\":1}}' | CHOBO_NOW=2024-05-03T00:00:00Z chain-append -L '$A'"
check_exit 65 "a certification that does not take over the carried remainder is refused" sh -c "printf '%s\n' '{\"type\":\"eco.certification\",\"body\":{\"report\":\"x\",\"from\":\"2023-04-01\",\"to\":\"2024-03-31\",\"report_sha256\":\"$hash\",\"reduction_g\":1500000,\"carried_in_g\":0,\"certified_t\":1,\"carried_g\":500000}}' | CHOBO_NOW=2024-05-03T00:00:00Z chain-append -L '$A'"
check "... named" grep -q "the last certification carried 32450 g" "$T/last.err"

# ---- FY2023 on A, rows by hand
jcredit-export -L "$A" --fy 2023 --price 2536 -o "$T/a.jsonl" 2>"$T/a.err"
check "PV-1: solar household, 3,000 / 1,000 kWh: 1,344,000 g" has "$T/a.jsonl" row @equipment=PV-1 member=$P1 member_kind=household equipment=PV-1 methodology=EN-R-002 generated_wh=3000000 sold_wh=1000000 baseline_g=1344000 project_g=0 reduction_g=1344000 eligible=yes
check "EV-1: EV, 10,000 km, 20 km/L, 1,500 kWh: 1,160,000 - 1,008,000 = 152,000 g" has "$T/a.jsonl" row @equipment=EV-1 methodology=EV distance_m=10000000 charged_wh=1500000 baseline_g=1160000 project_g=1008000 reduction_g=152000
check "PHV-1: PHV with 100 L burned: 1,160,000 - 769,600 = 390,400 g" has "$T/a.jsonl" row @equipment=PHV-1 methodology=PHV member_kind=business fuel_ml=100000 charged_wh=800000 project_g=769600 reduction_g=390400
check "PV-2: the reading across March 31 / April 1, its FY2023 part: 33,600 g" has "$T/a.jsonl" row @equipment=PV-2 generated_wh=100000 sold_wh=50000 reduction_g=33600
check "PV-BIG: a member above 500 t-CO2 a year is not eligible" has "$T/a.jsonl" row @equipment=PV-BIG reduction_g=537600000 eligible=no
check "... and reported" has "$T/a.jsonl" finding @member=$P5 row=$(rowof PV-BIG) "finding=member above 500 t-CO2 in FY2023: 537600000 g"
check "PV-DUP: the double-registered panel is not eligible" has "$T/a.jsonl" row @equipment=PV-DUP log=$OB reduction_g=672000 eligible=no
check "... and reported" has "$T/a.jsonl" finding @row=$(rowof PV-DUP) "finding=registered twice: the same identifier as equipment PV-1"
check "PV-OS: a panel in another scheme is not eligible, and reported" has "$T/a.jsonl" finding @equipment=PV-OS row=$(rowof PV-OS) "finding=registered in another scheme"
check "... jcredit-export says there are findings" grep -q "3 findings" "$T/a.err"
check "total EN-R-002 of the eligible rows: 1,377,600 g" has "$T/a.jsonl" total 1 methodology=EN-R-002 rows=2 generated_wh=3100000 sold_wh=1050000 reduction_g=1377600
check "total EV: 152,000 g" has "$T/a.jsonl" total 2 methodology=EV rows=1 reduction_g=152000
check "total PHV: 390,400 g" has "$T/a.jsonl" total 3 methodology=PHV rows=1 reduction_g=390400
check "credits: 1,920,000 + 32,450 carried = 1 t, 952,450 g carried, 2,536 yen" has "$T/a.jsonl" credits 1 reduction_g=1920000 carried_in_g=32450 available_g=1952450 credits_t=1 carried_g=952450 price_yen_per_t=2536 revenue_yen=2536
check "every row names its readings in its log, and the checkpoint; their parts in the period add up to the row" python3 - "$T/a.jsonl" "$A" <<'EOF'
import json, subprocess, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
logs = {r["log"]: r["checkpoint"] for r in recs if r["record"] == "log"}
rep = [r for r in recs if r["record"] == "report"][0]
for r in (r for r in recs if r["record"] == "row"):
    assert r["checkpoint"] == logs[r["log"]] and r["readings"] and "reductions" not in r, r
    g = 0
    for i in r["readings"]:
        e = json.loads(subprocess.check_output(["chain-log", "-L", sys.argv[2], "--log", r["log"], "--from", str(i), "--to", str(i)]).decode())
        assert e["type"] == "eco.reading" and e["body"]["equipment"] == r["equipment"] and i < r["checkpoint"], (e, r)
        g += sum(p["reduction_g"] for p in e["body"]["parts"] if rep["from"] <= p["to"] <= rep["to"])
    assert g == r["reduction_g"], (g, r)
EOF

# ---- the same report on B, byte for byte, once B holds what A holds
export_ab "$A" "$OA" "$B"
jcredit-export -L "$B" --fy 2023 --price 2536 -o "$T/b.jsonl" 2>/dev/null
check "B builds the same report, byte for byte (JSON)" cmp "$T/a.jsonl" "$T/b.jsonl"
jcredit-export -L "$A" --fy 2023 --price 2536 --csv --bom -o "$T/a.csv" 2>/dev/null
jcredit-export -L "$B" --fy 2023 --price 2536 --csv --bom -o "$T/b.csv" 2>/dev/null
check "... and CSV" cmp "$T/a.csv" "$T/b.csv"
check "the CSV starts with a UTF-8 BOM and ends lines with CRLF" sh -c "head -c 3 '$T/a.csv' | od -An -tx1 | grep -q 'ef bb bf' && head -1 '$T/a.csv' | grep -q \"\$(printf '\\r')\$\""
check "... a row in it" grep -q "^row,$(rowof PV-1),$P1,household,PV-1,EN-R-002,,,,,3000000,1000000,0,0,0,1344000,0,1344000,yes," "$T/a.csv"

# ---- --check
check "--check: the report matches the ledger, row by row" sh -c "jcredit-export -L '$B' --check '$T/a.jsonl' >'$T/chk.out' && test \$(grep -c '\"result\":\"matches\"' '$T/chk.out') -eq \$(wc -l <'$T/a.jsonl')"
check "--check of the CSV report" jcredit-export -q -L "$A" --check "$T/a.csv"
sed 's/"reduction_g":390400,"eligible"/"reduction_g":390401,"eligible"/' "$T/a.jsonl" >"$T/edited.jsonl"
check_exit 1 "--check finds an edited number" jcredit-export -L "$A" --check "$T/edited.jsonl"
check "... and names the row" grep -q "row $(rowof PHV-1) (equipment PHV-1): reduction_g is \"390401\" in the report, \"390400\" on the ledger" "$T/last.err"
check "... in its output too" grep -q "\"record\":\"row $(rowof PHV-1) (equipment PHV-1)\",\"result\":\"differs\",\"field\":\"reduction_g\"" "$T/last.out"
sed 's#\([0-9]\{4\}\)-0*\([1-9][0-9]*\)-0*\([1-9][0-9]*\)#\1/\2/\3#g' "$T/a.csv" >"$T/excel.csv"
check_exit 65 "--check of a CSV whose dates a spreadsheet rewrote (2023/5/1)" jcredit-export -L "$A" --check "$T/excel.csv"
check "... says the dates must be YYYY-MM-DD, and why they may not be" grep -q 'must be dates as YYYY-MM-DD, got "[0-9]*/[0-9]*/[0-9]*".*spreadsheet' "$T/last.err"
grep -v "^{\"record\":\"row\",\"row\":$(rowof EV-1)," "$T/a.jsonl" >"$T/cut.jsonl"   # a row without findings
check_exit 1 "--check of a report with a row left out" jcredit-export -L "$A" --check "$T/cut.jsonl"
check "... names that row as missing" grep -q "row $(rowof EV-1) (equipment EV-1): missing from the report" "$T/last.err"
check "... and only it: the rows after it and the totals still match" grep -q '1 of [0-9]* records do not match' "$T/last.err"
sed 's/^credits,\(.*\),2536,2536/credits,\1,2536,2537/' "$T/a.csv" >"$T/edited.csv"
check_exit 1 "--check finds an edited revenue in the CSV" jcredit-export -q -L "$A" --check "$T/edited.csv"
check "... and names it" grep -q 'credits: revenue_yen is "2537"' "$T/last.err"
check_exit 65 "an edited report is not certified" env CHOBO_NOW=2024-06-01T00:00:00Z jcredit-export -L "$A" --certify "$T/edited.jsonl" --credits 1
check_exit 65 "more credits than the report has are not certified" env CHOBO_NOW=2024-06-01T00:00:00Z jcredit-export -L "$A" --certify "$T/a.jsonl" --credits 2
check_exit 65 "a report that is not one is refused" sh -c "echo '{\"record\":\"bogus\"}' >'$T/junk' && jcredit-export -L '$A' --check '$T/junk'"
# New entries after the report do not change it: it is built on its checkpoints.
echo '{"type":"note","body":{"text":"later"}}' | CHOBO_NOW=2024-06-01T00:00:00Z chain-append -L "$A" >/dev/null
check "--check after more entries: still matches" jcredit-export -q -L "$A" --check "$T/a.jsonl"
# Nor do another node's readings of the period that reach A later: D's log, which the report
# does not cite, counts nothing in a check; a report built again has D's row.
D=$T/hino
OD=tama.example/hino
new_ledger "$D" "$OD"
echo "eco.certification_start = 2022-04-01" >>"$D/chobo.conf"
cat "$D/keys/node.pub" >>"$A/trust/peers"
P8=$(people "$D" resident 1)
echo "$SCHEME" | CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$D" >/dev/null
printf '%s\n' "{\"member\":\"$P8\",\"kind\":\"household\",\"joined\":\"2023-03-01\"}" \
	"{\"code\":\"PV-HINO\",\"member\":\"$P8\",\"kind\":\"solar\",\"capacity_w\":3000,\"serial\":\"SN-HINO-1\",\"monitoring_from\":\"2023-03-01\"}" |
	CHOBO_NOW=2023-03-05T00:00:00Z ecopt-grant -q -L "$D" --register >/dev/null
echo '{"equipment":"PV-HINO","from":"2023-04-01","to":"2024-03-31","generated_kwh":2000,"sold_kwh":500}' |
	CHOBO_NOW=2024-06-02T00:00:00Z ecopt-grant -q -L "$D" --factors "$F" >/dev/null
check "D's FY2023 reading reaches A" export_ab "$D" "$OD" "$A"
check_exit 0 "--check after another node's readings of the period arrived: still matches" \
	jcredit-export -L "$A" --check "$T/a.jsonl"
check "... saying that nothing of D's log, which the report does not cite, is checked" grep -q \
	"a.jsonl: log $OD, held here, has readings of the period but is not cited by the report: nothing of it is checked" "$T/last.err"
check "... and the report built again has D's row" sh -c "
	jcredit-export -L '$A' --fy 2023 2>/dev/null | grep -q '\"equipment\":\"PV-HINO\"'"

# ---- histories
CHOBO_NOW=2024-06-01T12:00:00Z ecopt-redeem -q -L "$A" shop --shop shop-1 >/dev/null
CHOBO_NOW=2024-06-02T00:00:00Z ecopt-redeem -q -L "$A" spend --member $P1 --shop shop-1 --points 500 --ref buy-1 >/dev/null
CHOBO_NOW=2024-06-02T00:00:00Z ecopt-redeem -L "$A" history --holder $P1 >"$T/h.jsonl"
check "history (JSON): the grant's credit, then the spend" sh -c "test \$(wc -l <'$T/h.jsonl') -eq 2 && head -1 '$T/h.jsonl' | grep -q '\"movement\":\"credit\",\"points\":1344,' && tail -1 '$T/h.jsonl' | grep -q '\"movement\":\"debit\",\"points\":500,.*\"other\":\"shop-1\",\"counted\":true'"
check "history (CSV)" sh -c "CHOBO_NOW=2024-06-02T00:00:00Z ecopt-redeem -L '$A' history --holder $P1 --csv | sed -n 3p | grep -q ',debit,500,0,buy-1,shop-1,yes,'"
check "a shop's history: what it received" sh -c "ecopt-redeem -L '$A' history --holder shop-1 | grep -q '\"movement\":\"received\",\"points\":500,.*\"other\":\"$P1\"'"

# ---- the Tama programme on ledger C
echo "$SCHEME" | CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$C" >/dev/null
"$top_srcdir/bench/eco-gen" people 10001 | chain-private -L "$C" add >"$T/tama-ids.jsonl"
"$top_srcdir/bench/eco-gen" register 10001 "$T/tama-ids.jsonl" >"$T/tama-reg.jsonl"
CHOBO_NOW=2023-03-02T00:00:00Z ecopt-grant -q -L "$C" --register "$T/tama-reg.jsonl" >/dev/null
{
	"$top_srcdir/bench/eco-gen" readings 10000 2023 0 PV- 2901.786
	echo '{"equipment":"PV-010000","from":"2023-04-01","to":"2024-03-31","generated_kwh":2486.608,"sold_kwh":1000}'
} >"$T/tama-read.jsonl"
check "Tama: 10,001 readings granted" sh -c "CHOBO_NOW=2024-04-10T00:00:00Z ecopt-grant -q -L '$C' --factors '$F' '$T/tama-read.jsonl' | grep -c '\"reduction_g\":1950000,' | grep -qx 10000"
jcredit-export -L "$C" --fy 2023 --price 2536 -o "$T/tama.jsonl"
check "Tama: 10,001 rows" test "$(grep -c '"record":"row"' "$T/tama.jsonl")" -eq 10001
check "Tama: 19,500.999 t give 19,500 credits, 0.999 t carried, 49,452,000 yen" has "$T/tama.jsonl" credits 1 reduction_g=19500999000 credits_t=19500 carried_g=999000 price_yen_per_t=2536 revenue_yen=49452000
check_exit 3 "Tama's certification whose receipt cannot be written: exit 3, stored" sh -c "
	CHOBO_NOW=2024-05-01T00:00:00Z jcredit-export -L '$C' --certify '$T/tama.jsonl' --credits 19500 >/dev/full"
check "... saying it is recorded and that the same command again is a duplicate" \
	grep -q "the certification is recorded, as entry [0-9]* ([0-9a-f]*), but its receipt was not written; the same --certify again is a duplicate that prints it" "$T/last.err"
check "... which it is" sh -c "CHOBO_NOW=2024-05-01T00:01:00Z jcredit-export -L '$C' --certify '$T/tama.jsonl' --credits 19500 |
	grep -q '\"result\":\"duplicate\"' && test \$(chain-log -L '$C' --type eco.certification | wc -l) -eq 1"
echo '{"equipment":"PV-010000","from":"2024-04-01","to":"2025-03-31","generated_kwh":1001.667,"sold_kwh":1000}' >"$T/tama-2024.jsonl"
CHOBO_NOW=2025-04-10T00:00:00Z ecopt-grant -q -L "$C" --factors "$F" "$T/tama-2024.jsonl" >/dev/null
# A reading recorded late, in FY2023 which was certified: granted, its part marked, and said.
Q=$(echo '{"identifier":"late-1","name":"遅 一"}' | chain-private -L "$C" add | sed -n 's/^{"id":"\(p-[0-9a-f]*\)".*/\1/p')
printf '%s\n' "{\"member\":\"$Q\",\"kind\":\"household\",\"joined\":\"2023-04-01\"}" \
	"{\"code\":\"PV-LATE\",\"member\":\"$Q\",\"kind\":\"solar\",\"capacity_w\":3000,\"serial\":\"SN-LATE-1\",\"monitoring_from\":\"2024-02-01\"}" |
	CHOBO_NOW=2025-04-10T00:01:00Z ecopt-grant -q -L "$C" --register >/dev/null
echo '{"equipment":"PV-LATE","from":"2024-02-01","to":"2024-03-31","generated_kwh":300,"sold_kwh":0}' >"$T/late.jsonl"
check "a reading of the certified FY2023, recorded late, is granted" sh -c "
	CHOBO_NOW=2025-04-10T00:02:00Z ecopt-grant -L '$C' --factors '$F' '$T/late.jsonl' >'$T/late.out' 2>'$T/late.err' &&
	grep -q '\"result\":\"granted\"' '$T/late.out'"
check "... its part marked as in the certified period" grep -q '"fy":2023,"from":"2024-02-01","to":"2024-03-31","reduction_g":[0-9]*,"certified":"2023-04-01 to 2024-03-31"' "$T/late.out"
check "... and said on standard error" grep -q "1 part of these readings lies in a period certified already" "$T/late.err"
jcredit-export -L "$C" --fy 2024 -o "$T/tama-2024.out"
check "the next report adds the carried 0.999 t: 1,000 g + 999,000 g = 1 t, nothing carried" has "$T/tama-2024.out" credits 1 reduction_g=1000 carried_in_g=999000 available_g=1000000 credits_t=1 carried_g=0
sed -i 's/^eco.certification_start = .*/eco.certification_start = 2025-04-01/' "$C/chobo.conf"
check "a certification period never goes beyond 2031-03-31" sh -c "jcredit-export -L '$C' --fy 2030 | head -1 | grep -q '\"certification_end\":\"2031-03-31\"'"
check_exit 65 "... a period after it is refused" jcredit-export -L "$C" --from 2031-04-01 --to 2031-04-30
sed -i '/^eco.certification_start/d' "$C/chobo.conf"
check_exit 78 "no eco.certification_start: refused" jcredit-export -L "$C" --fy 2024

# ---- a secret the programme's nodes share: one panel registered on two nodes is recognised
E=$T/fuchu G=$T/chofu OE=tama.example/fuchu OG=tama.example/chofu
new_ledger "$E" "$OE"
new_ledger "$G" "$OG"
cat "$G/keys/node.pub" >>"$E/trust/peers"
cat "$E/keys/node.pub" >>"$G/trust/peers"
check "chain-private new-secret writes a shared secret, readable by its owner alone" sh -c "
	chain-private new-secret '$T/programme.secret' && test \$(stat -c %a '$T/programme.secret') = 600 &&
	grep -qx '[0-9a-f]\{64\}' '$T/programme.secret'"
check_exit 73 "... and never replaces one" chain-private new-secret "$T/programme.secret"
check "... saying so" grep -q "a secret is there already; it is never replaced" "$T/last.err"
for d in "$E" "$G"; do
	cp "$T/programme.secret" "$d/private/programme.secret" 2>/dev/null ||
		{ mkdir -m 700 -p "$d/private" && cp "$T/programme.secret" "$d/private/programme.secret"; }
	chmod 600 "$d/private/programme.secret"
	printf 'eco.certification_start = 2022-04-01\neco.equipment_secret = private/programme.secret\n' >>"$d/chobo.conf"
	echo "$SCHEME" | CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$d" >/dev/null
done
QE=$(people "$E" resident 1)
QG=$(people "$G" resident 1)
reg_panel() {   # reg_panel DIR MEMBER CODE: the member and a panel with serial SN-SHARED-1
	printf '%s\n' "{\"member\":\"$2\",\"kind\":\"household\",\"joined\":\"2023-03-01\"}" \
		"{\"code\":\"$3\",\"member\":\"$2\",\"kind\":\"solar\",\"capacity_w\":3000,\"serial\":\"SN-SHARED-1\",\"monitoring_from\":\"2023-03-01\"}" |
		CHOBO_NOW=2023-03-05T00:00:00Z ecopt-grant -q -L "$1" --register >/dev/null
}
check "while apart, E and G each register a panel with one serial" sh -c "$(declare -f reg_panel); reg_panel '$E' $QE PV-E && reg_panel '$G' $QG PV-G"
check "... which has the same identifier hash on both" sh -c "
	test \"\$(chain-log -L '$E' --type eco.equipment | sed 's/.*\"id_hash\":\"\([0-9a-f]*\)\".*/\1/')\" = \
	     \"\$(chain-log -L '$G' --type eco.equipment | sed 's/.*\"id_hash\":\"\([0-9a-f]*\)\".*/\1/')\""
for x in "$G PV-G" "$E PV-E"; do
	set -- $x
	echo "{\"equipment\":\"$2\",\"from\":\"2023-04-01\",\"to\":\"2024-03-31\",\"generated_kwh\":1000,\"sold_kwh\":0}" |
		CHOBO_NOW=2024-04-10T00:00:00Z ecopt-grant -q -L "$1" --factors "$F" >/dev/null
done
check "G's log reaches E" export_ab "$G" "$OG" "$E"
check "E's report finds the panel registered twice (G's, first in the merge order, stands)" sh -c "
	jcredit-export -L '$E' --fy 2023 2>/dev/null | grep -q '\"finding\":\"registered twice: the same identifier as equipment PV-G\"'"
check_exit 65 "registering the serial again on E under another code is refused" sh -c "
	echo '{\"code\":\"PV-E2\",\"member\":\"$QE\",\"kind\":\"solar\",\"capacity_w\":3000,\"serial\":\"SN-SHARED-1\",\"monitoring_from\":\"2023-03-01\"}' |
	CHOBO_NOW=2024-04-11T00:00:00Z ecopt-grant -L '$E' --register"
check "... as a double registration" grep -q "double registration: this identifier is already registered as equipment PV-G" "$T/last.err"
chmod 640 "$E/private/programme.secret"
check_exit 77 "a shared secret others may read is refused" sh -c "
	echo '{\"code\":\"PV-E3\",\"member\":\"$QE\",\"kind\":\"solar\",\"capacity_w\":3000,\"serial\":\"SN-OTHER-3\",\"monitoring_from\":\"2023-03-01\"}' |
	CHOBO_NOW=2024-04-11T00:00:00Z ecopt-grant -L '$E' --register"
check "... naming it" grep -q "programme.secret: a secret must be a regular file that only its owner can read" "$T/last.err"
chmod 600 "$E/private/programme.secret"

for d in "$A" "$B" "$C" "$E" "$G"; do
	check "chain-verify --views --index passes on $(basename "$d")" chain-verify -L "$d" --views --index
done
done_testing
