#!/bin/sh
# The private store: people behind pseudonymous IDs, off the ledger, erasable without a trace in any file.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
NAME='Hanako Erasetest'
NAME_JA='消去 花子'
MAIL='hanako.erasetest@mail.example.jp'
OLD_MAIL='h.erasetest-old@mail.example.jp'
IDENT='R-99887766554433'

# leaks NEEDLE...: print the files under the ledger whose raw bytes contain any needle.
leaks() {
	find "$L" -type f | while read -r f; do
		for n in "$@"; do
			grep -a -q -F -- "$n" "$f" && echo "$f: $n"
		done
	done
}
# leaks_hex HEX...: the same for byte strings given in hex.
leaks_hex() {
	find "$L" -type f -print0 | xargs -0 python3 -c '
import sys
needles = [bytes.fromhex(h) for h in sys.argv[1].split()]
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    for n in needles:
        if n in data:
            print(path + ": " + n.hex())
' "$*"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }
private_digest() { cat "$L/private/people.db" | sha256sum; }
# An empty needle would be found everywhere and hide a broken test.
needed() { for n; do [ -n "$n" ] || { echo "an empty needle" >&2; return 1; }; done; }
# no_leaks NEEDLE... / no_leaks_hex HEX...: fail, naming them, when files hold any.
no_leaks() { needed "$@" && out=$(leaks "$@"); [ -z "$out" ] || { echo "$out" >&2; false; }; }
no_leaks_hex() { needed "$@" && out=$(leaks_hex "$@"); [ -z "$out" ] || { echo "$out" >&2; false; }; }

check_exit 0 "add from options" chain-private -L "$L" add --identifier "$IDENT" --name "$NAME" \
	--role resident --mail "$OLD_MAIL"
ID=$(field id <"$T/last.out")
check "... prints a pseudonymous ID (p- and 32 hex digits), created" sh -c \
	"echo '$ID' | grep -Eqx 'p-[0-9a-f]{32}' && grep -q '\"created\":true' '$T/last.out'"
check "private/ is 0700 and node.secret and people.db are 0600" sh -c \
	"[ \$(stat -c %a '$L/private') = 700 ] && [ \$(stat -c %a '$L/private/node.secret') = 600 ] && [ \$(stat -c %a '$L/private/people.db') = 600 ]"
check "... and people.db holds nothing in the clear" no_leaks "$NAME" "$OLD_MAIL" "$IDENT"
check_exit 0 "show ID" chain-private -L "$L" show "$ID"
check "... prints the record" python3 -c "
import json; r = json.load(open('$T/last.out'))
assert r == {'id': '$ID', 'identifier': '$IDENT', 'name': '$NAME', 'role': 'resident',
             'mail': '$OLD_MAIL', 'registered': r['registered']}, r"

printf '{"identifier":"%s","name":"%s","role":"resident","mail":"%s"}\n' "$IDENT" "$NAME" "$MAIL" >"$T/again.jsonl"
check_exit 0 "the same identifier again, as JSON on stdin" sh -c "chain-private -L '$L' add <'$T/again.jsonl'"
same_id() { [ "$(field id <"$T/last.out")" = "$ID" ]; }
check "... gets the same ID" same_id
check "... its mail updated" sh -c "grep -q '\"created\":false,\"updated\":true' '$T/last.out' &&
	 chain-private -L '$L' show '$ID' | grep -qF '\"mail\":\"$MAIL\"'"
check "... and the old mail address is in no file any more" no_leaks "$OLD_MAIL"
before=$(private_digest)
check_exit 0 "the same record once more" sh -c "chain-private -L '$L' add <'$T/again.jsonl'"
check "... changes nothing" sh -c "grep -q '\"created\":false,\"updated\":false' '$T/last.out' && [ \"\$(cat '$L/private/people.db' | sha256sum)\" = '$before' ]"
cat >"$T/more.jsonl" <<EOF
{"identifier":"S-0042","name":"Daini Elementary School","role":"shelter"}
{"identifier":"R-1","name":"$NAME_JA","mail":"hanako@例え.jp"}
EOF
check_exit 0 "a batch of two, one with a Japanese name and an internationalised domain" chain-private -L "$L" add -q "$T/more.jsonl"
check "... two new IDs" sh -c "[ \$(grep -c '\"created\":true' '$T/last.out') = 2 ]"
check_exit 0 "list" chain-private -L "$L" list
check "... three JSON Lines, never a secret" sh -c \
	"[ \$(wc -l <'$T/last.out') = 3 ] && python3 -c 'import sys,json; [json.loads(l) for l in open(sys.argv[1])]' '$T/last.out' &&
	 ! grep -qi secret '$T/last.out'"

# Bad input is refused and stores nothing, not even the good lines beside it.
before=$(private_digest)
# bad LINE WHAT [MESSAGE]: a batch of a good line and LINE is refused, saying MESSAGE.
bad() {
	printf '%s\n' '{"identifier":"N-1","name":"Fine Person"}' "$1" >"$T/bad.jsonl"
	check_exit 65 "refused: $2" chain-private -L "$L" add "$T/bad.jsonl"
	check "... says so, nothing stored" sh -c \
		"grep -q '${3:-bad.jsonl:2: }.*nothing was stored' '$T/last.err' && [ \"\$(cat '$L/private/people.db' | sha256sum)\" = '$before' ]"
}
bad '{"identifier":"N-2","name":"X","mail":"no-at-sign.example.jp"}' "a mail address without @"
bad '{"identifier":"N-2","name":"X","mail":"a@b@example.jp"}' "a mail address with two @"
bad '{"identifier":"N-2","name":"X","mail":"x@example.jp\r\nBcc: all@example.jp"}' "a mail address with a line break"
bad '{"identifier":"N-2","name":"Tab\tName"}' "a control character in a name"
bad '{"identifier":"N-2","name":"X\u202eY"}' "a bidi override in a name"
bad '{"identifier":"N-2"}' "no name"
bad '{"name":"X"}' "no identifier"
bad '{"identifier":"N-2","name":"X","phone":"03-1234"}' "an unknown field"
bad '{"identifier":"N-2","name":1}' "a number for a name"
bad "{\"identifier\":\"N-2\",\"name\":\"$(printf '%0201d' 0)\"}" "a name over 200 bytes"
bad '{"identifier":" N-2","name":"X"}' "an identifier with a leading space"
bad '{"identifier":"N-1","name":"Twice"}' "the same identifier twice in one batch" "persons 1 and 2 have the same identifier"
bad '{"identifier":"N-2","name":"X"' "not JSON"
printf '{"identifier":"N-2","name":"\377"}\n' >"$T/bad.jsonl"
check_exit 65 "refused: not UTF-8" chain-private -L "$L" add "$T/bad.jsonl"
check_exit 65 "refused: a bad mail address given as an option" chain-private -L "$L" add --identifier N-3 --name X --mail 'x@'
check "... nothing stored" test "$(private_digest)" = "$before"
printf 'identifier,name\nN-5,X\n' >"$T/people.csv"
check_exit 65 "add of a CSV table is refused" chain-private -L "$L" add "$T/people.csv"
check "... saying that it reads JSON Lines" grep -q "people.csv:1: not a JSON object: chain-private add reads JSON Lines" "$T/last.err"
# A byte order mark, as Excel's "CSV UTF-8" and Notepad write, is skipped at the start of a file, as the services skip it.
# (In a ledger of its own, so that the counts of people below stay as they are.)
LB=$T/bom-ledger
new_ledger "$LB"
printf '\357\273\277{"identifier":"B-1","name":"Bom Person"}\n{"identifier":"B-2","name":"Bom Person 2"}\n' >"$T/bom.jsonl"
check_exit 0 "a file starting with a byte order mark is read" chain-private -L "$LB" add "$T/bom.jsonl"
check "... both lines stored, the first without the mark" sh -c \
	"[ \$(grep -c '\"created\":true' '$T/last.out') = 2 ] &&
	 chain-private -L '$LB' show \$(sed -n '1s/^{\"id\":\"\(p-[0-9a-f]*\)\".*/\1/p' '$T/last.out') | grep -qF '\"identifier\":\"B-1\"'"
check_exit 0 "... and so is standard input starting with one, before a blank line" \
	sh -c "printf '\\357\\273\\277\\r\\n{\"identifier\":\"B-3\",\"name\":\"Bom Person 3\"}\\n' | chain-private -L '$LB' add"
check "... one person stored" grep -q '"created":true' "$T/last.out"
before=$(sha256sum <"$LB/private/people.db")
printf '{"identifier":"B-4","name":"X"}\n\357\273\277{"identifier":"B-5","name":"Y"}\n' >"$T/bom2.jsonl"
check_exit 65 "a byte order mark on a later line (files joined with cat) is refused" chain-private -L "$LB" add "$T/bom2.jsonl"
check "... naming the mark and the line, nothing stored" sh -c \
	"grep -q 'bom2.jsonl:2: the line starts with a byte order mark (as Excel.s \"CSV UTF-8\" and Notepad write)' '$T/last.err' &&
	 [ \"\$(sha256sum <'$LB/private/people.db')\" = '$before' ]"
printf '\357\273\277identifier,name\nN-5,X\n' >"$T/bom.csv"
check_exit 65 "a CSV table starting with a byte order mark is refused" chain-private -L "$LB" add "$T/bom.csv"
check "... saying that it reads JSON Lines, not CSV" grep -q "bom.csv:1: not a JSON object: chain-private add reads JSON Lines.*not CSV" "$T/last.err"
check_exit 64 "add with --identifier but no --name is a usage error" chain-private -L "$L" add --identifier N-4
check "... saying what it needs" grep -q "add from options needs --identifier and --name" "$T/last.err"
check_exit 64 "show with a malformed ID" chain-private -L "$L" show p-XYZ
check_exit 66 "show with an unknown ID" chain-private -L "$L" show p-00000000000000000000000000000000
check_exit 66 "erase with an unknown ID" chain-private -L "$L" erase p-00000000000000000000000000000000
check_exit 64 "an unknown verb" chain-private -L "$L" forget "$ID"
check_exit 64 "options with show" chain-private -L "$L" show "$ID" --name X
check "--help and --version" sh -c "chain-private --help | grep -q '^usage: chain-private add' && chain-private --version | grep -q '^chain-private (chobo) '"

# Entries refer to the ID; nothing personal reaches the ledger, its bundles or chain-log.
printf '{"type":"note","body":{"text":"volunteer %s helped at shelter 3"}}\n' "$ID" | chain-append -q -L "$L" >/dev/null
check "chain-export writes a bundle" sh -c "chain-export -L '$L' -o '$T/full.bundle'"
check "... whose expanded records hold the ID but no personal data" python3 -c "
import zlib
raw = open('$T/full.bundle', 'rb').read()
assert raw[:15] == b'chobo-bundle/1\n'
data = zlib.decompress(raw[15:])
assert b'$ID' in data
for s in ['$NAME', '$NAME_JA', '$MAIL', '$IDENT', 'Daini Elementary', 'S-0042']:
    assert s.encode() not in data, s"
check "chain-log prints the ID, no personal data" sh -c \
	"chain-log -L '$L' >'$T/log' && grep -qF '$ID' '$T/log' && ! grep -qF -e '$NAME' -e '$MAIL' -e '$IDENT' -e Daini '$T/log'"

# Erasure: the record and the secret leave every file; the ledger is untouched.
check "the test helper reads the person's secret and stored record" sh -c "'$top_builddir/tests/private-peek' '$L' '$ID' >'$T/peek'"
SECRET=$(field secret <"$T/peek")
STORED=$(field stored <"$T/peek")
WRAPPED=$(printf '%s' "$STORED" | cut -c51-146)
RAWID=${ID#p-}
B64=$(python3 -c "import base64; print(base64.b64encode(bytes.fromhex('$SECRET')).decode())")
B64URL=$(python3 -c "import base64; print(base64.urlsafe_b64encode(bytes.fromhex('$SECRET')).decode().rstrip('='))")
found_before() { [ -n "$(leaks_hex "$STORED")" ] && [ -n "$(leaks_hex "$RAWID")" ] && [ -n "$(leaks "$ID")" ]; }
check "... which are found in the files before the erasure (the search can fail)" found_before
snap=$(snapshot "$L")
check_exit 0 "erase ID" chain-private -L "$L" erase "$ID"
check "... prints what was erased" sh -c "grep -qF '\"name\":\"$NAME\"' '$T/last.out' && grep -q '\"erased\":true' '$T/last.out'"
check_exit 66 "show ID after the erasure: no such person" chain-private -L "$L" show "$ID"
check "list no longer holds it" sh -c "chain-private -L '$L' list >'$T/list' && [ \$(wc -l <'$T/list') = 2 ] && ! grep -qF '$ID' '$T/list'"
check "no file under the ledger holds the name, mail address or identifier" no_leaks "$NAME" "$MAIL" "$OLD_MAIL" "$IDENT"
check "... nor the secret in hex or base64" no_leaks "$SECRET" "$(echo "$SECRET" | tr a-f A-F)" "$B64" "$B64URL"
check "... nor the secret, the ID, the wrapped secret or the sealed record as raw bytes" no_leaks_hex "$SECRET" "$RAWID" "$WRAPPED" "$STORED"
check "no copy or leftover of the private store is made" sh -c "[ \"\$(ls '$L/private')\" = \"\$(printf 'node.secret\npeople.db')\" ]"
check "every ledger entry stays: chain-verify passes" chain-verify -q "$L"
check "... the log is unchanged and still names the ID" sh -c "[ '$(snapshot "$L")' = '$snap' ] && chain-log -L '$L' | grep -qF '$ID'"
check "the others are still there" sh -c "chain-private -L '$L' list | grep -qF '$NAME_JA'"
check_exit 0 "the identifier registered again" chain-private -L "$L" add --identifier "$IDENT" --name "$NAME"
check "... gets a new ID" sh -c "! grep -qF '$ID' '$T/last.out' && grep -q '\"created\":true' '$T/last.out'"
check_exit 66 "... and the old ID still points to no one" chain-private -L "$L" show "$ID"

# The node secret and the lock.
chmod 644 "$L/private/node.secret"
check_exit 77 "a node.secret readable by others is refused" chain-private -L "$L" list
chmod 600 "$L/private/node.secret"
mv "$L/private/node.secret" "$T/node.secret"
check_exit 78 "records without their node.secret are refused" chain-private -L "$L" list
check "... adding does not make a new one then" sh -c "! chain-private -L '$L' add --identifier Z-1 --name Z 2>/dev/null && [ ! -e '$L/private/node.secret' ]"
mv "$T/node.secret" "$L/private/node.secret"
check_exit 75 "the ledger lock serialises the store" env CHOBO_LOCK_WAIT=0 flock "$L/db/lock" chain-private -L "$L" list
new_ledger "$T/empty"
check "an empty store lists nothing and makes no file" sh -c \
	"[ -z \"\$(chain-private -L '$T/empty' list)\" ] && [ -z \"\$(ls '$T/empty/private')\" ]"
done_testing
