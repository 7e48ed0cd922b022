#!/bin/sh
# Each program links what it uses: chain-key, which only handles key files,
# and cert-check, which asks a ledger through chain-proof and chain-view,
# must run without Berkeley DB.  Read from the programs' dynamic sections
# (NEEDED), so that the check does not depend on what the loader finds,
# and, where configure linked the static archives (--disable-static-deps
# not given), from the symbols the program defines.
# And the core library must stand alone: nothing in it may call into the
# ledger library, or a program that links the core would need the store.
. "${top_srcdir:-.}/tests/lib.sh"

# needed PROGRAM: its NEEDED libraries, then "libdb (static)" and
# "libsodium (static)" when it holds their code (db_env_create, sodium_init).
if command -v objdump >/dev/null 2>&1; then
	needed() {
		objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }'
		objdump -t "$1" | awk 'NF >= 3 && $(NF - 2) != "*UND*" && ($NF == "db_env_create" || $NF == "sodium_init") {
			print ($NF == "db_env_create" ? "libdb" : "libsodium") " (static)" }'
	}
elif command -v readelf >/dev/null 2>&1; then
	needed() {
		readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
		readelf -sW "$1" | awk 'NF >= 8 && $7 != "UND" && ($8 == "db_env_create" || $8 == "sodium_init") {
			print ($8 == "db_env_create" ? "libdb" : "libsodium") " (static)" }'
	}
else
	echo "1..0 # SKIP neither objdump nor readelf is installed"
	exit 0
fi

# binary NAME: the program itself, not a libtool wrapper script.
binary() {
	if [ -f "$top_builddir/.libs/$1" ]; then
		echo "$top_builddir/.libs/$1"
	else
		echo "$top_builddir/$1"
	fi
}

plan 6

needed "$(binary chain-init)" >"$T/init.needed"
if grep -q '^libdb' "$T/init.needed"; then
	ok "chain-init needs libdb (so the check below can see it)"
else
	not_ok "chain-init neither lists libdb among its NEEDED libraries nor holds its code"
	sed 's/^/# /' "$T/init.needed"
fi

# no_libdb PROGRAM: one test point, that PROGRAM lists libraries but not libdb; they stay in $T/PROGRAM.needed.
no_libdb() {
	needed "$(binary "$1")" >"$T/$1.needed"
	if [ -s "$T/$1.needed" ] && ! grep -q '^libdb' "$T/$1.needed"; then
		ok "$1 does not need libdb"
	else
		not_ok "$1 is linked against libdb (or its NEEDED list could not be read)"
		sed 's/^/# /' "$T/$1.needed"
	fi
}

no_libdb chain-key
check "chain-key needs libsodium" grep -q '^libsodium' "$T/chain-key.needed"
no_libdb cert-check

core=$top_builddir/lib/.libs/libchobo-core.a
ledger=$top_builddir/lib/.libs/libchobo-ledger.a
if command -v nm >/dev/null 2>&1 && [ -f "$core" ] && [ -f "$ledger" ]; then
	nm -g --defined-only "$ledger" | awk 'NF == 3 { print $3 }' | sort -u >"$T/ledger.defined"
	nm -u "$core" | awk 'NF == 2 { print $2 }' | sort -u >"$T/core.undefined"
	comm -12 "$T/core.undefined" "$T/ledger.defined" >"$T/core.needs-ledger"
	if [ ! -s "$T/core.needs-ledger" ] && [ -s "$T/ledger.defined" ]; then
		ok "the core library calls nothing in the ledger library"
	else
		not_ok "the core library calls into the ledger library"
		sed 's/^/# /' "$T/core.needs-ledger" | head -10
	fi
else
	ok "# SKIP nm or the libraries' archives are not here"
fi

# And it still does its job on a ledger, found through CHOBO_LEDGER.
new_ledger "$T/ledger"
check "chain-key show finds the ledger named by CHOBO_LEDGER" \
	sh -c "CHOBO_LEDGER='$T/ledger' chain-key show | grep -q '\"log_key\":\"test.example/node-1+'"

done_testing
