#!/bin/sh
# Concurrent writers: four processes append at the same time; every batch must
# land whole and in order, every receipt must name the entry stored at its
# index, and the ledger must verify.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check the receipts"
	exit 0
fi

plan 18

# The checker: reads chain-log output and the receipt files, one check per call.
# usage: check.py CHECK LOG WRITERS PER_WRITER BATCH RECEIPT_DIR
cat >"$T/check.py" <<'EOF'
import hashlib, json, os, re, sys

check, logf, writers, per, batch, rdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
total = writers * per
errors = []
def err(msg):
    errors.append(msg)

lines = open(logf, 'rb').read().split(b'\n')
if lines and lines[-1] == b'':
    lines.pop()
entries = [json.loads(l) for l in lines]

def receipts():
    """(writer, invocation, [receipt dicts]) for every invocation's receipt file."""
    out = []
    for w in range(writers):
        for i in range(per // batch):
            path = os.path.join(rdir, 'r.%d.%d' % (w, i))
            rs = []
            with open(path, 'rb') as f:
                for l in f.read().split(b'\n'):
                    if l:
                        rs.append(json.loads(l))
            out.append((w, i, rs))
    return out

text_re = re.compile(r'^writer (\d+) seq (\d+)$')

if check == 'count':
    if len(entries) != total:
        err('chain-log shows %d entries, wanted %d' % (len(entries), total))
elif check == 'dense':
    for pos, e in enumerate(entries):
        if e.get('index') != pos:
            err('line %d has index %r' % (pos, e.get('index')))
            break
elif check == 'receipts':
    n = 0
    for w, i, rs in receipts():
        if len(rs) != batch:
            err('writer %d invocation %d printed %d receipts, wanted %d' % (w, i, len(rs), batch))
        for r in rs:
            n += 1
            k = r['leaf_index']
            if k >= len(lines):
                err('receipt leaf_index %d is beyond the log' % k)
                continue
            h = hashlib.sha256(b'\0' + lines[k]).hexdigest()
            if h != r['leaf_hash']:
                err('receipt %d/%d: leaf_hash %s but the entry at %d hashes to %s' % (w, i, r['leaf_hash'], k, h))
    if n != total:
        err('%d receipts, wanted %d' % (n, total))
elif check == 'batches':
    # One invocation is one transaction: its entries are contiguous, in input
    # order, and the receipts' tree_size is the size right after the batch.
    for w, i, rs in receipts():
        if not rs:
            continue
        first = rs[0]['leaf_index']
        for j, r in enumerate(rs):
            if r['leaf_index'] != first + j:
                err('writer %d invocation %d: receipt %d at index %d, wanted %d' % (w, i, j, r['leaf_index'], first + j))
                break
            if r['tree_size'] != first + len(rs):
                err('writer %d invocation %d: tree_size %d, wanted %d' % (w, i, r['tree_size'], first + len(rs)))
                break
            if first + j < len(entries):
                want = 'writer %d seq %d' % (w, i * batch + j)
                got = entries[first + j].get('body', {}).get('text')
                if got != want:
                    err('index %d holds %r, wanted %r' % (first + j, got, want))
                    break
elif check == 'order':
    seen = {w: [] for w in range(writers)}
    for e in entries:
        m = text_re.match(e.get('body', {}).get('text', ''))
        if not m or int(m.group(1)) not in seen:
            err('unexpected entry %r' % e)
            continue
        seen[int(m.group(1))].append(int(m.group(2)))
    for w, seqs in seen.items():
        if seqs != list(range(per)):
            bad = next((k for k in range(min(len(seqs), per)) if seqs[k] != k), min(len(seqs), per))
            err('writer %d: %d entries, first out of order at position %d' % (w, len(seqs), bad))
elif check == 'unique':
    texts = [e.get('body', {}).get('text') for e in entries]
    if len(set(texts)) != len(texts):
        err('%d duplicate entry texts' % (len(texts) - len(set(texts))))
    hashes = [hashlib.sha256(b'\0' + l).hexdigest() for l in lines]
    if len(set(hashes)) != len(hashes):
        err('duplicate leaf hashes')
    idx = [r['leaf_index'] for _, _, rs in receipts() for r in rs]
    if len(set(idx)) != len(idx):
        err('%d receipts share a leaf_index' % (len(idx) - len(set(idx))))
else:
    err('unknown check ' + check)

for e in errors[:10]:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

# writer LEDGER W INVOCATIONS BATCH DIR: one writer's appends, one after another;
# receipts in DIR/r.W.I, exit statuses in DIR/status.W.
writer() {
	_i=0
	while [ "$_i" -lt "$3" ]; do
		awk -v w="$2" -v b="$4" -v i="$_i" 'BEGIN {
			for (j = 0; j < b; j++)
				printf "{\"type\":\"note\",\"body\":{\"text\":\"writer %d seq %d\"}}\n", w, i * b + j }' |
			timeout 300 chain-append -L "$1" >"$5/r.$2.$_i" 2>"$5/e.$2.$_i"
		echo "$_i $?" >>"$5/status.$2"
		_i=$((_i + 1))
	done
}

# run_phase NAME INVOCATIONS BATCH: 4 concurrent writers on a fresh ledger.
run_phase() {
	name=$1 inv=$2 batch=$3
	per=$((inv * batch))
	total=$((4 * per))
	L=$T/$name
	D=$T/$name.r
	mkdir "$D"
	new_ledger "$L"
	start=$(date +%s)
	for w in 0 1 2 3; do
		(writer "$L" "$w" "$inv" "$batch" "$D") &
	done
	wait
	echo "# $name: 4 writers x $inv invocations x $batch entries in $(($(date +%s) - start)) s"

	bad=$(cat "$D"/status.* | awk '$2 != 0' | wc -l)
	runs=$(cat "$D"/status.* | wc -l)
	if [ "$bad" -eq 0 ] && [ "$runs" -eq $((4 * inv)) ]; then
		ok "$name: all $runs chain-append runs succeeded"
	else
		not_ok "$name: $bad of $runs chain-append runs failed (wanted $((4 * inv)) runs)"
		cat "$D"/e.* | sort | uniq -c | head -5 | sed 's/^/# /'
	fi

	chain-log -L "$L" >"$T/$name.log" 2>"$T/$name.log.err"
	rc=$?
	if [ "$rc" -eq 0 ] && [ -s "$T/$name.log" ]; then
		ok "$name: chain-log succeeds"
	else
		not_ok "$name: chain-log exit $rc"
		sed 's/^/# /' "$T/$name.log.err" | head -5
	fi
	# How often the log switches from one writer to another: > 0 means the
	# writers really ran side by side.
	switches=$(sed 's/.*"text":"writer \([0-9]*\) .*/\1/' "$T/$name.log" | uniq | wc -l)
	echo "# $name: $((switches - 1)) switches between writers in the log"
	for c in count dense receipts batches order unique; do
		check "$name: $c" python3 "$T/check.py" "$c" "$T/$name.log" 4 "$per" "$batch" "$D"
	done
	chain-verify "$L" >"$T/$name.verify" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "\"entries\":$total," "$T/$name.verify"; then
		ok "$name: chain-verify exits 0 with \"entries\":$total"
	else
		not_ok "$name: chain-verify exit $rc"
		sed 's/^/# /' "$T/$name.verify" | head -5
	fi
}

run_phase batches 20 100
run_phase singles 50 1

done_testing
