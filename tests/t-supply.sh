#!/bin/sh
# Relief supplies on two nodes: two shelters, three supporters, needs with
# allergen and size attributes, offers with expiry, requests, boxes shipped
# on the offer's home node, receipts (one short), a box never received;
# supply-status at each step, byte-identical on both nodes after the
# exchange; every refusal of the rules (exit 65, nothing appended); CSV with
# a BOM and CRLF; a sheet's --dry-run; chain-verify --views --index.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/supply-nodes.sh"
CATALOGUE=$top_srcdir/data/supply-items.jsonl

# status DIR TIME [ARGS]: supply-status at TIME.
status() {
	d=$1 t=$2
	shift 2
	CHOBO_NOW=$t supply-status -L "$d" "$@"
}
# row DIR TIME SITE ITEM FIELD: one number of the site and item's row.
row() {
	status "$1" "$2" --site "$3" --item "$4" |
		python3 -c 'import json, sys; r = [json.loads(l) for l in sys.stdin]; print(r[0][sys.argv[1]] if r else "none")' "$5"
}
count() { chain-log -L "$1" | wc -l; }
# refused DESC DIR ARGS...: supply-post ARGS exits 65 with the message in $T/last.err, nothing appended.
refused() {
	desc=$1 d=$2
	shift 2
	before=$(count "$d")
	check_exit 65 "refused: $desc" env CHOBO_NOW="${NOW:-2025-06-06T13:00:00Z}" supply-post -L "$d" "$@"
	after=$(count "$d")
	check "... and nothing was appended ($desc)" test "$before" -eq "$after"
}

T0=2025-06-01T09:00:00Z
# The catalogue and the sites are posted on A and reach B with the first exchange.
check "the catalogue loads with supply-post item" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' item '$CATALOGUE' >'$T/items.out'"
check "... one receipt per catalogue line" test "$(wc -l <"$T/items.out")" -eq "$(wc -l <"$CATALOGUE")"
check "a site by options, with its public Japanese name" post "$A" $T0 site --code S-001 \
	--name 八王子市立第一小学校 --municipality 八王子市 --role shelter --open true --evacuees 240 \
	--evacuees-infant 12 --evacuees-elderly 40
check "sites as CSV with a BOM and CRLF line ends" sh -c "printf '\\357\\273\\277code,name,municipality,role,open,evacuees\\r\\nS-002,立川市立第二中学校,立川市,shelter,true,180\\r\\nO-001,立川市役所,立川市,office,true,\\r\\n' |
	CHOBO_NOW=$T0 supply-post -q -L '$A' site >'$T/sites.out'"
check "... two receipts" test "$(wc -l <"$T/sites.out")" -eq 2
check "supply.sites holds the three codes" sh -c "chain-view -L '$A' supply.sites | grep -c '\"key\"' | grep -qx 3"

# Needs: S-001 needs size M diapers and allergy-friendly rice; S-002 water.
N1=$(post "$A" $T0 need --site S-001 --item diaper-m --quantity 30 --unit パック --size M --disaster d-2025) ||
	N1=none
N2=$(post "$A" $T0 need --site S-001 --item alpha-rice-af --quantity 200 --unit 食 \
	--allergen-free egg,milk,wheat --priority 1 --deadline 2025-06-05T00:00:00+09:00 --disaster d-2025) || N2=none
printf '{"site":"S-002","item":"water-2l","quantity":120,"unit":"本","disaster":"d-2025"}\n' >"$T/need.jsonl"
N3=$(post "$A" $T0 need "$T/need.jsonl") || N3=none
check "three needs posted (options, options, JSON Lines)" test "$N1" != none -a "$N2" != none -a "$N3" != none
check "status: S-001 needs 30 packs of diaper-m, all open" \
	test "$(row "$A" $T0 S-001 diaper-m needed) $(row "$A" $T0 S-001 diaper-m open)" = "30 30"

# Supporters: two pseudonymous (IDs from chain-private on B), one firm by its public name.
P1=$(chain-private add -L "$B" --identifier sup-1 --name 山田太郎 --mail yamada@example.jp |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
P2=$(chain-private add -L "$B" --identifier sup-2 --name 佐藤花子 |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
check "two supporters' pseudonymous IDs from chain-private" test -n "$P1" -a -n "$P2"
check "first exchange: A's logs into B" copy "$A" "$B"

T1=2025-06-01T12:00:00Z
O1=$(post "$B" $T1 offer --item diaper-m --quantity 20 --unit パック --size M --firm 株式会社多摩ベビー \
	--need "$(echo "$N1" | cut -c1-12)") || O1=none
O2=$(post "$B" $T1 offer --item diaper-m --quantity 15 --unit パック --size M --supporter "$P1") || O2=none
O3=$(post "$B" $T1 offer --item alpha-rice-af --quantity 150 --unit 食 --allergen-free egg,milk,wheat \
	--expiry 2026-03-31 --supporter "$P2") || O3=none
check "three offers on B: one pledged against a need by a hash prefix, two free, one with expiry" \
	test "$O1" != none -a "$O2" != none -a "$O3" != none
check "the pledge is stored with the need's whole leaf hash" sh -c \
	"chain-log -L '$B' --type supply.offer | grep -q '\"need\":\"$N1\"'"
check "status on B: diaper-m at S-001 offered 20, open 10" \
	test "$(row "$B" $T1 S-001 diaper-m offered) $(row "$B" $T1 S-001 diaper-m open)" = "20 10"
check "second exchange: B's offers into A" copy "$B" "$A"

T2=2025-06-01T15:00:00Z
R1=$(post "$A" $T2 request --offer "$O1" --quantity 20 --site S-001) || R1=none
R2=$(post "$A" $T2 request --offer "$O2" --quantity 10 --site S-001 --need "$N1") || R2=none
R3=$(post "$A" $T2 request --offer "$O3" --quantity 150 --site S-001 --need "$N2") || R3=none
check "A requests from all three offers" test "$R1" != none -a "$R2" != none -a "$R3" != none
check "status on A: diaper-m requested 30, open 0" \
	test "$(row "$A" $T2 S-001 diaper-m requested) $(row "$A" $T2 S-001 diaper-m open)" = "30 0"
check "status on A: alpha-rice-af requested 150, open 50" \
	test "$(row "$A" $T2 S-001 alpha-rice-af requested) $(row "$A" $T2 S-001 alpha-rice-af open)" = "150 50"
check "third exchange: A's requests into B" copy "$A" "$B"

T3=2025-06-02T09:00:00Z
S1=$(post "$B" $T3 ship --request "$R1" --box 1 --quantity 10) || S1=none
S2=$(post "$B" $T3 ship --request "$R1" --box 2 --quantity 10) || S2=none
S3=$(post "$B" $T3 ship --request "$R2" --box 1 --quantity 10) || S3=none
S4=$(post "$B" $T3 ship --request "$R3" --box 1 --quantity 150 --expiry 2026-03-31) || S4=none
check "B ships four boxes" test "$S1" != none -a "$S2" != none -a "$S3" != none -a "$S4" != none
check "status on B: diaper-m shipped 30, 3 boxes in transit" \
	test "$(row "$B" $T3 S-001 diaper-m shipped) $(row "$B" $T3 S-001 diaper-m in_transit)" = "30 3"
check "fourth exchange: B's boxes into A" copy "$B" "$A"

T4=2025-06-03T10:00:00Z
check "A receives box 1 of R1 in full" post "$A" $T4 receive --shipment "$S1" --quantity 10
check "A receives box 1 of R2 short" post "$A" $T4 receive --shipment "$S3" --quantity 8 --discrepancy short
check "A receives the rice" post "$A" $T4 receive --shipment "$S4" --quantity 150
check "status on A: diaper-m received 18, one box in transit" \
	test "$(row "$A" $T4 S-001 diaper-m received) $(row "$A" $T4 S-001 diaper-m in_transit)" = "18 1"
check "the short box's state is short" sh -c \
	"chain-view -L '$A' supply.lines box/$S3 | grep -q '\"state\":\"short\"'"
check "fifth exchange: A's receipts into B" copy "$A" "$B"

# Both nodes hold the same entries: the same status, byte for byte.
T5=2025-06-06T10:00:00Z
status "$A" $T5 >"$T/status.a" && status "$B" $T5 >"$T/status.b"
check "status after the exchange is byte-identical on both nodes" cmp "$T/status.a" "$T/status.b"
status "$A" $T5 --csv --bom >"$T/status.a.csv" && status "$B" $T5 --csv --bom >"$T/status.b.csv"
check "... as CSV too" cmp "$T/status.a.csv" "$T/status.b.csv"
check "... which starts with a BOM and a header" sh -c "head -c 20 '$T/status.a.csv' | od -c | grep -q '357 273 277   d   i   s'"
check "box 2 of R1 is overdue after supply.overdue_days (3)" \
	test "$(row "$A" $T5 S-001 diaper-m overdue)" = 1
check "... not before" test "$(row "$A" 2025-06-04T10:00:00Z S-001 diaper-m overdue)" = 0
check "--overdue lists it with its box number" sh -c \
	"CHOBO_NOW=$T5 supply-status -L '$A' --overdue | grep -q '\"shipment\":\"$S2\".*\"box\":2'"
chain-view -L "$A" supply.lines >"$T/lines.a"
chain-view -L "$B" supply.lines >"$T/lines.b"
check "supply.lines is byte-identical on both nodes" cmp "$T/lines.a" "$T/lines.b"
check "--by disaster sums per disaster" sh -c \
	"CHOBO_NOW=$T5 supply-status -L '$A' --by disaster | grep -q '\"disaster\":\"d-2025\",.*\"unit\":\"食\",\"needed\":200'"

# The refusals: each exit 65, nothing appended.
refused "an unknown item" "$A" need --site S-001 --item caviar --quantity 1 --unit 個
check "... naming it" grep -q "unknown item caviar" "$T/last.err"
refused "a wrong unit" "$A" need --site S-001 --item water-2l --quantity 5 --unit L
check "... naming the item's unit" grep -q "counted in 本, not L" "$T/last.err"
refused "a zero quantity" "$A" need --site S-001 --item water-2l --quantity 0 --unit 本
refused "a need without --unit" "$A" need --site S-001 --item water-2l --quantity 5
check "... naming the option, not the entry's field" sh -c "grep -q -- '--unit' '$T/last.err' && ! grep -q 'body\.' '$T/last.err'"
check "... in one message" test "$(wc -l <"$T/last.err")" -eq 1
refused "a negative quantity" "$A" need --site S-001 --item water-2l --quantity -5 --unit 本
check "... saying so" grep -q "quantity must be at least 1" "$T/last.err"
refused "a quantity above the largest allowed" "$A" need --site S-001 --item water-2l \
	--quantity 9223372036854775807 --unit 本
check "... naming the bound" grep -q "above the largest allowed, 1000000000" "$T/last.err"
refused "a receipt above the largest allowed" "$A" receive --shipment "$S1" --quantity 1000000001
check "... naming the bound" grep -q "above the largest allowed" "$T/last.err"
refused "an unknown site" "$A" need --site S-999 --item water-2l --quantity 5 --unit 本
refused "expired goods offered" "$B" offer --item water-2l --quantity 5 --unit 本 --supporter "$P1" \
	--expiry 2025-06-01
check "... saying so" grep -q "expired goods" "$T/last.err"
refused "an expired box" "$B" ship --request "$R3" --box 2 --quantity 1 --expiry 2025-05-31
refused "a receipt of an unknown shipment" "$A" receive --shipment "$O1" --quantity 1
check "... saying so" grep -q "unknown shipment" "$T/last.err"
refused "a receipt of no entry at all" "$A" receive --shipment 0000000000000000 --quantity 1
refused "a second receipt of the same box" "$A" receive --shipment "$S1" --quantity 10
check "... saying so" grep -q "second receipt of box 1" "$T/last.err"
refused "a request beyond the offer's remaining quantity" "$A" request --offer "$O2" --quantity 6 --site S-002
check "... naming what is left" grep -q "6 パック requested, 5 left" "$T/last.err"
printf '{"offer":"%s","quantity":3,"site":"S-001"}\n{"offer":"%s","quantity":3,"site":"S-002"}\n' "$O2" "$O2" >"$T/two.jsonl"
refused "a batch whose second request takes more than the first left" "$A" request "$T/two.jsonl"
check "... naming the input line" grep -q "batch entry 2 is $T/two.jsonl:2" "$T/last.err"
refused "a shipment beyond what was requested" "$B" ship --request "$R3" --box 2 --quantity 1
check "... saying so" grep -q "beyond what was requested" "$T/last.err"
refused "a shipment on a node other than the offer's home node" "$A" ship --request "$R1" --box 3 --quantity 1
check "... naming the home node" grep -q "home node is $OB" "$T/last.err"
R4=$(post "$A" 2025-06-06T11:00:00Z request --offer "$O2" --quantity 5 --site S-001) || R4=none
check "a request of the 5 left of offer 2 passes" test "$R4" != none
check "... reaches B" copy "$A" "$B"
check "B ships box 1 of it" post "$B" 2025-06-06T12:00:00Z ship --request "$R4" --box 1 --quantity 2
refused "a box number shipped twice" "$B" ship --request "$R4" --box 1 --quantity 2
check "... saying so" grep -q "box 1 of request $R4 is already shipped" "$T/last.err"
refused "a pledge across units" "$B" offer --item water-2l --quantity 5 --unit 本 --supporter "$P1" --need "$N2"
refused "a cancellation of a need on another node" "$B" cancel --ref "$N3"
# Goods that expired after they were offered: neither requested nor shipped in a box without an expiry.
XO=$(post "$A" 2025-06-06T13:00:00Z offer --item blanket --quantity 4 --unit 枚 --firm 毛布の会 \
	--expiry 2025-06-07) || XO=none
XR=$(post "$A" 2025-06-06T13:00:00Z request --offer "$XO" --quantity 2 --site S-001) || XR=none
NOW=2025-06-08T09:00:00Z
refused "a request of an offer whose goods have expired since" "$A" request --offer "$XO" --quantity 2 --site S-001
check "... saying so" grep -q "expired goods: expiry of the offer 2025-06-07" "$T/last.err"
refused "a box without an expiry, of an offer whose goods have expired since" "$A" ship --request "$XR" \
	--box 1 --quantity 2
check "... saying so" grep -q "expired goods: expiry of the offer 2025-06-07" "$T/last.err"
unset NOW
check "a CSV cell that is not a number is refused" sh -c \
	"printf 'site,item,quantity,unit\\nS-001,water-2l,many,本\\n' | supply-post -L '$A' need 2>'$T/csv.err'; test \$? -eq 65"
check "... with its line" grep -q "stdin:2" "$T/csv.err"
check "a CSV column that is no field is refused" sh -c \
	"printf 'site,colour\\nS-001,red\\n' | supply-post -L '$A' need 2>/dev/null; test \$? -eq 65"

# Cancellation and a lost box, then the views on both nodes agree again.
T6=2025-06-07T09:00:00Z
check "A cancels what is left of need 3" post "$A" $T6 cancel --ref "$N3" --reason 充足
before=$(count "$A")
check "a second cancellation of the same need by its log is a duplicate" sh -c \
	"CHOBO_NOW=2025-06-07T10:00:00Z supply-post -q -L '$A' cancel --ref '$N3' | grep -q '\"result\":\"duplicate\"'"
check "... and nothing was appended" test "$(count "$A")" -eq "$before"
check_exit 65 "chain-append of a second cancellation is refused by the rule" sh -c \
	"printf '{\"type\":\"supply.cancel\",\"body\":{\"ref\":\"%s\"}}\\n' '$N3' | CHOBO_NOW=2025-06-07T10:00:00Z chain-append -q -L '$A'"
check "B reports box 2 of R1 lost" post "$B" $T6 lost --shipment "$S2"
check "sixth exchange: A's into B" copy "$A" "$B"
check "... and B's into A" copy "$B" "$A"
check "status on A: the lost box counts 10 lost, nothing overdue" \
	test "$(row "$A" $T6 S-001 diaper-m lost) $(row "$A" $T6 S-001 diaper-m overdue)" = "10 0"
check "status on A: water at S-002 has nothing open" test "$(row "$A" $T6 S-002 water-2l open)" = 0
status "$A" $T6 >"$T/status.a" && status "$B" $T6 >"$T/status.b"
check "status is byte-identical on both nodes after the last exchange" cmp "$T/status.a" "$T/status.b"

# A name that a spreadsheet would run as a formula is text in every CSV chobo writes.
check "a site whose name begins as a formula" post "$A" $T6 site --code S-009 \
	--name '=HYPERLINK("http://x","避難所")' --municipality 八王子市 --role shelter --open true
check "... and a need there" post "$A" $T6 need --site S-009 --item water-2l --quantity 5 --unit 本
status "$A" $T6 --csv --site S-009 >"$T/formula.csv"
check "... is text in the status CSV: an apostrophe first, inside the quotes" \
	grep -q ",S-009,\"'=HYPERLINK(\"\"http://x\"\",\"\"避難所\"\")\",open," "$T/formula.csv"

# An expiry date lasts through its day in Japan (JST): 14:59:59Z.
avail() { status "$B" "$1" --by item --item water-2l |
	python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["available"])'; }
check "an offer on its expiry date at 23:59:59 in Japan" post "$B" 2025-06-07T14:59:59Z offer --item water-2l \
	--quantity 7 --unit 本 --supporter "$P1" --expiry 2025-06-07
NOW=2025-06-07T15:00:00Z refused "the same at 00:00 of the next day in Japan" "$B" offer --item water-2l \
	--quantity 7 --unit 本 --supporter "$P1" --expiry 2025-06-07
check "... saying so" grep -q "expired goods" "$T/last.err"
check "... and its 7 are no longer available in supply-status" \
	test "$(avail 2025-06-07T14:59:59Z)" -eq "$(($(avail 2025-06-07T15:00:00Z) + 7))"

# An expired offer pledged to a need: expired in supply-status, and no longer
# counted against the need, which is open again for it.
N9=$(post "$A" 2025-06-07T10:00:00Z need --site S-009 --item blanket --quantity 6 --unit 枚) || N9=none
O9=$(post "$A" 2025-06-07T10:00:00Z offer --item blanket --quantity 4 --unit 枚 --firm 毛布の会 \
	--need "$N9" --expiry 2025-06-07) || O9=none
check "a need of 6 blankets at S-009 and a pledged offer of 4 expiring that day" test "$N9" != none -a "$O9" != none
check "... before the date is over: 2 open, 4 available, nothing expired" test \
	"$(row "$A" 2025-06-07T14:00:00Z S-009 blanket open) $(row "$A" 2025-06-07T14:00:00Z S-009 blanket available) $(row "$A" 2025-06-07T14:00:00Z S-009 blanket expired)" = "2 4 0"
check "... after it: 6 open (the pledge lapsed), nothing offered or available, 4 expired" test \
	"$(row "$A" 2025-06-07T15:00:00Z S-009 blanket open) $(row "$A" 2025-06-07T15:00:00Z S-009 blanket offered) $(row "$A" 2025-06-07T15:00:00Z S-009 blanket available) $(row "$A" 2025-06-07T15:00:00Z S-009 blanket expired)" = "6 0 0 4"
check "the expired offer is cancelled" post "$A" 2025-06-07T16:00:00Z cancel --ref "$O9" --reason expired
check "... which leaves 6 open, nothing expired" test \
	"$(row "$A" 2025-06-07T16:00:00Z S-009 blanket open) $(row "$A" 2025-06-07T16:00:00Z S-009 blanket expired)" = "6 0"
check "... and the status CSV ends with the expired column" sh -c \
	"CHOBO_NOW=2025-06-07T16:00:00Z supply-status -L '$A' --csv --site S-009 | head -1 | grep -q ',unfilled,expired'"

# An unknown site or item is named, not printed as an empty table.
check_exit 66 "supply-status --site of a site no node posted" status "$A" $T6 --site S-999
check "... names it" grep -q "site S-999: no such site" "$T/last.err"
check_exit 66 "supply-status --item of an item not in the catalogue" status "$A" $T6 --item tea-9
check "... names it" grep -q "item tea-9: no such item" "$T/last.err"
check "a registered site with nothing on it prints nothing and exits 0" test -z "$(status "$A" $T6 --site O-001)"

# A sheet's cells are judged as written: a value under a column with no name, and a long number
# written in full-width digits, refused with the cell cut on a character, never inside one.
printf 'site,item,quantity,unit,\nS-009,water-2l,12,本,予備\n' >"$T/noname.csv"
before=$(count "$A")
check_exit 65 "a need sheet with a value under an unnamed column is refused" env CHOBO_NOW=2025-06-07T17:00:00Z \
	supply-post -L "$A" need "$T/noname.csv"
check "... naming the column and the value, and nothing appended" sh -c \
	"grep -q 'column 5 has no name in the header, but this row gives it \"予備\"' '$T/last.err' && test \$(chain-log -L '$A' | wc -l) -eq $before"
printf 'site,item,quantity,unit,,\r\nS-009,water-2l,12,本,,\r\n' >"$T/noname.csv"
check "a sheet whose header ends in empty columns, empty in every row, is posted" sh -c \
	"CHOBO_NOW=2025-06-07T17:00:00Z supply-post -q -L '$A' need '$T/noname.csv' | grep -q leaf_index && test \$(chain-log -L '$A' | wc -l) -eq $((before + 1))"
printf 'site,item,quantity,unit\nS-009,water-2l,１２３４５６７８９０１２３４５６７８９０,本\n' >"$T/wide.csv"
check_exit 65 "a quantity in full-width digits is refused" env CHOBO_NOW=2025-06-07T17:00:00Z supply-post -L "$A" need "$T/wide.csv"
check "... quoting 13 of its characters (39 bytes): the message is UTF-8 throughout" sh -c \
	"grep -q 'not \"１２３４５６７８９０１２３\"' '$T/last.err' && python3 -c 'import sys; open(sys.argv[1], encoding=\"utf-8\").read()' '$T/last.err'"
check "... and saying what to write in ASCII digits" \
	grep -q 'it is in full-width digits; write "12345678901234567890"' "$T/last.err"
printf 'site,item,quantity,unit\nS-009,water-2l,１２,本\n' >"$T/wide.csv"
check_exit 65 "a short one too" env CHOBO_NOW=2025-06-07T17:00:00Z supply-post -L "$A" need "$T/wide.csv"
check "... its hint: write \"12\"" grep -q 'quantity: expected a whole number in digits (.*), not "１２": it is in full-width digits; write "12"' "$T/last.err"

# --dry-run: a sheet judged by every rule as a run would judge it, and nothing appended.
T7=2025-06-08T10:00:00Z
printf 'ref,site,item,quantity,unit\nD-1,S-009,water-2l,12,本\nD-2,S-009,blanket,2,枚\n' >"$T/dry.csv"
before=$(count "$A")
check "--dry-run of a need sheet exits 0" sh -c "CHOBO_NOW=$T7 supply-post -n -L '$A' need '$T/dry.csv' >'$T/dry.out' 2>'$T/dry.err'"
check "... each line says valid, with its ref, and names no entry" sh -c "
	[ \$(grep -c '^{\"result\":\"valid\",\"ref\":\"D-[12]\",\"type\":\"supply.need\"}\$' '$T/dry.out') -eq 2 ] &&
	! grep -q leaf_ '$T/dry.out'"
check "... saying that nothing was appended" \
	grep -q "2 entries would be appended: every rule passed; nothing was appended (--dry-run)" "$T/dry.err"
check "... and nothing was" test "$(count "$A")" -eq "$before"
check "the sheet posted for real" sh -c "CHOBO_NOW=$T7 supply-post -q -L '$A' need '$T/dry.csv' | grep -c '\"leaf_index\"' | grep -qx 2"
printf 'ref,site,item,quantity,unit\nD-1,S-009,water-2l,12,本\nD-3,S-009,water-2l,3,本\n' >"$T/dry.csv"
before=$(count "$A")
check "a --dry-run of the sheet with a row added: the old row a duplicate, the new one valid" sh -c "
	CHOBO_NOW=2025-06-08T10:01:00Z supply-post --dry-run -q -L '$A' need '$T/dry.csv' >'$T/dry.out' 2>'$T/dry.err' &&
	python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert [(o[\"result\"], o[\"ref\"]) for o in r] == [(\"duplicate\", \"D-1\"), (\"valid\", \"D-3\")] and \"leaf_index\" in r[0], r' '$T/dry.out'"
check "... -q saying nothing of it" test ! -s "$T/dry.err"
check "... and nothing was appended" test "$(count "$A")" -eq "$before"
printf 'ref,site,item,quantity,unit\nD-1,S-009,water-2l,12,本\nD-4,S-009,water-2l,3,L\n' >"$T/dry.csv"
check_exit 65 "a --dry-run of a sheet that a rule refuses exits 65" \
	env CHOBO_NOW=2025-06-08T10:02:00Z supply-post -n -L "$A" need "$T/dry.csv"
check "... with the run's refusal, naming the row" sh -c "
	grep -q 'counted in 本, not L; nothing was appended' '$T/last.err' && grep -q 'batch entry 1 is $T/dry.csv:3' '$T/last.err'"
check "... printing no line" test ! -s "$T/last.out"
check "... and nothing was appended" test "$(count "$A")" -eq "$before"

for d in "$A" "$B"; do
	check "chain-verify --views --index passes on $(basename "$d")" chain-verify -L "$d" --views --index
done
done_testing
