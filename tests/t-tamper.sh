#!/bin/sh
# Tampering: one byte of one stored entry or checkpoint is changed in a copy
# of a ledger, either through Berkeley DB itself (page checksums stay valid:
# only the ledger's own hashes and signatures can notice) or raw in the file.
# chain-verify must never call such a copy valid, crash or hang, and must
# leave what it audits unchanged.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

SAMPLES=${CHOBO_TAMPER_SAMPLES:-60}

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to edit the database dumps"
	exit 0
fi

plan 19

have_db_tools=yes
for tool in db5.3_dump db5.3_load; do
	command -v "$tool" >/dev/null 2>&1 || have_db_tools=no
done

L=$T/ledger
new_ledger "$L"
rc=0
for n in 40 60 50 70 45; do
	notes "$n" "batch $n" | chain-append -L "$L" >/dev/null || rc=1
done
printf '%s\n' '{"type":"doc.attest","body":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","issuer":"registry.example","issued":"2026-01-02T03:04:05Z","kind":"deed"}}' |
	chain-append -L "$L" >/dev/null || rc=1
notes 35 "last" | chain-append -L "$L" >/dev/null || rc=1
if [ "$rc" -eq 0 ]; then
	ok "a ledger of 301 entries in 7 batches"
else
	not_ok "building the ledger failed"
fi
check_exit 0 "the untampered ledger verifies" chain-verify "$L"
check "... with 301 entries and 8 checkpoints" grep -q '"entries":301,"checkpoints":8' "$T/last.out"

# The original must come out of all this unchanged: its files, and what it shows.
snap_before=$(snapshot "$L")
files() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }
files "$L" >"$T/files.before"

# A copy that chain-verify audits is not modified.
cp -a "$L" "$T/copy"
files "$T/copy" >"$T/copy.before"
check_exit 0 "an untampered copy verifies" chain-verify "$T/copy"
files "$T/copy" >"$T/copy.after"
check "... and chain-verify left every file of the copy as it was" cmp "$T/copy.before" "$T/copy.after"

# The tampering is planned by one python3 run per kind (python3 starts slowly).
cat >"$T/tamper.py" <<'END_OF_SCRIPT'
# tamper.py dump IN OUTPREFIX SEED N: N edits of a db_dump (format=bytevalue)
#   text, each changing one byte of one value: OUTPREFIX.I, and one line per
#   edit on stdout; draws where the new byte equals the old one are skipped
#   and counted on stderr.
# tamper.py raw ENTRIES_DB CHECKPOINTS_DB SEED N: N single-byte changes inside
#   the bytes of stored entries (odd samples) and checkpoints (even ones), as
#   lines "FILE OFFSET NEWBYTE_OCTAL description".
import random, sys

mode = sys.argv[1]
rng = random.Random(sys.argv[-2])
n = int(sys.argv[-1])

if mode == 'dump':
    lines = open(sys.argv[2]).read().split('\n')
    start = lines.index('HEADER=END') + 1
    end = lines.index('DATA=END')
    nrec = (end - start) // 2
    made = skipped = 0
    while made < n and skipped < 10 * n:
        rec = rng.randrange(nrec)
        vl = start + 2 * rec + 1
        key = bytes.fromhex(lines[vl - 1].strip())
        value = bytearray.fromhex(lines[vl].strip())
        pos = rng.randrange(len(value))
        new = rng.randrange(256)
        if new == value[pos]:
            skipped += 1
            continue
        made += 1
        print('key %s byte %d of %d: 0x%02x -> 0x%02x' % (key.hex(), pos, len(value), value[pos], new))
        value[pos] = new
        edited = list(lines)
        edited[vl] = ' ' + value.hex()
        open('%s.%d' % (sys.argv[3], made), 'w').write('\n'.join(edited))
    print(skipped, file=sys.stderr)
elif mode == 'raw':
    def spans(path, begin, end_of):
        data = open(path, 'rb').read()
        out = []
        at = data.find(begin)
        while at >= 0:
            stop = end_of(data, at)
            if stop < 0:
                break
            out.append((at, stop))
            at = data.find(begin, stop)
        if not out:
            sys.exit('%s: no records found' % path)
        return data, out
    def entry_end(data, at):
        stop = data.find(b'}}', at)
        return stop + 2 if stop >= 0 else -1
    def checkpoint_end(data, at):
        sig = data.find(b'\xe2\x80\x94 ', at)     # the signature line
        stop = data.find(b'\n', sig) if sig >= 0 else -1
        return stop + 1 if stop >= 0 else -1
    files = [spans(sys.argv[2], b'{"log":"', entry_end),
             spans(sys.argv[3], b'test.example/node-1\n', checkpoint_end)]
    for i in range(n):
        name = sys.argv[2 + i % 2]
        data, sp = files[i % 2]
        a, b = rng.choice(sp)
        pos = rng.randrange(a, b)
        new = data[pos] ^ rng.randrange(1, 256)
        print("%s %d %03o offset %d: 0x%02x -> 0x%02x" % (
            name.rsplit("/", 1)[-1], pos, new, pos, data[pos], new))
END_OF_SCRIPT

seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
seed=${CHOBO_TAMPER_SEED:-$seed}
echo "# seed $seed (set CHOBO_TAMPER_SEED to repeat)"

# verify_copy DIR KIND DESCRIPTION: audit a tampered copy, record the outcome.
# Sanitizer reports count as crashes whatever the exit code.
verify_copy() {
	timeout 60 chain-verify "$1" >"$T/v.out" 2>"$T/v.err"
	code=$?
	if grep -q 'Sanitizer\|runtime error' "$T/v.err"; then
		code=crash
	fi
	echo "$code $3" >>"$T/$2.results"
	sed -n 's/.*"where":"\([a-z]*\)".*/\1/p' "$T/v.out" >>"$T/$2.where"
	case $code in
	0) { echo "# $2 accepted: $3"; sed 's/^/#   /' "$T/v.out"; } >>"$T/$2.bad" ;;
	crash | 124 | 12[5-9] | 1[3-9][0-9] | 2[0-9][0-9])
		{ echo "# $2 exit $code: $3"; head -5 "$T/v.err" | sed 's/^/#   /'; } >>"$T/$2.bad" ;;
	esac
	if [ "$code" = 1 ] && ! grep -q '"ok":false' "$T/v.out"; then
		echo "# $2 exit 1 without an \"ok\":false report: $3" >>"$T/$2.bad"
	fi
}

# summarize KIND: a TAP comment with the exit codes seen.
summarize() {
	[ -f "$T/$1.results" ] || return 0
	echo "# $1: $(wc -l <"$T/$1.results") samples, exit codes: $(cut -d' ' -f1 "$T/$1.results" | sort | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"
	[ -s "$T/$1.where" ] && echo "# $1: problems found in: $(sort "$T/$1.where" | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"
	return 0
}

# result_points KIND WHAT: never valid; never a crash or a hang.
result_points() {
	if [ -f "$T/$1.results" ] && ! grep -q '^0 ' "$T/$1.results"; then
		ok "$2: chain-verify never exits 0"
	else
		not_ok "$2: chain-verify accepted a tampered copy"
		grep -A3 'accepted' "$T/$1.bad" | head -20
	fi
	if [ -f "$T/$1.results" ] && ! grep -q '^\(crash\|124\|12[5-9]\|1[3-9][0-9]\|2[0-9][0-9]\) ' "$T/$1.results"; then
		ok "$2: chain-verify never crashes or hangs"
	else
		not_ok "$2: chain-verify crashed or hung"
		grep -v accepted "$T/$1.bad" | head -20
	fi
}

if [ "$have_db_tools" = no ]; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		echo "ok $((tap_n + i)) # SKIP db5.3_dump and db5.3_load are not installed"
	done
	tap_n=$((tap_n + 12))
else
	# Dumps of a pristine copy (the original is never opened by these tools).
	cp -a "$L" "$T/pristine"
	for f in entries checkpoints; do
		db5.3_dump -f "$T/$f.dump" "$T/pristine/db/$f.db"
	done

	# Control: the dump and reload alone change nothing chain-verify cares about.
	cp -a "$L" "$T/reloaded"
	for f in entries checkpoints; do
		rm -f "$T/load.db"
		db5.3_load -f "$T/$f.dump" "$T/load.db" && cp "$T/load.db" "$T/reloaded/db/$f.db"
	done
	check_exit 0 "a copy with entries.db and checkpoints.db dumped and reloaded unchanged verifies" \
		chain-verify "$T/reloaded"

	# (a) One byte of one stored value, through Berkeley DB.
	half=$((SAMPLES / 2))
	for f in entries checkpoints; do
		python3 "$T/tamper.py" dump "$T/$f.dump" "$T/$f.edit" "$seed-$f" "$half" \
			>"$T/$f.what" 2>"$T/$f.skipped" || echo "# tamper.py dump $f failed" >>"$T/semantic.bad"
	done
	i=0
	while [ "$i" -lt $((half * 2)) ]; do
		i=$((i + 1))
		if [ $((i % 2)) -eq 0 ]; then f=entries; else f=checkpoints; fi
		k=$(((i + 1) / 2))
		what="$f.db $(sed -n "${k}p" "$T/$f.what")"
		C=$T/sample
		rm -rf "$C" "$T/load.db"
		cp -a "$L" "$C"
		if ! db5.3_load -f "$T/$f.edit.$k" "$T/load.db" 2>"$T/load.err"; then
			echo "setup $what" >>"$T/semantic.results"
			echo "# could not load sample $i ($what): $(head -1 "$T/load.err")" >>"$T/semantic.bad"
			continue
		fi
		cp "$T/load.db" "$C/db/$f.db"
		rm -f "$C/db/open"
		verify_copy "$C" semantic "$what"
	done
	summarize semantic
	echo "# semantic: $(cat "$T/entries.skipped" "$T/checkpoints.skipped" | awk '{ n += $1 } END { print n + 0 }') draws skipped (the new byte equalled the old one)"
	if [ -f "$T/semantic.results" ] && [ "$(grep -c '^1 ' "$T/semantic.results")" -eq $((half * 2)) ]; then
		ok "semantic: all $((half * 2)) tampered copies are reported invalid (exit 1, \"ok\":false)"
	else
		not_ok "semantic: not every tampered copy was reported invalid"
		head -20 "$T/semantic.bad" 2>/dev/null
	fi
	result_points semantic semantic

	# (b) One raw byte inside a stored record: the page checksum no longer matches.
	# Berkeley DB then panics its environment, and after a panic its close
	# functions return without freeing what they hold.  In sanitizer builds,
	# leaks allocated inside libdb are therefore not counted as crashes here;
	# any other sanitizer report still is.
	printf 'leak:libdb-5.3.so\nleak:libdb.so\n' >"$T/lsan.supp"
	LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
	python3 "$T/tamper.py" raw "$T/pristine/db/entries.db" "$T/pristine/db/checkpoints.db" \
		"$seed-raw" "$SAMPLES" >"$T/raw.plan" 2>"$T/raw.err"
	if [ "$(wc -l <"$T/raw.plan")" -eq "$SAMPLES" ]; then
		ok "raw: $SAMPLES positions inside stored records"
	else
		not_ok "raw: could not find the stored records in the files"
		sed 's/^/# /' "$T/raw.err" | head -5
	fi
	while read -r f off byte what; do
		C=$T/sample
		rm -rf "$C"
		cp -a "$L" "$C"
		printf "\\$byte" | dd of="$C/db/$f" bs=1 seek="$off" count=1 conv=notrunc 2>/dev/null
		verify_copy "$C" raw "$f $what"
	done <"$T/raw.plan"
	summarize raw
	result_points raw raw

	# (c) The log's tip record (lib/log_tip.h: the edge of the tree an append
	# starts from), in hashes.db under log 0: one byte of one of its hashes
	# changed is tampering, though every entry, hash and checkpoint is intact.
	db5.3_dump -f "$T/hashes.dump" "$T/pristine/db/hashes.db"
	cat >"$T/tip.py" <<'END_OF_SCRIPT'
# tip.py DUMP OUT flip|drop: the tip record of log 1 with its first hash byte changed, or left out
import sys
lines = open(sys.argv[1]).read().split('\n')
key = ' 000000000000000000000001'
at = lines.index(key)
if sys.argv[3] == 'flip':
    v = lines[at + 1]
    lines[at + 1] = v[:3] + ('0' if v[3] != '0' else '1') + v[4:]
else:
    del lines[at:at + 2]
open(sys.argv[2], 'w').write('\n'.join(lines))
END_OF_SCRIPT
	for how in flip drop; do
		D=$T/tip-$how
		rm -rf "$D" "$T/load.db"
		cp -a "$L" "$D"
		python3 "$T/tip.py" "$T/hashes.dump" "$T/hashes.$how" "$how" &&
			db5.3_load -f "$T/hashes.$how" "$T/load.db" && cp "$T/load.db" "$D/db/hashes.db"
		rm -f "$D/db/open"
	done
	check_exit 1 "a copy whose log's tip record holds another hash is reported invalid" chain-verify "$T/tip-flip"
	check "... as a tip record that differs from the recomputed tree" grep -q 'tip record differs' "$T/last.out"
	check_exit 0 "a copy without the tip record (a ledger from before it) verifies" chain-verify "$T/tip-drop"
	notes 1 again >"$T/one"
	check "... and its next append writes the record again, which verifies" sh -c \
		"chain-append -L '$T/tip-drop' '$T/one' >/dev/null && chain-verify '$T/tip-drop' >/dev/null &&
		 db5.3_dump '$T/tip-drop/db/hashes.db' | grep -qx ' 000000000000000000000001'"

	# The same damage must not come and go: a second audit of the last copy agrees.
	timeout 60 chain-verify "$C" >/dev/null 2>&1
	again=$?
	last=$(tail -1 "$T/raw.results" | cut -d' ' -f1)
	if [ "$again" = "$last" ]; then
		ok "raw: auditing the same copy twice gives the same exit code ($again)"
	else
		not_ok "raw: exit $last, then $again on the same copy"
	fi
fi

files "$L" >"$T/files.after"
check "the original ledger's files are unchanged by all of this" cmp "$T/files.before" "$T/files.after"
snap_after=$(snapshot "$L")
if [ "$snap_before" = "$snap_after" ]; then
	ok "the original ledger still shows the same entries and checkpoint"
else
	not_ok "the original ledger's entries or checkpoint changed"
fi

done_testing
