#!/bin/sh
# chain-init: layout, keys, refusal of an existing ledger, bad arguments.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
check "chain-init creates a ledger" sh -c "chain-init --origin test.example/hachioji-1 '$L' >'$T/init.json'"
check "it prints both verifier keys as JSON" python3 -c "
import json, sys
j = json.load(open('$T/init.json'))
assert j['origin'] == 'test.example/hachioji-1'
assert j['log_key'].startswith('test.example/hachioji-1+')
assert j['witness_key'].startswith('test.example/hachioji-1/witness+')
assert j['log_key'] + '\n' == open('$L/keys/node.pub').read()
assert j['witness_key'] + '\n' == open('$L/keys/witness.pub').read()
"
check "layout: chobo.conf keys trust db private" test -f "$L/chobo.conf" -a -d "$L/keys" -a -d "$L/trust" -a -d "$L/db" -a -d "$L/private"
check "secret keys are mode 0600" sh -c "[ \$(stat -c %a '$L/keys/node.key') = 600 ] && [ \$(stat -c %a '$L/keys/witness.key') = 600 ]"
check "the log key is in the PRIVATE+KEY form named after the origin" grep -q '^PRIVATE+KEY+test.example/hachioji-1+[0-9a-f]\{8\}+' "$L/keys/node.key"
check "trust/ holds the node's own keys" sh -c "grep -qF \"\$(cat '$L/keys/node.pub')\" '$L/trust/self'"
check "a fresh ledger verifies: no entries, the empty tree's checkpoint" sh -c "chain-verify '$L' | grep -q '\"ok\":true,.*\"entries\":0,\"checkpoints\":1'"
check "the empty tree's checkpoint carries SHA-256 of the empty string" sh -c "chain-proof -L '$L' checkpoint --raw | sed -n 3p | grep -qx '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
check_exit 73 "an existing ledger is refused" chain-init --origin test.example/other "$L"
check "the existing ledger's keys are untouched" sh -c "grep -qF \"\$(cat '$L/keys/node.pub')\" '$T/init.json'"
check_exit 64 "--origin is required" chain-init "$T/x"
check_exit 64 "an origin with a space is refused" chain-init --origin "bad origin" "$T/y"
check "CHOBO_LEDGER names the default directory" sh -c "cd '$T' && CHOBO_LEDGER=env-ledger chain-init -q --origin test.example/e >/dev/null && test -f env-ledger/chobo.conf"
check "--help and --version exit 0" sh -c "chain-init --help | grep -q usage && chain-init --version | grep -q chobo"

# scripts/chobo-authorized-key, run on a new node: its answers as chain-sync(1) gives them.
AK=$top_srcdir/scripts/chobo-authorized-key
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhYjPz+/DQ6Zwt7IDMG8CT/6Y0JRl1bGL9wXeKXf8SN peer@example\n' >"$T/peer.pub"
check_exit 0 "chobo-authorized-key prints the forced command's line" "$AK" "$L" "$T/peer.pub" /usr/local/bin/chain-sync
check "... restricted to chain-sync --serve on the ledger" \
	grep -qx "restrict,command=\"/usr/local/bin/chain-sync --serve -L $L\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMhYjPz+/DQ6Zwt7IDMG8CT/6Y0JRl1bGL9wXeKXf8SN peer@example" "$T/last.out"
check_exit 66 "... 66 for a directory that is not a ledger" "$AK" "$T" "$T/peer.pub"
check_exit 66 "... 66 for a key file that is not there" "$AK" "$L" "$T/no-such.pub"
printf 'not a key\n' >"$T/notkey.pub"
check_exit 65 "... 65 for a file without an ssh public key" "$AK" "$L" "$T/notkey.pub"
check_exit 64 "... 64 for a chain-sync path with a blank" "$AK" "$L" "$T/peer.pub" "/opt/my bin/chain-sync"
done_testing
