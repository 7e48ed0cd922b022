#!/bin/sh
# ecopt-grant's input as a new user writes it: JSON numbers judged on their
# text as CSV cells are (at most 3 decimals, no strings, the bound), records
# that are neither a member nor equipment, rows of empty cells that a
# spreadsheet leaves (blank lines), one message per failure of --register
# naming where the record came from, readings of periods not yet over,
# members and equipment registered from one CSV table, a reading given twice
# in one input, a CSV header naming a column twice, eco.factors as a path
# relative to the ledger directory, a period skipped and filed later, a
# registration sheet's header with a capital or a blank, the most separate
# stretches of recorded days a device may have, a departure dated before
# the member's last reading, --dry-run, a lost standard output, views not
# current, and the certification period.
. "${top_srcdir:-.}/tests/lib.sh"

A=$T/node
new_ledger "$A" tama.example/node
F=$top_srcdir/data/emission-factors.json
NOW=2023-11-15T00:00:00Z
set -- $(people "$A" resident 3)   # members: people in the private store
P1=$1 P2=$2 P9=$3   # P9 is registered by no record that stands
count() { chain-log -L "$A" | wc -l; }
grant() { CHOBO_NOW=$NOW ecopt-grant -L "$A" --factors "$F" "$@"; }
# grant_refused FILE DESC SAYING PATTERN: ecopt-grant of $T/FILE exits 65 with PATTERN in its message.
grant_refused() {
	check_exit 65 "$2" grant "$T/$1"
	check "$3" grep -q "$4" "$T/last.err"
}
reg() { CHOBO_NOW=$NOW ecopt-grant -L "$A" --register "$@"; }

printf '{"type":"points.scheme","body":{"scheme":"eco","yen_per_point":1,"expiry_days":365,"cap_purchase":1000,"cap_day":1200}}\n' |
	CHOBO_NOW=2023-03-01T00:00:00Z chain-append -L "$A" >/dev/null
cat >"$T/reg.jsonl" <<EOR
{"member":"$P1","kind":"household","joined":"2023-04-01"}
{"code":"PV-1","member":"$P1","kind":"solar","capacity_w":3000,"serial":"SN-PV-0001","monitoring_from":"2023-04-01"}
EOR
check "a member and a panel register" sh -c "CHOBO_NOW=2023-03-02T00:00:00Z ecopt-grant -q -L '$A' --register '$T/reg.jsonl' >/dev/null"
before=$(count)

# 1. JSON numbers: the text as written, the rule of CSV cells.
reading() { printf '{"equipment":"PV-1","from":"2023-10-01","to":"2023-10-31","generated_kwh":%s,"sold_kwh":100}\n' "$1" >"$T/r.jsonl"; }
for v in 300.1239 300.1234 '"300"' 1000000.0004 3e2 -0 null true; do
	reading "$v"
	check_exit 65 "JSON generated_kwh $v is refused" grant "$T/r.jsonl"
	check "... as not a number of at most 3 decimals" grep -q '"reason":"generated_kwh: \(a negative value\|expected a number\)' "$T/last.out"
done
reading 300.1239
grant "$T/r.jsonl" >"$T/r.out" 2>"$T/r.err"
check "... with the CSV path's reason" grep -q 'generated_kwh: expected a number from 0 to 1000000 with at most 3 decimals, not \\"300.1239\\"' "$T/r.out"
check "... naming the input's file:line" grep -q "\"input\":\"$T/r.jsonl:1\"" "$T/r.out"
check "... and the reading's equipment and period, as given" grep -q '"equipment":"PV-1","from":"2023-10-01","to":"2023-10-31","result":"refused"' "$T/r.out"
printf 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2023-10-01,2023-10-31,300.1239,100\n' >"$T/r.csv"
grant "$T/r.csv" >"$T/c.out" 2>/dev/null
reason() { grep -o '"reason":.*' "$1"; }
check "... the same reason as the CSV cell's" test "$(reason "$T/r.out")" = "$(reason "$T/c.out")"
reading '"300"'
grant "$T/r.jsonl" >"$T/r.out" 2>/dev/null
check "... a string named as a string" grep -q 'generated_kwh: expected a number, not the string \\"300\\"' "$T/r.out"
check "... nothing appended" test "$before" -eq "$(count)"
reading 300.1230
check "300.1230 (a trailing zero) is 300.123, as in CSV" sh -c "CHOBO_NOW=$NOW ecopt-grant -L '$A' --factors '$F' '$T/r.jsonl' | grep -q granted"
check "... stored as generated_wh 300123" sh -c "chain-log -L '$A' --type eco.reading | grep -q '\"generated_wh\":300123,'"
before=$(count)

# 2. A record that is neither a member nor equipment.
echo '{"foo":1}' >"$T/foo.jsonl"
check_exit 65 "--register of {\"foo\":1} is a data error" reg "$T/foo.jsonl"
check "... naming the line and what is wrong" grep -q "$T/foo.jsonl:1: a registration has no field \"foo\" (its fields: member, " "$T/last.err"
check "... not out of memory" sh -c "! grep -q 'out of memory' '$T/last.err'"

# 3. Rows of empty cells are blank lines.
printf 'equipment,from,to,generated_kwh,sold_kwh\r\nPV-1,2023-11-01,2023-11-10,30,10\r\n,,,,\r\n,,,,\r\n' >"$T/excel.csv"
check "rows of empty cells at the end are skipped" sh -c "CHOBO_NOW=$NOW ecopt-grant -L '$A' --factors '$F' '$T/excel.csv' >'$T/excel.out' && test \$(wc -l <'$T/excel.out') -eq 1 && grep -q granted '$T/excel.out'"
printf ',,,,\nequipment,from,to,generated_kwh,sold_kwh\n"",,,,\n' >"$T/lead.csv"
check "... and before the header (and quoted empty cells)" sh -c "CHOBO_NOW=$NOW ecopt-grant -L '$A' --factors '$F' '$T/lead.csv' 2>&1 | grep -q 'no records'"
printf 'equipment;from;to;generated_kwh;sold_kwh\r\nPV-1;2023-11-01;2023-11-10;30;10\r\n' >"$T/semicolons.csv"
grant_refused semicolons.csv "a CSV separated by semicolons is refused" "... saying so at its header" \
	"semicolons.csv:1: the header is one column holding semicolons: CSV here is separated by commas"
printf '{"equipment":"PV-1","from":"2023-11-01","to":"2023-11-10","generated_kwh":0300}\n' >"$T/badjson.jsonl"
grant_refused badjson.jsonl "a line that is not JSON is refused" "... in the words of chobo(7): invalid JSON at byte N" \
	"badjson.jsonl:1: invalid JSON at byte [0-9]*: "
printf '{"equipment":"PV-1","from":"2023-11-01","to":"2023-11-10","generated_kwh":100000000000000000000}\n{"a":1e400}\n' >"$T/huge.jsonl"
grant_refused huge.jsonl "a number too large for JSON's integers is refused" "... in the same words, with jansson's reason" \
	"huge.jsonl:1: invalid JSON at byte [0-9]*: too big integer"
sed -n 2p "$T/huge.jsonl" >"$T/huge2.jsonl"
grant_refused huge2.jsonl "... and so is a real number out of range" "... in the same words" \
	"huge2.jsonl:1: invalid JSON at byte [0-9]*: real number overflow"
printf '[{"equipment":"PV-1","from":"2023-11-01","to":"2023-11-10","generated_kwh":1}]\n' >"$T/array.json"
grant_refused array.json "a JSON array is refused, not read as an empty CSV" "... saying to give JSON Lines" \
	"array.json:1: a JSON array: give JSON Lines"
printf 'equipment,from,to,generated_kwh\nPV-1,2023-11-01,2023-11-10,1\000\n' >"$T/nul.csv"
grant_refused nul.csv "a NUL byte in CSV is refused" "... as a NUL byte, not as Shift_JIS" \
	"holds a NUL byte"
printf '{"equipment":"PV-1","note":"\377"}\n' >"$T/latin1.jsonl"
grant_refused latin1.jsonl "a line that is not UTF-8 is refused" "... saying so" \
	"latin1.jsonl:1: not valid UTF-8"
before=$(count)

# 4. One message for a failure of --register, with where the record came from.
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-PV-0001","monitoring_from":"2023-04-01"}\n' $P1 >"$T/dup.jsonl"
check_exit 65 "the same panel registered twice is refused" reg "$T/dup.jsonl"
check "... saying nothing was appended once" test "$(grep -o 'nothing was appended' "$T/last.err" | wc -l)" -eq 1
check "... naming the input's line" grep -q "$T/dup.jsonl:1" "$T/last.err"
# The serial is hashed as written: the same panel typed another way must not pass as another panel.
printf 'code,member,kind,capacity_w,serial,monitoring_from\nPV-9,%s,solar,3000,SN-PV-0001 ,2023-04-01\n' $P1 >"$T/blank.csv"
check_exit 65 "the same panel's serial with a blank an Excel cell kept is refused" reg "$T/blank.csv"
check "... with the spelling to write" grep -q 'blank.csv:2: serial "SN-PV-0001 " must be written as the device.s label prints it.*write "SN-PV-0001"' "$T/last.err"
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"ＳＮ－ＰＶ－０００１","monitoring_from":"2023-04-01"}\n' $P1 >"$T/wide.jsonl"
check_exit 65 "... in full-width letters too" reg "$T/wide.jsonl"
check "... (write \"SN-PV-0001\")" grep -q 'write "SN-PV-0001"' "$T/last.err"
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"sn-pv-0001","monitoring_from":"2023-04-01"}\n' $P1 >"$T/lower.jsonl"
check_exit 65 "... and in lower case" reg "$T/lower.jsonl"
check "... (write \"SN-PV-0001\")" grep -q 'write "SN-PV-0001"' "$T/last.err"
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN\xe2\x88\x92PV\xe3\x83\xbc0001\xc2\xa0","monitoring_from":"2023-04-01"}\n' $P1 >"$T/dash.jsonl"
check_exit 65 "... and with the minus sign, ー and a no-break space an IME or Excel gives" reg "$T/dash.jsonl"
check "... (write \"SN-PV-0001\")" grep -q 'write "SN-PV-0001"' "$T/last.err"
printf '{"code":"PV-9","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-é","monitoring_from":"2023-04-01"}\n' $P1 >"$T/accent.jsonl"
check_exit 65 "a serial with a letter outside ASCII is refused, with nothing to suggest" reg "$T/accent.jsonl"
check "... saying what a serial is" sh -c "grep -q 'ASCII capitals, digits and signs, no blank' '$T/last.err' && ! grep -q 'write \"' '$T/last.err'"
check "... and nothing was appended" test "$(count)" -eq "$before"
printf '{"member":"%s","kind":"household","joined":"2023-04-01"}\n{"member":"%s","kind":"household","joined":"2023-04-01"}\n' $P9 $P9 >"$T/twice.jsonl"
check_exit 65 "a member on two rows of one sheet is refused" reg "$T/twice.jsonl"
check "... naming both rows, not a points account" sh -c "grep -q 'twice.jsonl:2: member $P9 is given on .*twice.jsonl:1 too' '$T/last.err' && ! grep -q points.open '$T/last.err'"
check "... and nothing was appended" test "$(count)" -eq "$before"
printf '{"code":"PV-8","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-8","monitoring_from":"2023-04-01","colour":"red"}\n' $P1 >"$T/colour.jsonl"
check_exit 65 "an unknown field is refused" reg "$T/colour.jsonl"
check "... with one prefix and the input's line, listing the fields" grep -q "^ecopt-grant: $T/colour.jsonl:1: a registration has no field \"colour\" (its fields: member, kind, joined, " "$T/last.err"
check "... said once" test "$(grep -o 'no field' "$T/last.err" | wc -l)" -eq 1
printf '{"Member":"%s","kind":"household","joined":"2023-04-01"}\n' $P9 >"$T/Member.jsonl"
check_exit 65 "a JSON registration with \"Member\" is refused" reg "$T/Member.jsonl"
check "... with the name to write" grep -q "Member.jsonl:1: a registration has no field \"Member\": write \"member\"" "$T/last.err"
printf '{"equipment":"PV-1","From":"2023-04-01","to":"2023-04-30","generated_kwh":1}\n' >"$T/From.jsonl"
check_exit 65 "a JSON reading with \"From\" is refused" grant "$T/From.jsonl"
check "... with the name to write" grep -q '"reason":"a reading has no field \\"From\\": write \\"from\\"' "$T/last.out"
python3 -c 'import json; print(json.dumps({"equipment": "PV-1", "from": "2023-04-01", "to": "2023-04-30", "あ" * 30: 1}, ensure_ascii=False))' >"$T/long.jsonl"
check_exit 65 "a reading with a long Japanese field name is refused" grant "$T/long.jsonl"
check "... its result line still UTF-8 JSON (the name cut on a character)" python3 -c "
import json, sys
o = json.loads(open(sys.argv[1], encoding='utf-8').readline())
assert o['reason'].startswith('a reading has no field \"' + 'あ' * 21 + '\"'), o['reason']" "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"

# 5. A period that is not over.
printf '{"equipment":"PV-1","from":"2023-11-11","to":"2023-11-30","generated_kwh":30,"sold_kwh":10}\n' >"$T/future.jsonl"
check_exit 65 "a reading whose period ends after today is refused" grant "$T/future.jsonl"
check "... saying so, and the day it can be recorded from" grep -q '"reason":"the period is not over: it ends 2023-11-30, after today (2023-11-15), and can be recorded from 2023-12-01' "$T/last.out"
check_exit 65 "... and so it is on its last day, at 23:30 JST" env CHOBO_NOW=2023-11-30T14:30:00Z ecopt-grant -L "$A" --factors "$F" "$T/future.jsonl"
check "... saying it ends today and can be recorded from the next day" grep -q '"reason":"the period is not over: it ends today (2023-11-30), and can be recorded from 2023-12-01, once its last day (JST) has ended"' "$T/last.out"
check "... but it is taken once that day has ended (00:30 JST the next day)" sh -c "CHOBO_NOW=2023-11-30T15:30:00Z ecopt-grant -L '$A' --factors '$F' '$T/future.jsonl' | grep -q granted"
# 6. Members and equipment from a spreadsheet: one CSV table of both, whose
# whole-number and true/false cells become the JSON the entries hold.
later() { CHOBO_NOW=2023-12-01T00:00:00Z ecopt-grant -L "$A" --register "$@"; }   # after section 5's reading
printf 'code,member,kind,joined,capacity_w,baseline_m_per_l,baseline_fuel,serial,monitoring_from,other_scheme\r\n' >"$T/reg.csv"
printf ',%s,business,2023-06-01,,,,,,\r\n' $P2 >>"$T/reg.csv"
printf 'PHV-2,%s,phv,,,15000,diesel,VIN-PHV-2,2023-06-01,FALSE\r\n' $P2 >>"$T/reg.csv"
printf 'PV-2,%s,solar,,10000,,,SN-PV-2,2023-06-01,true\r\n,,,,,,,,,\r\n' $P2 >>"$T/reg.csv"
before=$(count)
check_exit 0 "a member, a PHV and a panel register from CSV" later "$T/reg.csv"
check "... three records registered" test "$(grep -c '"result":"registered"' "$T/last.out")" -eq 3
cp "$T/last.out" "$T/reg.first"
check "... capacity_w stored as an integer" sh -c "chain-log -L '$A' --type eco.equipment | grep -q '\"capacity_w\":10000,'"
check "... baseline_m_per_l stored as an integer" sh -c "chain-log -L '$A' --type eco.equipment | grep -q '\"baseline_m_per_l\":15000,'"
check "... other_scheme as Excel writes it (TRUE, FALSE) or in lower case" sh -c "chain-log -L '$A' --type eco.equipment | grep -c '\"other_scheme\":true' | grep -qx 1"
check "... four entries: the account, the member and two devices" test "$(count)" -eq $((before + 4))
before=$(count)
check_exit 0 "the same sheet again: exit 0" later "$T/reg.csv"
check "... its three records duplicates" test "$(grep -c '"result":"duplicate"' "$T/last.out")" -eq 3
check "... each registered line named its entry; each duplicate, the member's too, names the same" python3 -c "
import json, sys
f, d = ([json.loads(l) for l in open(n)] for n in sys.argv[1:])
assert all(len(x['leaf_hash']) == 64 and isinstance(x['leaf_index'], int) for x in f), f
assert [(x.get('leaf_index'), x.get('leaf_hash')) for x in d] == [(x['leaf_index'], x['leaf_hash']) for x in f], d
" "$T/reg.first" "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
printf 'PV-4,%s,solar,,2000,,,SN-PV-4,2023-07-01,\r\n' $P2 >>"$T/reg.csv"
check_exit 0 "the sheet with a row added: the new panel registered" later "$T/reg.csv"
check "... the rest duplicates" sh -c "grep -c '\"result\":\"duplicate\"' '$T/last.out' | grep -qx 3 &&
	grep -q '\"code\":\"PV-4\",\"result\":\"registered\"' '$T/last.out'"
check "... one entry appended" test "$(count)" -eq $((before + 1))
sed 's/^PV-2,\(.*\),10000,/PV-2,\1,12000,/' "$T/reg.csv" >"$T/changed.csv"
check_exit 65 "a sheet that changes a registered panel's capacity is refused" later "$T/changed.csv"
check "... naming the panel and what it was registered as" grep -q "changed.csv:4: equipment PV-2 is already registered (member $P2, solar, monitored from 2023-06-01) with other values" "$T/last.err"
check "... nothing appended" test "$(count)" -eq $((before + 1))
printf 'code,member,kind,,capacity_w\r\nPV-9,%s,solar,SN-PV-9,10000\r\n' $P2 >"$T/unnamed.csv"
check_exit 65 "a sheet with a value in a column the header leaves unnamed is refused" later "$T/unnamed.csv"
check "... naming the column and the value" grep -q 'unnamed.csv:2: column 4 has no name in the header, but this row gives it "SN-PV-9"' "$T/last.err"
check "... nothing appended" test "$(count)" -eq $((before + 1))
before=$(count)
printf 'code,member,kind,capacity_w,serial,monitoring_from\nPV-3,%s,solar,"3,000",SN-PV-3,2023-06-01\n' $P2 >"$T/sep.csv"
check_exit 65 "a capacity written with a thousands separator is refused" later "$T/sep.csv"
check "... naming the cell and its file:line" grep -q "sep.csv:2: capacity_w: expected a whole number in digits" "$T/last.err"
printf 'code,member,kind,capacity_w,serial,monitoring_from,other_scheme\nPV-3,%s,solar,3000,SN-PV-3,2023-06-01,maybe\n' $P2 >"$T/bool.csv"
check_exit 65 "other_scheme that is not true or false is refused" later "$T/bool.csv"
check "... saying so" grep -q 'bool.csv:2: other_scheme: expected true or false, not "maybe"' "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count)"
# 7. The same reading twice in one input overlaps the first, not a reading recorded before.
printf '{"equipment":"PV-1","from":"2023-12-01","to":"2023-12-10","generated_kwh":30,"sold_kwh":10}\n' >"$T/twice.jsonl"
cat "$T/twice.jsonl" "$T/twice.jsonl" >"$T/twice2.jsonl"
before=$(count)
check_exit 65 "a reading given twice in one input is refused" env CHOBO_NOW=2023-12-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/twice2.jsonl"
check "... as overlapping the line before, not the recorded readings" grep -q "twice2.jsonl:2.*overlaps a reading of PV-1 earlier in this input, which runs to 2023-12-10" "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
check "given once, it is granted" sh -c "CHOBO_NOW=2023-12-11T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/twice.jsonl' | grep -q granted"
check "... and again, in another run, a duplicate" sh -c "CHOBO_NOW=2023-12-11T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/twice.jsonl' | grep -q duplicate"
# 8. A CSV header naming a column twice: one of the two cells would be lost unseen.
printf 'equipment,from,to,generated_kwh,generated_kwh\nPV-1,2023-12-11,2023-12-20,300,100\n' >"$T/twocols.csv"
before=$(count)
check_exit 65 "a CSV header naming generated_kwh twice is refused" env CHOBO_NOW=2023-12-21T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/twocols.csv"
check "... naming both columns" grep -q "twocols.csv:1: columns 4 and 5 are both generated_kwh" "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count)"
printf 'equipment,from,to,generated_kwh,sold_kwh,,\nPV-1,2023-12-11,2023-12-20,300,100,,\n' >"$T/emptycols.csv"
check "empty header cells at the right may repeat" sh -c "CHOBO_NOW=2023-12-21T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/emptycols.csv' | grep -q granted"
# 8a. A CSV header that names no field of a reading is refused once, by its column.
printf 'equipment,from,to,generated_kw,sold_kwh\nPV-1,2023-12-21,2023-12-31,30,10\nPV-1,2024-01-01,2024-01-10,30,10\n' >"$T/header.csv"
check_exit 65 "a CSV header with generated_kw is refused" env CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/header.csv"
check "... once, naming the column and the fields" sh -c "grep -c 'column 4' '$T/last.err' | grep -qx 1 &&
	grep -q 'header.csv:1: column 4: a reading has no field \"generated_kw\" (its fields: equipment, from, to, source, generated_kwh,' '$T/last.err'"
printf 'Equipment,from,to,generated_kwh,sold_kwh\nPV-1,2023-12-01,2023-12-31,10,0\n' >"$T/upper.csv"
check_exit 65 "a CSV header written with a capital is refused" env CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/upper.csv"
check "... with the spelling to write" grep -q 'upper.csv:1: column 1: a reading has no field "Equipment": write "equipment"' "$T/last.err"
printf 'equipment\343\200\200,from,to,generated_kwh,sold_kwh\nPV-1,2023-12-01,2023-12-31,10,0\n' >"$T/ideo.csv"
check_exit 65 "a CSV header cell with an ideographic space after it is refused" env CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/ideo.csv"
check "... with the spelling to write, without it" grep -q 'ideo.csv:1: column 1: a reading has no field "equipment　": write "equipment"' "$T/last.err"
# 9a. A date that looks like one but names no day is said to be no such day.
printf 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2023-11-31,2023-12-10,30,10\nPV-1,2023/12/01,2023-12-10,30,10\n' >"$T/days.csv"
check_exit 65 "readings dated 2023-11-31 and 2023/12/01 are refused" env CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/days.csv"
check "... the first as no such day" grep -q '"reason":"from: \\"2023-11-31\\": no such day"' "$T/last.out"
check "... the second as not a date YYYY-MM-DD" grep -q '"reason":"from: \\"2023/12/01\\": not a date YYYY-MM-DD"' "$T/last.out"
# 9. A reading gives every figure of its equipment's kind: one left out, or a blank cell, is not 0
# (it would overstate the reduction, and the reading could not be given again with the figure).
before=$(count)
blank() {
	printf "$2" >"$T/blank.csv"
	check_exit 65 "$1" env CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L "$A" --factors "$F" "$T/blank.csv"
	check "... naming the figure, and all its kind gives" grep -q "$3" "$T/last.out"
}
blank "a solar reading without figures is refused" 'equipment,from,to\nPV-1,2024-01-01,2024-01-10\n' \
	'"reason":"generated_kwh is missing: a solar reading gives generated_kwh and sold_kwh (0 where none)"'
blank "... and one whose sold cell is blank" 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2024-01-01,2024-01-10,30,\n' \
	'"reason":"sold_kwh is missing: a solar reading'
blank "a PHV reading without its fuel is refused" 'equipment,from,to,distance_km,charged_kwh\nPHV-2,2024-01-01,2024-01-10,300,40\n' \
	'"reason":"fuel_l is missing: a PHV reading gives distance_km, charged_kwh and fuel_l (0 where none)"'
check "... nothing appended" test "$before" -eq "$(count)"
printf 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2024-01-01,2024-01-10,30,0\n' >"$T/blank.csv"
check "with 0 written, it is granted" sh -c "CHOBO_NOW=2024-01-11T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/blank.csv' | grep -q granted"
# 10. eco.factors in chobo.conf: a relative path is the ledger directory's, wherever the program
# runs (a cron job's working directory is not the ledger).
cp "$F" "$A/factors.json"
echo 'eco.factors = factors.json' >>"$A/chobo.conf"
printf 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2024-01-11,2024-01-20,30,0\n' >"$T/conf.csv"
check "eco.factors = factors.json is read beside chobo.conf, from another directory" sh -c "cd / &&
	CHOBO_NOW=2024-01-21T00:00:00Z ecopt-grant -L '$A' '$T/conf.csv' | grep -q granted"
printf 'equipment,from,to,generated_kwh,sold_kwh\nPV-1,2024-01-21,2024-01-31,30,0\n' >"$T/conf.csv"
check "... and with -L relative to the working directory" sh -c "cd '$T' &&
	CHOBO_NOW=2024-02-01T00:00:00Z ecopt-grant -L '$(basename "$A")' '$T/conf.csv' | grep -q granted"
# 11. A period skipped (2023-12-21 to 12-31, whose file was refused above) while PV-1's readings
# went on to 2024-01-31 is filed later: readings are recorded in any order that overlaps nothing.
P() { printf '{"equipment":"PV-1","from":"%s","to":"%s","generated_kwh":30,"sold_kwh":0}\n' "$1" "$2"; }
g() { CHOBO_NOW=$1 ecopt-grant -L "$A" --factors "$F" "$T/$2"; }
P 2023-12-21 2023-12-31 >"$T/gap.jsonl"
check "a skipped period, before the last recorded reading, is granted" sh -c "
	CHOBO_NOW=2024-02-10T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/gap.jsonl' | grep -q '\"result\":\"granted\".*\"points\":20'"
check "... and once only: again, a duplicate" sh -c "
	CHOBO_NOW=2024-02-10T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/gap.jsonl' | grep -q '\"result\":\"duplicate\"'"
check "... the panel's record: one stretch of recorded days, to its last" sh -c "
	chain-view -L '$A' eco.registry equip/PV-1 | grep -q '\"last\":\"2024-01-31\",\"recorded\":\[\[\"2023-10-01\",\"2024-01-31\"\]\]'"
P 2024-01-25 2024-02-05 >"$T/over.jsonl"
before=$(count)
check_exit 65 "a period reaching into the recorded days is refused" g 2024-02-10T00:00:00Z over.jsonl
check "... as overlapping them, naming the days they cover" grep -q '"reason":"the period 2024-01-25 to 2024-02-05 overlaps the recorded readings of PV-1, which cover 2023-10-01 to 2024-01-31"' "$T/last.out"
{ P 2024-02-06 2024-02-08; P 2024-02-01 2024-02-05; } >"$T/order.jsonl"
check_exit 65 "in one input, a reading before the one above it is refused" g 2024-02-10T00:00:00Z order.jsonl
check "... as out of order, not as an overlap" grep -q 'order.jsonl:2.*comes after a reading of PV-1 earlier in this input, which runs to 2024-02-08: give a device.s readings in period order' "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
# A gap left open (2024-02-01 to 02-10) makes two stretches; a period across it overlaps the later
# one; filling it joins them again.
P 2024-02-11 2024-02-20 >"$T/after.jsonl"
check "a reading after a gap is granted" sh -c "CHOBO_NOW=2024-02-21T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/after.jsonl' | grep -q granted"
check "... two stretches recorded" sh -c "chain-view -L '$A' eco.registry equip/PV-1 |
	grep -q '\"recorded\":\[\[\"2023-10-01\",\"2024-01-31\"\],\[\"2024-02-11\",\"2024-02-20\"\]\]'"
P 2024-02-05 2024-02-12 >"$T/across.jsonl"
check_exit 65 "a period from the gap into the later stretch is refused" g 2024-02-21T00:00:00Z across.jsonl
check "... naming the later stretch" grep -q 'overlaps the recorded readings of PV-1, which cover 2024-02-11 to 2024-02-20' "$T/last.out"
P 2024-02-01 2024-02-10 >"$T/fill.jsonl"
check "the gap itself is granted" sh -c "CHOBO_NOW=2024-02-21T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/fill.jsonl' | grep -q granted"
check "... joining the two stretches" sh -c "chain-view -L '$A' eco.registry equip/PV-1 | grep -q '\"recorded\":\[\[\"2023-10-01\",\"2024-02-20\"\]\]'"
check "the registry rebuilt from the logs is the same" chain-verify -q -L "$A" --views
# 12. A registration sheet's header as a spreadsheet writes it: a capital, a blank kept after a
# name; said at the header, by its column, with the name to write, not as a row with no member.
before=$(count)
for h in 'Member,Kind,Joined' 'member ,kind,joined'; do
	printf '%s\n%s,household,2023-04-01\n' "$h" $P9 >"$T/v.csv"
	check_exit 65 "--register of a CSV headed $h is refused" later "$T/v.csv"
	check "... at the header, naming column 1 and the name to write" sh -c "
		grep -q 'v.csv:1: column 1: a registration has no field \"${h%%,*}\": write \"member\"' '$T/last.err' &&
		! grep -q 'neither a member' '$T/last.err'"
done
printf 'member,kind,joined,colour\n%s,household,2023-04-01,\n' $P9 >"$T/v.csv"
check_exit 65 "... and a column that names no field, listing the fields" later "$T/v.csv"
check "... by its column" grep -q 'v.csv:1: column 4: a registration has no field "colour" (its fields: member, kind, joined, left, code, serial,' "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count)"

# 13. Figures in the wrong unit, which a reading recorded could never take back.
late() { CHOBO_NOW=2024-03-01T00:00:00Z ecopt-grant -L "$A" "$@"; }
before=$(count)
printf '{"code":"EV-8","member":"%s","kind":"ev","baseline_m_per_l":15,"baseline_fuel":"gasoline","serial":"VIN-EV-8","monitoring_from":"2024-01-01"}\n' $P1 >"$T/kmpl.jsonl"
check_exit 65 "a baseline of 15 m/L (km/L typed) is refused" late --register "$T/kmpl.jsonl"
check "... with the figure to write" grep -q "baseline_m_per_l 15 is in metres per litre, 3000 to 60000 for a car; for 15 km/L write 15000" "$T/last.err"
printf '{"code":"PV-8","member":"%s","kind":"solar","capacity_w":4,"serial":"SN-PV-8","monitoring_from":"2024-01-01"}\n' $P1 >"$T/kw.jsonl"
check_exit 65 "a capacity of 4 W (kW typed) is refused" late --register "$T/kw.jsonl"
check "... with the figure to write" grep -q "capacity_w 4 is in watts: 4 W is less than a panel (100 W at least); for 4 kW write 4000" "$T/last.err"
printf 'code,member,kind,capacity_w,serial,monitoring_from\nPV-9,%s,太陽光,3000,SN-PV-9,2024-01-01\n' $P1 >"$T/kanji.csv"
check_exit 65 "an equipment kind written in Japanese is refused" late --register "$T/kanji.csv"
check "... naming the kinds, not the entry's schema" grep -q 'kanji.csv:2: kind: "太陽光" is not solar, ev or phv' "$T/last.err"
printf 'code,member,kind,capacity_w,serial,monitoring_from\nPV-9,%s,solar,3000,SN-PV-9,２０２４-０１-０１\n' $P1 >"$T/wide.csv"
check_exit 65 "a date in full-width digits is refused" late --register "$T/wide.csv"
check "... as a date" grep -q 'wide.csv:2: monitoring_from: "２０２４-０１-０１": ' "$T/last.err"
printf 'member,kind,joined\n%s ,household,2024-01-01\n' $P9 >"$T/blank-id.csv"
check_exit 65 "a member ID with a blank after it is refused" late --register "$T/blank-id.csv"
check "... naming the blank and the ID to write, not points.open" grep -q "blank-id.csv:2: member: \"$P9 \" has a space after it: write \"$P9\"" "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count)"
sed 's/"baseline_m_per_l":15,/"baseline_m_per_l":15000,/' "$T/kmpl.jsonl" >"$T/ev8.jsonl"
check "written in metres per litre, the EV registers" sh -c "CHOBO_NOW=2024-03-01T00:00:00Z ecopt-grant -q -L '$A' --register '$T/ev8.jsonl' >/dev/null"
before=$(count)
printf 'equipment,from,to,distance_km,charged_kwh\nEV-8,2024-01-01,2024-01-30,81240,130.2\n' >"$T/far.csv"
check_exit 65 "81,240 km in 30 days is refused, nothing granted" late --factors "$F" "$T/far.csv"
check "... as more than a car drives a day" grep -q '"reason":"81240 km in 30 days is 2708 km a day, more than a car drives (1500): check the distance (in km)"' "$T/last.out"
printf 'equipment,from,to,distance_km,charged_kwh\nEV-8,2024-01-01,2024-01-30,6000,100\n' >"$T/thin.csv"
check_exit 65 "6,000 km on 100 kWh is refused" late --factors "$F" "$T/thin.csv"
check "... as more than 20 km a kWh, a full battery besides" grep -q '"reason":"6000 km on 100 kWh charged is more than 20 km a kWh, a full battery (100 kWh) besides' "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
printf 'equipment,from,to,distance_km,charged_kwh\nEV-8,2024-01-01,2024-01-30,1000,150\n' >"$T/ok.csv"
check "1,000 km on 150 kWh is granted" sh -c "CHOBO_NOW=2024-03-01T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/ok.csv' >'$T/ok.out' &&
	grep -q granted '$T/ok.out'"
leaf=$(sed -n 's/.*"leaf_hash":"\([0-9a-f]*\)".*/\1/p' "$T/ok.out")
before=$(count)
check_exit 65 "a revoke of the reading is refused: nothing would honour it" sh -c "
	printf '{\"type\":\"revoke\",\"body\":{\"ref\":\"%s\",\"reason\":\"error\"}}\\n' '$leaf' | CHOBO_NOW=2024-03-01T00:01:00Z chain-append -L '$A'"
check "... saying so, and nothing was appended" sh -c "
	grep -q 'is a eco.reading, which nothing reads revocations of' '$T/last.err' && test $before -eq \$(chain-log -L '$A' | wc -l)"
printf 'equipment,from,to,distance_km,charged_kwh\nEV-8,2024-01-31,2024-01-31,150,0\n' >"$T/day.csv"
check "a day of 150 km on a battery charged the day before (0 kWh) is granted" sh -c "
	CHOBO_NOW=2024-03-01T00:02:00Z ecopt-grant -L '$A' --factors '$F' '$T/day.csv' | grep -q granted"
# 14. A device may have 64 separate stretches of recorded days: one-day readings every other day
# make them; one more is refused, in one input (counting the input's own) as in another run.
printf '{"code":"PV-64","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-PV-64","monitoring_from":"2023-04-01"}\n' $P1 >"$T/pv64.jsonl"
check "a panel registers" sh -c "CHOBO_NOW=2024-03-01T00:03:00Z ecopt-grant -q -L '$A' --register '$T/pv64.jsonl' >/dev/null"
day() { date -u -d "2023-04-01 + $1 days" +%F; }
D() { printf '{"equipment":"PV-64","from":"%s","to":"%s","generated_kwh":1,"sold_kwh":0}\n' "$(day "$1")" "$(day "$2")"; }
i=0
while [ $i -lt 65 ]; do D $((2 * i)) $((2 * i)); i=$((i + 1)); done >"$T/s65.jsonl"
head -64 "$T/s65.jsonl" >"$T/s64.jsonl"
tail -1 "$T/s65.jsonl" >"$T/s1.jsonl"
before=$(count)
check_exit 65 "65 readings with a gap after each are refused" g 2024-09-01T00:00:00Z s65.jsonl
check "... the 65th, as one stretch more than a device may have" grep -q "s65.jsonl:65.*\"reason\":\"the readings of PV-64 recorded so far and those above it in this input cover 64 separate stretches of days, the most a device may have, and the period $(day 128) to $(day 128) would start another: record first the periods missing between them\"" "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
check "the first 64 are granted" sh -c "CHOBO_NOW=2024-09-01T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/s64.jsonl' | grep -c granted | grep -qx 64"
check_exit 65 "the 65th alone is refused" g 2024-09-01T00:00:00Z s1.jsonl
check "... by the same rule" grep -q "cover 64 separate stretches of days" "$T/last.out"
D 1 1 >"$T/fill1.jsonl"
check "a missing day between two stretches is granted" sh -c "CHOBO_NOW=2024-09-01T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/fill1.jsonl' | grep -q granted"
check "... and then the 65th is" sh -c "CHOBO_NOW=2024-09-01T00:00:00Z ecopt-grant -L '$A' --factors '$F' '$T/s1.jsonl' | grep -q granted"
check "... the panel's record: 64 stretches, the first two joined" sh -c "chain-view -L '$A' eco.registry equip/PV-64 |
	grep -o '\[\"20[0-9-]*\",\"20[0-9-]*\"\]' | sed -n '1p;\$p;\$=' | tr '\\n' ' ' | grep -qx '\[\"2023-04-01\",\"2023-04-03\"\] \[\"$(day 128)\",\"$(day 128)\"\] 64 '"
check "the registry rebuilt from the logs is the same" chain-verify -q -L "$A" --views
# 15. A member leaves on the last day of their last reading or later: a departure dated before it
# would leave granted readings out of the report.
gone() { printf '{"type":"eco.member","body":{"member":"%s","kind":"household","home":"tama.example/node","joined":"2023-04-01","left":"%s"}}\n' $P1 "$1"; }
gone 2023-12-31 >"$T/gone-early.jsonl"
before=$(count)
check_exit 65 "a departure before the member's last reading ends is refused" env CHOBO_NOW=2024-09-01T00:01:00Z chain-append -L "$A" "$T/gone-early.jsonl"
check "... naming the device and the day its readings run to" grep -q "member $P1's equipment PV-1 has readings recorded to 2024-02-20: body.left (2023-12-31) is before that" "$T/last.err"
check "... nothing appended" test "$before" -eq "$(count)"
gone 2024-02-20 >"$T/gone.jsonl"
check "a departure on that day is recorded" sh -c "CHOBO_NOW=2024-09-01T00:01:00Z chain-append -q -L '$A' '$T/gone.jsonl' >/dev/null &&
	chain-view -L '$A' eco.registry member/$P1 | grep -q '\"left\":\"2024-02-20\"'"
# 16. --dry-run: judged as a run would be, by every rule, and nothing appended.
printf '{"code":"PV-D","member":"%s","kind":"solar","capacity_w":3000,"serial":"SN-PV-D","monitoring_from":"2023-06-01"}\n' $P2 >"$T/pvd.jsonl"
before=$(count)
check "--register --dry-run of a new panel exits 0" sh -c "CHOBO_NOW=2024-09-01T00:02:00Z ecopt-grant -n -L '$A' --register '$T/pvd.jsonl' >'$T/dry.out' 2>'$T/dry.err'"
check "... its line says valid, and no entry" sh -c "grep -q '\"code\":\"PV-D\",\"result\":\"valid\"}' '$T/dry.out' && ! grep -q leaf_index '$T/dry.out'"
check "... saying nothing was appended" grep -q "1 entry would be appended: every rule passed; nothing was appended (--dry-run)" "$T/dry.err"
check "... and nothing was" test "$before" -eq "$(count)"
check "registered for real" sh -c "CHOBO_NOW=2024-09-01T00:02:00Z ecopt-grant -L '$A' --register '$T/pvd.jsonl' | grep -q '\"result\":\"registered\"'"
printf '{"equipment":"PV-D","from":"2023-06-01","to":"2023-06-30","generated_kwh":300,"sold_kwh":100}\n' >"$T/rd.jsonl"
before=$(count)
check "a reading's --dry-run: valid, with its reduction and points" sh -c "CHOBO_NOW=2024-09-01T00:03:00Z ecopt-grant --dry-run -L '$A' --factors '$F' '$T/rd.jsonl' |
	grep -q '\"result\":\"valid\",\"methodology\":\"EN-R-002\",\"reduction_g\":134400,\"points\":134,'"
check "... nothing appended" test "$before" -eq "$(count)"
check "... and the run itself grants it" sh -c "CHOBO_NOW=2024-09-01T00:03:00Z ecopt-grant -L '$A' --factors '$F' '$T/rd.jsonl' | grep -q '\"result\":\"granted\"'"
check_exit 65 "a --dry-run of a refused reading exits 65" env CHOBO_NOW=2024-09-01T00:04:00Z ecopt-grant -n -L "$A" --factors "$F" "$T/rd.jsonl" "$T/over.jsonl"
check "... the duplicate and the refusal said" sh -c "grep -q '\"result\":\"duplicate\"' '$T/last.out' && grep -q '\"result\":\"refused\"' '$T/last.out'"
# 17. Standard output lost after the batch is stored: exit 3, naming the entries; the same input
# again is a duplicate.
printf '{"equipment":"PV-D","from":"2023-07-01","to":"2023-07-31","generated_kwh":300,"sold_kwh":100}\n' >"$T/rfull.jsonl"
n=$(count)
check_exit 3 "a reading granted with standard output failing (/dev/full): exit 3" sh -c "
	CHOBO_NOW=2024-09-01T00:05:00Z ecopt-grant -L '$A' --factors '$F' '$T/rfull.jsonl' >/dev/full"
check "... naming the entry and saying the same input again is a duplicate" grep -q \
	"standard output could not be written: No space left on device; 1 entry is recorded, entry $n of tama.example/node: the same input again is a duplicate" "$T/last.err"
check "... which it is" sh -c "CHOBO_NOW=2024-09-01T00:05:00Z ecopt-grant -L '$A' --factors '$F' '$T/rfull.jsonl' |
	grep -q '\"result\":\"duplicate\",\"leaf_index\":$n,' && test \$(chain-log -L '$A' | wc -l) -eq $((n + 1))"
# 18. Views that are not current (their tables gone, as after an upgrade that changes them): the
# run judges against the views brought up to date, so the same input again is still a duplicate.
rm -f "$A/db/views.db" "$A/db/viewmarks.db"
check "with the views' tables gone, the same reading again is a duplicate" sh -c "
	CHOBO_NOW=2024-09-01T00:06:00Z ecopt-grant -L '$A' --factors '$F' '$T/rfull.jsonl' | grep -q '\"result\":\"duplicate\"'"
check "... and the views rebuilt verify" chain-verify -q -L "$A" --views
# 19. With eco.certification_start set, a reading lies inside the certification period: a reduction
# outside it can never be credited.
echo "eco.certification_start = 2023-06-01" >>"$A/chobo.conf"
D() { printf '{"equipment":"PV-D","from":"%s","to":"%s","generated_kwh":30,"sold_kwh":10}\n' "$1" "$2"; }
D 2023-05-01 2023-05-31 >"$T/early.jsonl"
before=$(count)
check_exit 65 "a reading before the certification period is refused" env CHOBO_NOW=2024-09-01T00:07:00Z ecopt-grant -L "$A" --factors "$F" "$T/early.jsonl"
check "... as outside it, naming it" grep -q '"reason":"the period 2023-05-01 to 2023-05-31 lies outside the programme.s certification period, 2023-06-01 to 2031-03-31 (eco.certification_start)' "$T/last.out"
D 2023-05-20 2023-08-10 >"$T/across-start.jsonl"
check_exit 65 "a reading across its start is refused" env CHOBO_NOW=2024-09-01T00:07:00Z ecopt-grant -L "$A" --factors "$F" "$T/across-start.jsonl"
check "... with the part to give" grep -q 'reaches outside the programme.s certification period, 2023-06-01 to 2031-03-31 (eco.certification_start): give the part inside it, from 2023-06-01 to 2023-08-10' "$T/last.out"
check "... nothing appended" test "$before" -eq "$(count)"
D 2023-08-01 2023-08-31 >"$T/inside.jsonl"
check "a reading inside it is granted" sh -c "CHOBO_NOW=2024-09-01T00:07:00Z ecopt-grant -L '$A' --factors '$F' '$T/inside.jsonl' | grep -q granted"
# The same rule holds for a reading entry given to chain-append: the granted one, moved to September
# (the month after it), once the period is set to start in October.
sed -i 's/^eco.certification_start = .*/eco.certification_start = 2023-10-01/' "$A/chobo.conf"
chain-log -L "$A" --type eco.reading | tail -1 | python3 -c '
import json, sys
b = json.loads(sys.stdin.read())["body"]
b["from"], b["to"] = "2023-09-01", "2023-09-30"
for p in b["parts"]:
    p["from"], p["to"] = b["from"], b["to"]
print(json.dumps({"type": "eco.reading", "body": b}, ensure_ascii=False))' >"$T/early-entry.jsonl"
before=$(count)
check_exit 65 "an eco.reading entry before the certification period is refused by chain-append too" \
	env CHOBO_NOW=2024-09-01T00:08:00Z chain-append -L "$A" "$T/early-entry.jsonl"
check "... saying why, and nothing appended" sh -c "grep -q 'the period 2023-09-01 to 2023-09-30 lies outside the programme.s certification period, 2023-10-01 to 2031-03-31' '$T/last.err' &&
	test $before -eq \$(chain-log -L '$A' | wc -l)"
sed -i 's/^eco.certification_start = .*/eco.certification_start = 2023-06-01/' "$A/chobo.conf"
check "... and taken once the period covers it" sh -c "CHOBO_NOW=2024-09-01T00:09:00Z chain-append -q -L '$A' '$T/early-entry.jsonl' &&
	test $((before + 1)) -eq \$(chain-log -L '$A' | wc -l)"
check "chain-verify --views agrees" chain-verify -q -L "$A" --views
done_testing
