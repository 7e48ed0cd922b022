#!/bin/sh
# Posting a sheet of needs, offers or requests again posts nothing twice: a record
# with a body.ref its log gave before to the same record is left out and
# reported as a duplicate of that entry (exit 0); a changed record under a
# used ref is refused whole; the same ref twice in one batch is refused by
# the rule under the lock; another node's log may use the same ref; the
# references survive a rebuild of the views.
. "${top_srcdir:-.}/tests/lib.sh"

. "$top_srcdir/tests/supply-nodes.sh"
CATALOGUE=$top_srcdir/data/supply-items.jsonl
T0=2025-06-01T09:00:00Z
count() { chain-log -L "$1" | wc -l; }
# field FILE N NAME: field NAME of line N of the JSON Lines FILE.
field() {
	python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2]) - 1])[sys.argv[3]])' "$@"
}

for d in "$A" "$B"; do
	CHOBO_NOW=$T0 supply-post -q -L "$d" item "$CATALOGUE" >/dev/null &&
		CHOBO_NOW=$T0 supply-post -q -L "$d" site --code S-001 --name 第一小学校 --municipality 八王子市 \
			--role shelter --open true >/dev/null || { not_ok "setup of $d"; exit 1; }
done

cat >"$T/needs.csv" <<'EOF'
ref,site,item,quantity,unit
row-1,S-001,water-2l,120,本
row-2,S-001,diaper-m,30,パック
EOF
check "a sheet of two needs with refs is posted" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' >'$T/first.out'"
check "... two receipts" test "$(wc -l <"$T/first.out")" -eq 2
n=$(count "$A")
check "the same sheet again exits 0" sh -c \
	"CHOBO_NOW=$T0 supply-post -L '$A' need --csv '$T/needs.csv' >'$T/again.out' 2>'$T/again.err'"
check "... and appends nothing" test "$(count "$A")" -eq "$n"
check "... one line per record, each a duplicate" test "$(grep -c '"result":"duplicate"' "$T/again.out")" -eq 2
check "... naming the entry first posted, in the input's order" test \
	"$(field "$T/again.out" 1 leaf_hash) $(field "$T/again.out" 2 leaf_hash)" = \
	"$(field "$T/first.out" 1 leaf_hash) $(field "$T/first.out" 2 leaf_hash)"
check "... with its ref" test "$(field "$T/again.out" 2 ref)" = row-2
check "... and says so on stderr" grep -q "2 of 2 records were posted before" "$T/again.err"
check "supply-status counts 120 bottles of water, not 240" sh -c \
	"CHOBO_NOW=$T0 supply-status -L '$A' --item water-2l | grep -q '\"needed\":120,'"

printf 'row-3,S-001,alpha-rice,50,食\n' >>"$T/needs.csv"
check "the sheet with a row added" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' >'$T/third.out'"
check "... posts only the new row" test "$(count "$A")" -eq $((n + 1))
check "... whose line is a receipt, after the two duplicates" sh -c \
	"sed -n 3p '$T/third.out' | grep -q '\"leaf_index\":$n,' && test \$(grep -c duplicate '$T/third.out') -eq 2"

n=$(count "$A")
sed 's/^row-2,S-001,diaper-m,30,/row-2,S-001,diaper-m,40,/' "$T/needs.csv" >"$T/changed.csv"
check_exit 65 "a changed quantity under a used ref is refused" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/changed.csv' 2>'$T/changed.err'"
check "... naming the row, the ref and the field" \
	grep -q "changed.csv:3: ref row-2 is already the reference of entry .*, whose quantity is not" "$T/changed.err"
check "... and nothing was appended, not even the unchanged rows" test "$(count "$A")" -eq "$n"

check_exit 65 "the same ref twice in one input is refused" sh -c \
	"printf 'ref,site,item,quantity,unit\\nrow-9,S-001,water-2l,1,本\\nrow-9,S-001,water-2l,2,本\\n' |
	 CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv 2>'$T/twice.err'"
check "... naming both rows" grep -q 'stdin:3: ref row-9 is given to stdin:2 too' "$T/twice.err"
check "... and nothing was appended" test "$(count "$A")" -eq "$n"
check_exit 65 "a copied row of a sheet posted before is refused too, not taken as two repeats" sh -c \
	"sed -n 2p '$T/needs.csv' >>'$T/needs.csv' && CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' 2>'$T/copied.err'"
check "... naming the rows" grep -q 'needs.csv:5: ref row-1 is given to .*needs.csv:2 too' "$T/copied.err"
sed -i '$d' "$T/needs.csv"
check_exit 65 "chain-append of two needs with one ref in one batch is refused by the rule under the lock" sh -c \
	"printf '{\"type\":\"supply.need\",\"body\":{\"site\":\"S-001\",\"item\":\"water-2l\",\"quantity\":%d,\"unit\":\"本\",\"ref\":\"r-x\"}}\\n' 1 2 |
	 CHOBO_NOW=$T0 chain-append -q -L '$A' 2>'$T/rule.err'"
check "... saying the batch gives it twice" grep -q 'body.ref r-x is given to an earlier entry of this batch too' "$T/rule.err"
check "... and nothing was appended" test "$(count "$A")" -eq "$n"
check_exit 65 "a record with a field of no schema under a used ref is refused by the schema, not taken as a repeat" \
	sh -c "printf '{\"ref\":\"row-1\",\"site\":\"S-001\",\"item\":\"water-2l\",\"quantity\":120,\"unit\":\"本\",\"colour\":\"blue\"}\\n' |
	 CHOBO_NOW=$T0 supply-post -q -L '$A' need 2>'$T/extra.err'"
check "... naming the field" grep -q 'colour' "$T/extra.err"
check "a need with a deadline, posted again with the same time written in UTC, is a repeat" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --site S-001 --item water-2l --quantity 3 --unit 本 --ref dl-1 --deadline 2025-06-05T00:00:00+09:00 >/dev/null &&
	 CHOBO_NOW=$T0 supply-post -q -L '$A' need --site S-001 --item water-2l --quantity 3 --unit 本 --ref dl-1 --deadline 2025-06-04T15:00:00Z | grep -q '\"result\":\"duplicate\"'"
n=$(count "$A")

check_exit 65 "a ref outside its characters is refused by the schema" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --site S-001 --item water-2l --quantity 1 --unit 本 --ref 'row 1' 2>'$T/bad.err'"
check "... naming --ref" grep -q -- "--ref must be a reference of 1 to 64" "$T/bad.err"

# An offer's ref is its own: the same text on a need does not make it a repeat.
check "an offer with the ref row-1 of a need is refused (a ref names one record of a log)" sh -c \
	"! CHOBO_NOW=$T0 supply-post -q -L '$A' offer --item water-2l --quantity 10 --unit 本 --firm 多摩水道 --ref row-1 2>'$T/kind.err' &&
	 grep -q 'ref row-1 is already the reference of a supply.need' '$T/kind.err'"
check "an offer with a ref of its own, by options, posted twice, is appended once" sh -c \
	"for k in 1 2; do CHOBO_NOW=$T0 supply-post -q -L '$A' offer --item water-2l --quantity 10 --unit 本 --firm 多摩水道 --ref of-1 >\"$T/offer.\$k\" || exit 1; done
	 grep -q '\"leaf_index\"' '$T/offer.1' && grep -q '\"result\":\"duplicate\"' '$T/offer.2' &&
	 test \$(chain-log -L '$A' --type supply.offer | wc -l) -eq 1"

# A sheet on standard input with --csv takes the options as defaults for its rows.
check "a sheet piped in with --csv and --disaster: the option is every row's default" sh -c \
	"printf 'ref,site,item,quantity,unit\\nst-1,S-001,water-2l,7,本\\n' |
	 CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv --disaster d-2025 >'$T/stdin.out' &&
	 chain-log -L '$A' --type supply.need | tail -n1 | grep -q '\"disaster\":\"d-2025\".*\"ref\":\"st-1\"\\|\"ref\":\"st-1\".*\"disaster\":\"d-2025\"'"
check_exit 65 "a sheet whose header has capitals and a blank is refused" sh -c \
	"printf 'Ref,Site ,item,quantity,unit\\nst-2,S-001,water-2l,7,本\\n' |
	 CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv 2>'$T/caps.err'"
check "... with the spelling to write" grep -q 'column 1: supply.need has no field "Ref": write "ref"' "$T/caps.err"
check "... for the blank too" sh -c "printf 'ref,Site \\nx,S-001\\n' | CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv 2>&1 | grep -q 'no field \"Site \": write \"site\"'"
# A reference field may name this log's need or offer by its ref.
check "cancel --ref ref:row-2 cancels the need posted as row-2" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' cancel --ref ref:row-2 --reason 'posted by mistake' >/dev/null &&
	 chain-log -L '$A' --type supply.cancel | tail -n1 | grep -q '\"ref\":\"$(field "$T/first.out" 2 leaf_hash)\"'"
check "the sheet posted again says row-2's need is cancelled" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' | grep '\"ref\":\"row-2\"' | grep -q '\"cancelled\":true}'"
check "... and only row-2's" sh -c \
	"test \$(CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' | grep -c cancelled) -eq 1"
n=$(count "$A")
check_exit 65 "an offer pledged to the cancelled need is refused" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' offer --item diaper-m --quantity 30 --unit パック --firm 多摩物流 --need ref:row-2 2>'$T/pc.err'"
check "... saying the need is cancelled" grep -q 'the need .* is cancelled (by .*): it takes nothing more' "$T/pc.err"
check_exit 65 "... and so is a request that would fill it" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer \$(CHOBO_NOW=$T0 supply-post -q -L '$A' offer --item diaper-m --quantity 5 --unit パック --firm 多摩物流 | sed 's/.*\"leaf_hash\":\"\\([0-9a-f]*\\)\".*/\\1/') --quantity 5 --site S-001 --need ref:row-2 2>'$T/rc.err'"
check "... saying the need is cancelled" grep -q 'is cancelled' "$T/rc.err"
check "... and nothing but that free offer was appended" test "$(count "$A")" -eq $((n + 1))
n=$(count "$A")
check "a cancel sheet run again: the cancel done is a duplicate, the new row is cancelled" sh -c \
	"printf 'ref,reason\\nref:row-2,posted by mistake\\nref:st-1,no longer needed\\n' |
	 CHOBO_NOW=$T0 supply-post -q -L '$A' cancel --csv >'$T/cancels.out' &&
	 sed -n 1p '$T/cancels.out' | grep -q '\"result\":\"duplicate\"' && sed -n 2p '$T/cancels.out' | grep -q '\"leaf_index\"'"
check "... one entry appended" test "$(count "$A")" -eq $((n + 1))
check_exit 65 "a ref: that this log never gave is refused" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' cancel --ref ref:row-404 2>'$T/noref.err'"
check "... naming the option and the reference" grep -q -- '--ref: ref:row-404: no need, offer or request of this node.s log has the reference row-404' "$T/noref.err"
check_exit 65 "a request whose --offer names a need is refused by the rule" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer ref:row-1 --quantity 1 --site S-001 2>'$T/rq.err'"
check "... naming the option, not the entry's field" sh -c "grep -q -- '--offer names a supply.need, not a supply.offer' '$T/rq.err' && ! grep -q 'body\.' '$T/rq.err'"
check_exit 65 "a sheet piped in with options but no --csv: the options make the record" sh -c \
	"printf 'site,item\\nS-001,water-2l\\n' | CHOBO_NOW=$T0 supply-post -q -L '$A' need --unit 本 --quantity 3 2>'$T/nocsv.err'"
check "... and the refusal says how to have the sheet read" grep -q 'standard input is read with --csv or --jsonl' "$T/nocsv.err"
# Another log may give the same ref: each log's refs are its own.
copy "$A" "$B" || { not_ok "copy A to B"; exit 1; }
check "B posts its own need row-1 after holding A's" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$B' need --site S-001 --item water-2l --quantity 5 --unit 本 --ref row-1 >'$T/b.out' &&
	 grep -q '\"leaf_index\"' '$T/b.out'"
copy "$B" "$A" || { not_ok "copy B to A"; exit 1; }
check "A imports B's row-1 beside its own" test "$(chain-log -L "$A" --type supply.need | wc -l)" -eq 6
check "A's own sheet is still a duplicate after the import" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' need --csv '$T/needs.csv' | grep -c duplicate | grep -qx 3"
check "the views rebuilt from the ledger are the same (chain-verify --views)" chain-verify -q -L "$A" --views
check "supply.lines shows the references as JSON" sh -c \
	"chain-view -L '$A' supply.lines | grep '\"key\":\"ref/' | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' &&
	 test \$(chain-view -L '$A' supply.lines | grep -c '\"key\":\"ref/') -eq 7"

# A request posted with a ref is posted once too, and a shipment names it by ref:.
check "a request with --ref of a free offer's 10 bottles" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' offer --item water-2l --quantity 50 --unit 本 --firm 多摩物流 --ref of-9 >'$T/of9.out' &&
	 CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer ref:of-9 --quantity 10 --site S-001 --need ref:row-1 --ref rq-1 >'$T/rq1.out' &&
	 grep -q '\"type\":\"supply.request\"' '$T/rq1.out'"
n=$(count "$A")
check "the same request again is a duplicate of it" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer ref:of-9 --quantity 10 --site S-001 --need ref:row-1 --ref rq-1 |
	 grep -q '^{\"result\":\"duplicate\",\"leaf_index\":$(field "$T/rq1.out" 1 leaf_index),\"leaf_hash\":\"$(field "$T/rq1.out" 1 leaf_hash)\"'"
check "... and appends nothing: one request stands" sh -c \
	"test \$(chain-log -L '$A' | wc -l) -eq $n && test \$(chain-log -L '$A' --type supply.request | wc -l) -eq 1"
check_exit 65 "a request under rq-1 for another quantity is refused" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer ref:of-9 --quantity 11 --site S-001 --need ref:row-1 --ref rq-1 2>'$T/rq2.err'"
check "... naming the field" grep -q 'whose quantity is not this record' "$T/rq2.err"
check_exit 65 "chain-append of a request under rq-1 is refused by the rule" sh -c \
	"echo '{\"type\":\"supply.request\",\"body\":{\"offer\":\"$(field "$T/of9.out" 1 leaf_hash)\",\"quantity\":1,\"site\":\"S-001\",\"ref\":\"rq-1\"}}' |
	 CHOBO_NOW=$T0 chain-append -q -L '$A' 2>'$T/rq3.err'"
check "... as the reference of another entry" grep -q 'body.ref rq-1 is already the reference of entry' "$T/rq3.err"
check "a shipment of the request by --request ref:rq-1 names the request's entry" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' ship --request ref:rq-1 --box 1 --quantity 10 >/dev/null &&
	 chain-log -L '$A' --type supply.shipment | tail -n1 | grep -q '\"request\":\"$(field "$T/rq1.out" 1 leaf_hash)\"'"
check_exit 65 "the ship sheet run again, the request all shipped, is refused" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' ship --request ref:rq-1 --box 1 --quantity 10 2>'$T/ship2.err'"
check "... naming the box shipped, not a shipment beyond the request" sh -c \
	"grep -q 'box 1 of request [0-9a-f]* is already shipped' '$T/ship2.err' && ! grep -q beyond '$T/ship2.err'"
check "a second request rq-2 of 5 for row-1" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' request --offer ref:of-9 --quantity 5 --site S-001 --need ref:row-1 --ref rq-2 >'$T/rq2.out'"
check "cancelling need row-1 says rq-2 is still to ship, with the command that cancels it" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' cancel --ref ref:row-1 --reason 'no longer needed' 2>'$T/cn.err' >/dev/null &&
	 grep -q 'request $(field "$T/rq2.out" 1 leaf_hash | cut -c1-16) of the cancelled need still has 5 本 to ship; if they are not to go: supply-post cancel --ref $(field "$T/rq2.out" 1 leaf_hash)' '$T/cn.err' &&
	 test \$(grep -c 'still has' '$T/cn.err') -eq 1"
check "... which cancels it" sh -c \
	"CHOBO_NOW=$T0 supply-post -q -L '$A' cancel --ref ref:rq-2 >/dev/null &&
	 chain-view -L '$A' supply.lines request/$(field "$T/rq2.out" 1 leaf_hash) | grep -q cancelled_by"
check "after the requests: chain-verify --views" chain-verify -q -L "$A" --views

done_testing
