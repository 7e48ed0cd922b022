#!/bin/sh
# Killed writers: chain-append is killed with SIGKILL at random moments
# (before, during and after its commit) while another writer keeps appending.
# The next command must recover the ledger by itself, every entry whose
# receipt was printed must be stored, and each batch must be all or nothing.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check the receipts"
	exit 0
fi

ROUNDS=${CHOBO_KILL_ROUNDS:-50}
BIG=20000       # entries in each batch that is killed
SMALL=3         # entries in each background or follow-up batch

plan 11

L=$T/ledger
mkdir "$T/k" "$T/bg" "$T/f"
new_ledger "$L"

# batch N TAG: N note entries "TAG entry I".
batch() {
	awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"type\":\"note\",\"body\":{\"text\":\"%s entry %d\"}}\n", t, i }'
}

random() {
	od -An -N4 -tu4 /dev/urandom | tr -d ' '
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# A steady writer of small batches, for the whole campaign.
(
	i=0
	while [ "$i" -lt 5000 ] && [ ! -e "$T/stop" ]; do
		batch "$SMALL" "bg $i" | timeout 60 chain-append -L "$L" >"$T/bg/r.$i" 2>"$T/bg/e.$i"
		echo "$i $?" >>"$T/bg/status"
		i=$((i + 1))
		sleep 0.1
	done
) &
bgpid=$!

# Calibration: how long one big batch takes here (slower under sanitizers),
# so that the kill delays below spread over the whole run.  Later rounds
# update it from the time the receipts appeared.
batch "$BIG" cal >"$T/in"
t0=$(now_ms)
timeout 120 chain-append -L "$L" "$T/in" >"$T/k/r.cal" 2>"$T/k/e.cal"
cal_rc=$?
echo "cal $cal_rc 0" >"$T/k/rounds"
span=$(($(now_ms) - t0))
echo "# one batch of $BIG entries takes $span ms"

# Kinds of rounds: a kill at a random time before the usual commit time
# (two in five), in its second half, around it, and just after the first
# receipts appeared (committed, receipts being written); the usual time is
# a running average of the time the receipts took to appear.
start=$(now_ms)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	[ "$span" -lt 50 ] && span=50
	batch "$BIG" "kill $r" >"$T/in"
	rand=$(random)
	case $((r % 5)) in
	0 | 1) delay=$((rand % span)) ;;
	2) delay=$((span / 2 + rand % (span / 2))) ;;
	3) delay=$((span * 3 / 4 + rand % (span / 2 + 1))) ;;
	4) delay=-1 ;;
	esac
	t0=$(now_ms)
	chain-append -L "$L" "$T/in" >"$T/k/r.$r" 2>"$T/k/e.$r" &
	pid=$!
	if [ "$delay" -ge 0 ]; then
		sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	else
		i=0
		while [ "$i" -lt 3000 ] && [ ! -s "$T/k/r.$r" ] && kill -0 "$pid" 2>/dev/null; do
			sleep 0.01
			i=$((i + 1))
		done
		[ -s "$T/k/r.$r" ] && span=$(((span * 3 + $(now_ms) - t0) / 4))
		[ $((rand % 2)) -eq 0 ] && sleep "0.00$((rand % 10))"
	fi
	kill -9 "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	echo "$r $? $delay $(($(now_ms) - t0))" >>"$T/k/rounds"

	# The next command on its own must find the ledger usable.
	if [ $((r % 2)) -eq 0 ]; then
		batch "$SMALL" "after $r" | timeout 60 chain-append -L "$L" >"$T/f/r.$r" 2>"$T/f/e.$r"
	else
		timeout 60 chain-log -L "$L" --from 0 --to 9 >/dev/null 2>"$T/f/e.$r"
	fi
	echo "$r $?" >>"$T/f/status"
	r=$((r + 1))
done
touch "$T/stop"
wait "$bgpid"
echo "# $ROUNDS rounds in $(($(now_ms) - start)) ms"

# Follow-up commands.
bad=$(awk '$2 != 0' "$T/f/status" | wc -l)
if [ "$bad" -eq 0 ] && [ "$(wc -l <"$T/f/status")" -eq "$ROUNDS" ]; then
	ok "the command after each kill succeeded by itself"
else
	not_ok "$bad commands after a kill failed (124 = hung)"
	awk '$2 != 0' "$T/f/status" | head -5 | sed 's/^/# round, exit: /'
	cat "$T"/f/e.* | sort | uniq -c | head -5 | sed 's/^/# /'
fi

bgruns=$(wc -l <"$T/bg/status")
bad=$(awk '$2 != 0' "$T/bg/status" | wc -l)
if [ "$bad" -eq 0 ] && [ "$bgruns" -gt 0 ]; then
	ok "the background writer's $bgruns appends all succeeded"
else
	not_ok "$bad of $bgruns background appends failed"
	cat "$T"/bg/e.* | sort | uniq -c | head -5 | sed 's/^/# /'
fi

if [ "$cal_rc" -eq 0 ]; then
	ok "a batch of $BIG entries that is not killed commits"
else
	not_ok "the calibration batch failed (exit $cal_rc)"
	sed 's/^/# /' "$T/k/e.cal" | head -5
fi

timeout 120 chain-log -L "$L" >"$T/log" 2>"$T/log.err"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "chain-log works after the campaign"
else
	not_ok "chain-log exit $rc"
	sed 's/^/# /' "$T/log.err" | head -5
fi

timeout 300 chain-verify "$L" >"$T/verify" 2>&1
rc=$?
entries=$(wc -l <"$T/log")
if [ "$rc" -eq 0 ] && grep -q "\"entries\":$entries," "$T/verify"; then
	ok "chain-verify exits 0 with all $entries entries"
else
	not_ok "chain-verify exit $rc"
	sed 's/^/# /' "$T/verify" | head -5
fi

# Everything else from the stored log and the receipt files.
cat >"$T/analyze.py" <<'EOF'
import glob, hashlib, json, os, re, sys

T, BIG, SMALL = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
verdicts = {}
def verdict(name, errors, info=''):
    verdicts[name] = (errors, info)

data = open(os.path.join(T, 'log'), 'rb').read()
lines = data.split(b'\n')
if lines and lines[-1] == b'':
    lines.pop()
index_re = re.compile(rb'"index":(\d+),')
text_re = re.compile(rb'"text":"([^"]*)"')

errors = []
texts = []
for pos, l in enumerate(lines):
    m = index_re.search(l)
    if not m or int(m.group(1)) != pos:
        errors.append('line %d has index %s' % (pos, m and m.group(1)))
    t = text_re.search(l)
    texts.append(t.group(1).decode() if t else None)
if len(set(texts)) != len(texts):
    errors.append('%d duplicate entries' % (len(texts) - len(set(texts))))
verdict('dense', errors)

def read_receipts(path):
    """Complete receipt lines of one file; a truncated last line is ignored."""
    raw = open(path, 'rb').read()
    parts = raw.split(b'\n')
    partial = parts.pop()          # '' when the file ends with a newline
    out = []
    for p in parts:
        out.append(json.loads(p))
    return out, bool(partial)

# Batches: tag -> (expected size, receipt file, exit status or None)
batches = {}
for l in open(os.path.join(T, 'k', 'rounds')):
    r, st, delay = l.split()[:3]
    tag = 'cal' if r == 'cal' else 'kill ' + r
    batches[tag] = (BIG, os.path.join(T, 'k', 'r.' + r), int(st), int(delay))
for l in open(os.path.join(T, 'f', 'status')):
    r, st = l.split()
    if int(r) % 2 == 0:
        batches['after ' + r] = (SMALL, os.path.join(T, 'f', 'r.' + r), int(st), 0)
for l in open(os.path.join(T, 'bg', 'status')):
    i, st = l.split()
    batches['bg ' + i] = (SMALL, os.path.join(T, 'bg', 'r.' + i), int(st), 0)

# Receipts: every complete line names the entry stored at its index.
errors, nreceipts, lost, partial_files = [], 0, 0, 0
with_receipts = set()
for tag, (size, path, st, _) in batches.items():
    try:
        rs, partial = read_receipts(path)
    except (OSError, ValueError) as e:
        errors.append('%s: %s' % (path, e))
        continue
    partial_files += partial
    if rs or partial:
        with_receipts.add(tag)
    for r in rs:
        nreceipts += 1
        k = r['leaf_index']
        h = hashlib.sha256(b'\0' + lines[k]).hexdigest() if k < len(lines) else None
        if h != r['leaf_hash']:
            lost += 1
            if len(errors) < 5:
                errors.append('%s: receipt for index %d (%s) but the log has %s' % (tag, k, r['leaf_hash'], h))
verdict('receipts', errors, 'receipts=%d lost=%d truncated_receipt_files=%d' % (nreceipts, lost, partial_files))

# Atomicity: each batch is stored whole (contiguous, in order) or not at all.
pos = {}
for k, t in enumerate(texts):
    if t is None:
        continue
    tag, _, n = t.rpartition(' entry ')
    pos.setdefault(tag, []).append((k, int(n)))
errors = []
present = set()
for tag, (size, path, st, _) in batches.items():
    got = pos.get(tag, [])
    if not got:
        continue
    present.add(tag)
    first = got[0][0]
    if len(got) != size or any(k != first + j or n != j for j, (k, n) in enumerate(got)):
        errors.append('%s: %d of %d entries stored, or out of order' % (tag, len(got), size))
unknown = set(pos) - set(batches)
if unknown:
    errors.append('entries from unknown batches: %s' % sorted(unknown)[:5])
verdict('atomic', errors)

# A batch whose chain-append exited 0, or that printed any receipt, is stored.
errors = ['%s: exit %d, receipts %s, but not stored' % (t, batches[t][2], t in with_receipts)
          for t in batches if (batches[t][2] == 0 or t in with_receipts) and t not in present]
verdict('durable', errors[:5])

# Batches that exited non-zero without being killed would be a failure too.
errors = ['%s: exit %d' % (t, b[2]) for t, b in batches.items() if b[2] not in (0, 137)]
verdict('status', errors[:5])

kills = [t for t, b in batches.items() if t.startswith('kill ')]
killed = [t for t in kills if batches[t][2] == 137]
info = ('rounds=%d kills=%d finished_first=%d killed_before_commit=%d killed_after_commit=%d '
        'killed_after_receipts=%d committed_batches=%d lost=%d' % (
        len(kills), len(killed), len(kills) - len(killed),
        len([t for t in killed if t not in present]), len([t for t in killed if t in present]),
        len([t for t in killed if t in with_receipts]), len([t for t in kills if t in present]), lost))
for name, (errs, vinfo) in verdicts.items():
    print('%s %s %s' % (name, 'fail' if errs else 'ok', vinfo))
    for e in errs:
        print('#', e)
# Where the kills landed depends on how fast this machine is at the moment:
# a diagnostic, never a failure.
print('summary %s' % info)
if len(killed) * 2 < len(kills):
    print('note: only %d of %d rounds killed chain-append before it finished' % (len(killed), len(kills)))
if not any(t not in present for t in killed):
    print('note: no kill landed before a commit')
EOF

python3 "$T/analyze.py" "$T" "$BIG" "$SMALL" >"$T/verdicts" 2>"$T/analyze.err"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "the receipts and the log can be analysed"
else
	not_ok "analyze.py exit $rc"
	sed 's/^/# /' "$T/analyze.err" | head -10
fi

# verdict NAME DESCRIPTION: one test point from the analysis.
verdict() {
	line=$(grep "^$1 " "$T/verdicts")
	case $line in
	"$1 ok"*) ok "$2" ;;
	*)
		not_ok "$2"
		awk -v n="$1" '$1 == n { on = 1; next } /^[a-z]/ { on = 0 } on' "$T/verdicts" | head -5
		;;
	esac
	info=${line#"$1" ok}
	info=${info#"$1" fail}
	[ -n "${info# }" ] && echo "# ${info# }"
}

verdict dense "the log's indexes are dense and no entry is stored twice"
verdict receipts "every printed receipt names the entry stored at its leaf_index"
verdict atomic "every batch is stored whole and in order, or not at all"
verdict durable "every batch that exited 0 or printed a receipt is stored"
verdict status "chain-append exits 0 or is killed, never fails by itself"
# How the kills fell (diagnostics only).
sed -n 's/^summary /# /p; s/^note: /# /p' "$T/verdicts"

done_testing
