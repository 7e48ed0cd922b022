#!/bin/sh
# A ledger made before the entry indexes and views existed: the first normal
# open indexes every entry; an audit of it before then cannot be made (the
# tables it needs are missing, as from an incomplete copy) and says which.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
sha=$(printf 'document' | sha256sum | cut -d' ' -f1)
{
	notes 3
	printf '{"type":"doc.attest","body":{"sha256":"%s","issuer":"city","issued":"2026-04-01T00:00:00Z","kind":"resident-certificate"}}\n' "$sha"
} >"$T/in"
check "entries are appended" sh -c "chain-append -L '$L' '$T/in' >/dev/null"
check "the indexes verify" chain-verify --index "$L"
chain-verify --index --views "$L" >"$T/before.json"

# The index tables of an older ledger do not exist.
rm -f "$L/db/types.db" "$L/db/keys.db" "$L/db/views.db" "$L/db/viewmarks.db"
check_exit 66 "an audit of the ledger without index tables is an error, not a verdict" chain-verify "$L"
check "... naming the missing file" grep -q 'db/types.db: missing' "$T/last.err"
check "... with no report" test ! -s "$T/last.out"
check "a normal open builds the indexes" sh -c "chain-log -L '$L' >'$T/log'"
check "... without changing the entries" test "$(wc -l <"$T/log")" -eq 4
check "the rebuilt indexes and views verify" sh -c "chain-verify --index --views '$L' >'$T/after.json'"
check "... with the same report as before" cmp "$T/before.json" "$T/after.json"
check "the tables were created" test -f "$L/db/types.db" -a -f "$L/db/keys.db" -a -f "$L/db/views.db"
check "appending goes on" sh -c "notes 1 after | chain-append -L '$L' >/dev/null && chain-verify --index --views '$L' >/dev/null"
done_testing
