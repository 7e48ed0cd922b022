#!/bin/sh
# Secret keys: encrypted with a passphrase (from a file or a descriptor), refused when exposed.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
umask 077
printf 'correct horse battery\n' >"$T/pass"
printf 'wrong\n' >"$T/wrong"
notes 1 one >"$T/one.jsonl"

check "chain-init --encrypt writes encrypted keys" sh -c "CHOBO_PASSPHRASE_FILE='$T/pass' chain-init -q --encrypt --origin test.example/k '$L' >/dev/null"
check "... neither secret key file holds the key in the clear" sh -c "! grep -q PRIVATE+KEY '$L/keys/node.key' '$L/keys/witness.key'"
check "... both are mode 0600" sh -c "[ \$(stat -c %a '$L/keys/node.key') = 600 ] && [ \$(stat -c %a '$L/keys/witness.key') = 600 ]"
check "chain-key show reports them encrypted" sh -c "chain-key show -L '$L' | grep -q '\"log_key_encrypted\":true.*\"witness_key_encrypted\":true'"
before=$(snapshot "$L")
check_exit 78 "appending without a passphrase is refused" chain-append -L "$L" "$T/one.jsonl"
check "... saying how to give one" grep -q CHOBO_PASSPHRASE "$T/last.err"
check_exit 77 "a wrong passphrase is refused" env CHOBO_PASSPHRASE_FILE="$T/wrong" chain-append -L "$L" "$T/one.jsonl"
check "... and nothing was appended" test "$(snapshot "$L")" = "$before"
chmod 644 "$T/pass"
check_exit 77 "a passphrase file readable by others is refused" env CHOBO_PASSPHRASE_FILE="$T/pass" chain-append -L "$L" "$T/one.jsonl"
chmod 600 "$T/pass"
check "the passphrase from a file" env CHOBO_PASSPHRASE_FILE="$T/pass" chain-append -q -L "$L" "$T/one.jsonl"
check "the passphrase from a file descriptor (for cron)" sh -c "CHOBO_PASSPHRASE_FD=3 chain-append -q -L '$L' '$T/one.jsonl' 3<'$T/pass'"
check "the ledger verifies" chain-verify -q "$L"
check_exit 65 "encrypting an encrypted key again is refused" env CHOBO_PASSPHRASE_FILE="$T/pass" chain-key encrypt -L "$L"
check "chain-key decrypt restores the plain C2SP form" sh -c "CHOBO_PASSPHRASE_FILE='$T/pass' chain-key -q decrypt -L '$L' && grep -q '^PRIVATE+KEY+test.example/k+' '$L/keys/node.key'"
check "... the same key: appends still verify" sh -c "chain-append -q -L '$L' '$T/one.jsonl' && chain-verify -q '$L'"
check "chain-key encrypt --key witness encrypts one key" sh -c "CHOBO_PASSPHRASE_FILE='$T/pass' chain-key -q encrypt --key witness -L '$L' && chain-key show -L '$L' | grep -q '\"log_key_encrypted\":false.*\"witness_key_encrypted\":true'"
printf 'chobo-encrypted-key/1 AAAA\n' >"$T/bad.key"
cp "$L/keys/node.key" "$T/node.key.plain"
cp "$T/bad.key" "$L/keys/node.key"
check_exit 78 "a malformed encrypted key is refused" env CHOBO_PASSPHRASE_FILE="$T/pass" chain-append -L "$L" "$T/one.jsonl"
cp "$T/node.key.plain" "$L/keys/node.key"
chmod 640 "$L/keys/node.key"
check_exit 77 "a group-readable secret key is refused" chain-append -L "$L" "$T/one.jsonl"
chmod 600 "$L/keys/node.key"
check_exit 64 "an unknown verb" chain-key frobnicate -L "$L"
check "one passphrase descriptor serves both keys of chain-init --encrypt" sh -c "CHOBO_PASSPHRASE_FD=3 chain-init -q --encrypt --origin test.example/fd '$T/fd' 3<'$T/pass' >/dev/null && chain-key show -L '$T/fd' | grep -q '\"log_key_encrypted\":true.*\"witness_key_encrypted\":true'"
check "... and both keys of chain-key decrypt" sh -c "CHOBO_PASSPHRASE_FD=3 chain-key -q decrypt -L '$T/fd' 3<'$T/pass' && chain-key show -L '$T/fd' | grep -q '\"log_key_encrypted\":false.*\"witness_key_encrypted\":false'"
check_exit 78 "chain-init --encrypt without a passphrase says so" env -u CHOBO_PASSPHRASE_FILE chain-init --encrypt --origin test.example/np "$T/np"
check_exit 66 "decrypting a missing key file" env CHOBO_PASSPHRASE_FILE="$T/pass" chain-key decrypt --key log -L "$T/nowhere-ledger"
done_testing
