#!/bin/sh
# chain-sync between three nodes, each a real sshd on loopback that serves
# its ledger through the forced command: the key's restriction, a full mesh,
# a partition, logs in transit, a fork, and overlapping runs.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/sshd-nodes.sh"
sshd_nodes_require
for p in python3 flock; do command -v "$p" >/dev/null 2>&1 || sshd_skip "no $p"; done
exec </dev/null                         # no ssh here reads the terminal
bg=                                     # background jobs of this test, ended at exit
trap 'for p in $bg; do kill "$p" 2>/dev/null; done; sshd_nodes_cleanup; rm -rf "$T"' EXIT
started=$(date +%s)
section() { echo "# $* (at $(($(date +%s) - started)) s)"; }

SYNC=$(command -v chain-sync) || { echo "Bail out! chain-sync is not built"; exit 99; }
base=$(sshd_pick_base) || { echo "Bail out! no free port range on 127.0.0.1"; exit 99; }
port() { echo $((base + $1)); }
DEAD=$(port 9)                          # nothing listens there
export CHOBO_SYNC_TIMEOUT=30

# check_fails DESCRIPTION COMMAND...: the command must fail (any non-zero exit);
# its output stays in $T/last.out and $T/last.err.
check_fails() {
	desc=$1
	shift
	"$@" >"$T/last.out" 2>"$T/last.err"
	got=$?
	if [ "$got" -ne 0 ]; then
		ok "$desc"
	else
		not_ok "$desc (exit 0)"
		sed 's/^/# /' "$T/last.out" | head -5
	fi
}

# wait_bounded PID SECONDS: wait for a background job, killing it after SECONDS;
# its exit status (124 if it had to be killed) goes to $bounded.
wait_bounded() {
	_k=0
	while kill -0 "$1" 2>/dev/null && [ $_k -lt $(($2 * 20)) ]; do sleep 0.05; _k=$((_k + 1)); done
	if kill -0 "$1" 2>/dev/null; then
		kill "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		bounded=124
	else
		wait "$1"
		bounded=$?
	fi
}


# peer_ssh FROM TO [SSH OPTION...] -- [WORDS...]: what node FROM's key may do at node TO.
peer_ssh() {
	_from=$1 _to=$2
	shift 2
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _opts="$_opts $1"; shift; done
	[ $# -gt 0 ] && shift
	$SSHC -i "$T/s$_from/client" -o BatchMode=yes $_opts "ssh://root@127.0.0.1:$(port "$_to")" "$@"
}


# report FILE PEER=ok|fail...: chain-sync's lines in FILE are exactly one per
# named peer, ok, or failed with an error.
report() {
	_f=$1
	shift
	grep -v '"event":' "$_f" >"$_f.peers"
	[ "$(grep -c '"peer":"' "$_f.peers")" -eq $# ] || return 1
	for _a; do
		_l=$(grep "\"peer\":\"${_a%%=*}\"" "$_f.peers") || return 1
		[ "$(echo "$_l" | wc -l)" -eq 1 ] || return 1
		case ${_a#*=} in
		ok) echo "$_l" | grep -q '"ok":true' && ! echo "$_l" | grep -q '"error":' || return 1 ;;
		*) echo "$_l" | grep -q '"ok":false' && echo "$_l" | grep -q '"error":"[^"]' || return 1 ;;
		esac
	done
}

# cp_of I ORIGIN: "size root" of node I's newest checkpoint of a log.
cp_of() {
	chain-proof -L "$T/n$1" --log "$2" checkpoint 2>/dev/null |
		sed -n 's/.*"tree_size":\([0-9]*\),"root_hash":"\([0-9a-f]*\)".*/\1 \2/p' | grep . || echo missing
}
# heads I: node I's newest checkpoint of each of the three logs.
heads() { for _o in 1 2 3; do echo "n$_o $(cp_of "$1" "test.example/n$_o")"; done; }
same_heads() { h1=$(heads 1) && [ "$h1" = "$(heads 2)" ] && [ "$h1" = "$(heads 3)" ] && ! echo "$h1" | grep -q missing; }
same_log() {   # same_log ORIGIN-NODE I J...: those nodes hold that node's log at its newest checkpoint
	_h=$(cp_of "$1" "test.example/n$1")
	_o=$1
	shift
	for _i; do [ "$(cp_of "$_i" "test.example/n$_o")" = "$_h" ] || return 1; done
}
log_digest() { { chain-log -L "$T/n$1" --log "test.example/n$2"; chain-proof -L "$T/n$1" --log "test.example/n$2" checkpoint --raw; } | sha256sum; }
tree_size() { cp_of "$1" "$2" | cut -d' ' -f1; }
quorum_all() { chain-verify -q --quorum "$1" "$T/n1" >/dev/null && chain-verify -q --quorum "$1" "$T/n2" >/dev/null && chain-verify -q --quorum "$1" "$T/n3" >/dev/null; }

# ------------------------------------------------------------ three nodes
for i in 1 2 3; do
	new_ledger "$T/n$i" "test.example/n$i"
	mkdir -p "$T/s$i"
	sshd_client_key "$T/s$i/client"
done
for i in 1 2 3; do
	for j in 1 2 3; do
		[ "$i" = "$j" ] && continue
		cat "$T/n$j/keys/node.pub" "$T/n$j/keys/witness.pub" >"$T/n$i/trust/n$j"
		echo "peer = n$j ssh://root@127.0.0.1:$(port "$j")" >>"$T/n$i/chobo.conf"
	done
	serve "$i" "$T/n$i"
done
cp -a "$T/n2" "$T/n2early"               # impostors: same keys and configuration, nothing appended yet
cp -a "$T/n2" "$T/n2small"
for i in 1 2 3; do
	sshd_node_start "$i" "$T/s$i" "$(port "$i")" || { echo "Bail out! sshd node $i did not start"; exit 99; }
done
ok "three sshd nodes listen on 127.0.0.1:$(port 1)-$(port 3)"
own_ns() { for _i in 1 2 3; do eval "_p=\$sshd_pid_$_i"; [ "$(readlink "/proc/$_p/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || return 1; done; }
check "... each in a mount namespace of its own" own_ns
for i in 1 2 3; do sshd_known_hosts "$i"; done >"$T/known_hosts"

# ------------------------------------------------------------ the key's restriction
section "restriction"
check_exit 0 "the peer key runs chobo-heads" peer_ssh 1 2 -- chobo-heads
check "... which lists node 2's log" grep -q '"log":"test.example/n2"' "$T/last.out"
snap=$(snapshot "$T/n2")
check_exit 77 "the peer key cannot run a command (cat /etc/passwd): EX_NOPERM" peer_ssh 1 2 -- cat /etc/passwd
check "... nothing of /etc/passwd comes back" sh -c "! grep -q 'root:' '$T/last.out' && test ! -s '$T/last.out'"
check "... and the refusal is said on stderr" grep -q 'not allowed' "$T/last.err"
check_exit 77 "no shell: a session without a command is refused" sh -c "echo id | $SSHC -i $T/s1/client -o BatchMode=yes ssh://root@127.0.0.1:$(port 2)"
check "... and runs nothing" sh -c "! grep -q 'uid=' '$T/last.out'"
check_fails "no terminal: ssh -tt is refused" sh -c "echo id | $SSHC -i $T/s1/client -o BatchMode=yes -tt ssh://root@127.0.0.1:$(port 2)"
check "... and runs nothing" sh -c "! grep -q 'uid=' '$T/last.out'"
check_fails "no forwarding: ssh -W to another node is refused" peer_ssh 1 2 -W "127.0.0.1:$(port 3)" --
check "... and reaches nothing" sh -c "! grep -q 'SSH-2.0' '$T/last.out'"
check_exit 77 "words after a verb are not a shell (chobo-heads; id)" peer_ssh 1 2 -- 'chobo-heads;' id
check_exit 77 "extra arguments are refused (chobo-heads -L /)" peer_ssh 1 2 -- chobo-heads -L /
check_fails "chobo-export of an invalid origin is refused" peer_ssh 1 2 -- chobo-export '../../etc' 0
check "... with nothing on stdout" test ! -s "$T/last.out"
check_fails "chobo-export of an origin with shell words is refused" peer_ssh 1 2 -- chobo-export '$(id)' 0
check "... with nothing on stdout" test ! -s "$T/last.out"
check_fails "chobo-export with a non-numeric size is refused" peer_ssh 1 2 -- chobo-export test.example/n2 abc
check "... with nothing on stdout" test ! -s "$T/last.out"
check_fails "chobo-export with a negative size is refused" peer_ssh 1 2 -- chobo-export test.example/n2 -1
check_exit 77 "chobo-export with a third argument is refused" peer_ssh 1 2 -- chobo-export test.example/n2 0 -o
notes 2 intruder >"$T/intruder"
check_exit 77 "no verb appends: chain-append is refused" peer_ssh 1 2 -- chain-append <"$T/intruder"
check_exit 77 "no verb appends: chobo-append is refused" peer_ssh 1 2 -- chobo-append <"$T/intruder"
check_exit 77 "no verb imports: chain-import is refused" peer_ssh 1 2 -- chain-import <"$T/intruder"
printf '{"log":"test.example/n2","size":0,"cosignature":"\\u2014 test.example/n1/witness AAAA\\n"}\n' >"$T/bogus"
check_exit 0 "chobo-cosign answers a forged cosignature" peer_ssh 1 2 -- chobo-cosign <"$T/bogus"
check "... with a refusal" grep -q '"ok":false' "$T/last.out"
check "after all that, node 2's ledger is unchanged" test "$snap" = "$(snapshot "$T/n2")"
check "... and holds only its own log with no entry" sh -c "test \"\$(chain-log -L '$T/n2' | wc -l)\" -eq 0"
check "... and verifies" chain-verify -q "$T/n2"
check_exit 255 "a key that is not in authorized_keys gets nothing" sh -c "$SSHC -i $T/s2/client -o BatchMode=yes ssh://root@127.0.0.1:$(port 2) chobo-heads"

# ------------------------------------------------------------ full mesh
section "full mesh"
for i in 1 2 3; do notes 3 "n$i" | chain-append -q -L "$T/n$i" >/dev/null; done
cp -a "$T/n2" "$T/n2backup"              # node 2 as it is now, to be restored later
for round in 1 2; do
	for i in 1 2 3; do
		check_exit 0 "round $round: node $i syncs with both peers" sync_node "$i"
		peers=$(for j in 1 2 3; do [ "$j" = "$i" ] || printf 'n%s=ok ' "$j"; done)
		check "... one ok line per peer" report "$T/last.out" $peers
	done
done
check "every node holds the three logs at the same newest checkpoints" same_heads
check "... of size 3 each" test "$(heads 1 | awk '$2 == 3' | wc -l)" -eq 3
for i in 1 2 3; do
	check "node $i: chain-verify --quorum 2 (two peers' witnesses on every newest checkpoint)" chain-verify --quorum 2 "$T/n$i"
done
check_exit 1 "--quorum 3 fails: a node does not witness its own log" chain-verify --quorum 3 "$T/n1"
check "... and the report says why" grep -q '"ok":false.*quorum' "$T/last.out"
# A payload of node 1's first entry, checked with a receipt from node 1: cosigned by both peers.
payload=$("$top_builddir/tests/payload-sign" "$T/n1" note 0 - - "text=n1 0")
chain-proof -L "$T/n1" receipt --index 0 >"$T/n1.receipt"
cat "$T/n1/trust/"* >"$T/n1.trust"
check_exit 0 "cert-check: node 1's payload and receipt hold a quorum of 2 cosignatures" \
	cert-check --trust "$T/n1.trust" --receipt "$T/n1.receipt" --quorum 2 "$payload"
check_exit 1 "... and not of 3" cert-check --trust "$T/n1.trust" --receipt "$T/n1.receipt" --quorum 3 "$payload"
check "... which it says" grep -q '"reason":"not-cosigned"' "$T/last.out"
check_exit 0 "a sync with nothing new is ok" sync_node 1
check "... and fetches nothing" sh -c "! grep -v '\"logs\":\[\]' '$T/last.out' | grep -q ."
if command -v script >/dev/null && script -qc true /dev/null >/dev/null 2>&1; then
	script -qc "CHOBO_SSH='$SSHC -i $T/s1/client' chain-sync -L '$T/n1' >/dev/null" /dev/null >"$T/sync.tty" 2>&1
	check "on a terminal, chain-sync shows the peer it talks to" grep -q "syncing with n2" "$T/sync.tty"
	sync_node 1 >/dev/null 2>"$T/sync.err"
	check "... and not when standard error is a file" sh -c "! grep -q 'syncing with' '$T/sync.err'"
else
	ok "# SKIP script(1) is needed for a pseudo-terminal"
	ok "# SKIP script(1) is needed for a pseudo-terminal"
fi
check_exit 0 "--peer syncs with one peer" sync_node 3 --peer n1
check "... and reports that one only" report "$T/last.out" n1=ok
check_exit 64 "--peer with an unknown name is a usage error" sync_node 3 --peer n9
check "-q: silent when all is well" sh -c "CHOBO_SSH='$SSHC -i $T/s1/client' chain-sync -q -L '$T/n1' >'$T/q.out' 2>'$T/q.err' && test ! -s '$T/q.err'"

# A run killed before it could clean up (kill -9, a timeout) left its control
# directory in /tmp; the next run removes it, and only such a one.
sh -c 'exit 0' &
gone=$!
wait "$gone"
mkdir -p "/tmp/chobo-sync.$gone.tsync1" "/tmp/chobo-sync.$$.tsync2" "/tmp/chobo-sync.$gone.tsync3" \
	"/tmp/chobo-sync.$gone.tsync4-not-ours"
: >"/tmp/chobo-sync.$gone.tsync1/0123abcd"
chown nobody "/tmp/chobo-sync.$gone.tsync3" 2>/dev/null
# A killed run's ssh master lives on for ControlPersist's seconds (or the run
# is alive in another PID namespace): its directory stays while it answers.
live="/tmp/chobo-sync.$gone.tsync5"
mkdir -p "$live"
$SSHC -i "$T/s1/client" -o BatchMode=yes -o ControlMaster=yes -o ControlPersist=30 -o ControlPath="$live/master" \
	-f -N "ssh://root@127.0.0.1:$(port 2)" 2>"$T/master.err"
check_exit 0 "a sync after a killed run" sync_node 1
check "... removes the directory the killed run left in /tmp, with its socket" test ! -e "/tmp/chobo-sync.$gone.tsync1"
check "... keeps one of a run still going" test -d "/tmp/chobo-sync.$$.tsync2"
if [ "$(stat -c %U "/tmp/chobo-sync.$gone.tsync3")" = nobody ]; then
	check "... and another user's" test -d "/tmp/chobo-sync.$gone.tsync3"
else
	ok "# SKIP cannot give a directory to nobody"
fi
check "... and one it did not name" test -d "/tmp/chobo-sync.$gone.tsync4-not-ours"
check "... and one whose ssh master still answers" test -S "$live/master"
$SSHC -o ControlPath="$live/master" -O exit "ssh://root@127.0.0.1:$(port 2)" 2>/dev/null ||
	pkill -f -- "ControlPath=$live/master"
rm -rf "$live"
rm -rf "/tmp/chobo-sync.$$.tsync2" "/tmp/chobo-sync.$gone.tsync3" "/tmp/chobo-sync.$gone.tsync4-not-ours"

# ------------------------------------------------------------ partition
section "partition"
sshd_node_stop 3
check_exit 255 "node 3 is down" peer_ssh 1 3 -- chobo-heads
notes 2 p1 | chain-append -q -L "$T/n1" >/dev/null
notes 2 p2 | chain-append -q -L "$T/n2" >/dev/null
check_exit 69 "partition: node 1 syncs, node 3 unreachable: exit 69" sync_node 1
check "... n2 ok, n3 failed with an error" report "$T/last.out" n2=ok n3=fail
check_exit 69 "partition: node 2 the same" sync_node 2
check "... n1 ok, n3 failed with an error" report "$T/last.out" n1=ok n3=fail
check_exit 69 "partition: node 1 again (cosignatures)" sync_node 1
check "nodes 1 and 2 hold each other's new entries: node 1's log on node 2" same_log 1 2
check "... node 2's log on node 1" same_log 2 1
check "node 3 is started again" sshd_node_start 3 "$T/s3" "$(port 3)"
for round in 1 2; do
	for i in 3 1 2; do
		check_exit 0 "after the partition, round $round: node $i syncs" sync_node "$i"
	done
done
check "everything converges: the same newest checkpoints everywhere" same_heads
check "... and a quorum of 2 everywhere" quorum_all 2

# ------------------------------------------------------------ transit
section "transit"
cp "$T/n1/chobo.conf" "$T/n1.conf"
sed "s|^peer = n3 .*|peer = n3 ssh://root@127.0.0.1:$DEAD|" "$T/n1.conf" >"$T/n1/chobo.conf"
notes 4 t3 | chain-append -q -L "$T/n3" >/dev/null
check_exit 0 "transit: node 2 syncs from node 3 alone" sync_node 2 --peer n3
check "... one line, for n3" report "$T/last.out" n3=ok
check "... and node 2 holds node 3's new entries" same_log 3 2
check_exit 69 "transit: node 1 cannot reach node 3 but syncs with node 2" sync_node 1
check "... n2 ok, n3 failed" report "$T/last.out" n2=ok n3=fail
check "node 1 holds node 3's newest checkpoint, got through node 2" same_log 3 1
check "... with node 3's new entries" sh -c "chain-log -L '$T/n1' --log test.example/n3 | grep -q 't3 3'"
check "... and node 1's ledger verifies" chain-verify "$T/n1"
cp "$T/n1.conf" "$T/n1/chobo.conf"
for i in 3 1 2; do sync_node "$i" >/dev/null 2>&1; done
check "with node 3 reachable again, all converge" same_heads
check "... with a quorum of 2 everywhere" quorum_all 2

# A peer whose host key is not the pinned one is not talked to.
sed "s|^\[127.0.0.1\]:$(port 2) .*|$(sshd_known_hosts 3 | sed "s/:$(port 3)/:$(port 2)/")|" "$T/known_hosts" >"$T/known_hosts.bad"
check_exit 69 "a peer with the wrong host key: exit 69" env CHOBO_SSH="$(echo "$SSHC" | sed "s|$T/known_hosts|$T/known_hosts.bad|") -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
check "... with an error line" report "$T/last.out" n2=fail
check "... because ssh refused the host key" grep -q 'Host key verification failed' "$T/last.err"

# A peer that accepts the connection and then says nothing: the run still ends.
python3 -c '
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
s.settimeout(0.1)
open(sys.argv[2], "w").close()
conns = []
end = time.time() + 30
while time.time() < end and os.path.exists(sys.argv[2]):   # ends when the file goes
    try:
        conns.append(s.accept()[0])
    except OSError:
        pass' "$(port 8)" "$T/hole.ready" &
hole=$!
bg="$bg $hole"
k=0
while [ ! -e "$T/hole.ready" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done
echo "peer = hole ssh://root@127.0.0.1:$(port 8)" >>"$T/n1/chobo.conf"
t_start=$(date +%s%N)
check_exit 69 "a peer that never answers: exit 69" env CHOBO_SYNC_TIMEOUT=2 CHOBO_SSH="$SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer hole
t_end=$(date +%s%N)
echo "# ... after $(((t_end - t_start) / 1000000)) ms (CHOBO_SYNC_TIMEOUT=2 s, ssh's ConnectTimeout 5 s)"
check "... with an error line" report "$T/last.out" hole=fail
# chain-sync's own timeout says "timed out"; ssh giving up first would be "ssh failed".
check "... that says it timed out (CHOBO_SYNC_TIMEOUT, not ssh's timeout)" grep -q '"error":"[^"]*timed out' "$T/last.out"
# An ssh command that is a wrapper script: cut off, it goes with what it started.
printf '#!/bin/sh\nsleep 300 &\necho $! >"%s"\nwait\n' "$T/wrapped.pid" >"$T/wrapped-ssh"
chmod +x "$T/wrapped-ssh"
check_exit 69 "a wrapper script as the ssh command, cut off by the timeout: exit 69" env CHOBO_SYNC_TIMEOUT=1 \
	CHOBO_SSH="$T/wrapped-ssh" chain-sync -L "$T/n1" --peer hole
# The child is gone when /proc has no such process, or one that died and waits for its reaper;
# polled for up to 60 s (1200 x 50 ms), so that a loaded machine slow to reap it does not fail it.
check "... and the wrapper's own child was killed with it, not left running" sh -c \
	"p=\$(cat '$T/wrapped.pid') && k=0 && while [ \$k -lt 1200 ]; do
	   { [ ! -e /proc/\$p ] || grep -q '^[0-9]* ([^)]*) [ZX]' /proc/\$p/stat; } && exit 0
	   sleep 0.05; k=\$((k + 1)); done; exit 1"
rm -f "$T/hole.ready"
wait_bounded "$hole" 5
cp "$T/n1.conf" "$T/n1/chobo.conf"

# ------------------------------------------------------------ fork
section "fork"
# An impostor with node 2's keys and a different history, longer than what the others hold.
held=$(tree_size 1 test.example/n2)
notes "$held" forged | chain-append -q -L "$T/n2early" >/dev/null
notes 2 forged-more | chain-append -q -L "$T/n2early" >/dev/null
n1_before=$(log_digest 1 2)
n3_before=$(log_digest 3 2)
serve 2 "$T/n2early"
check_exit 2 "fork: node 1 syncs with the impostor: exit 2" sync_node 1 --peer n2
check "... a fork event for node 2's log" grep -q '"event":"fork".*"log":"test.example/n2"' "$T/last.out"
check "... the peer's line says fork" grep -q '"peer":"n2".*"ok":false.*fork' "$T/last.out"
check "... node 1's data for node 2's log is unchanged" test "$n1_before" = "$(log_digest 1 2)"
check_exit 2 "fork: node 3 (all peers) exits 2" sync_node 3
check "... n1 still ok, n2 failed" report "$T/last.out" n1=ok n2=fail
check "... a fork event" grep -q '"event":"fork"' "$T/last.out"
check "... node 3's data for node 2's log is unchanged" test "$n3_before" = "$(log_digest 3 2)"
for i in 1 3; do
	chain-verify "$T/n$i" >"$T/verify$i" 2>/dev/null
	check "node $i keeps the evidence: chain-verify reports forks" grep -q '"forks"' "$T/verify$i"
done
check "the impostor's checkpoint got no cosignature" sh -c "test \"\$(chain-proof -L '$T/n2early' checkpoint --raw | grep -c '^— ')\" -eq 1"
notes 2 small | chain-append -q -L "$T/n2small" >/dev/null
serve 2 "$T/n2small"
n3_before=$(log_digest 3 2)
check_exit 2 "fork: an impostor with a shorter history is a fork too" sync_node 3 --peer n2
check "... at size 2" grep -q '"event":"fork".*"log":"test.example/n2","size":2' "$T/last.out"
check "... with the consistency proof from node 3's larger tree" grep -q '"event":"fork".*"proof":{"old_size":2,"new_size":5,' "$T/last.out"
check_exit 2 "node 3's audit exits 2: it holds proven forks" chain-verify "$T/n3"
check "... every one proven" sh -c "grep -q '\"proven\":true' '$T/last.out' && ! grep -q '\"proven\":false' '$T/last.out'"
check "... node 3's data for node 2's log is unchanged" test "$n3_before" = "$(log_digest 3 2)"
serve 2 "$T/n2backup"
n1_before=$(log_digest 1 2)
check_exit 0 "node 2 restored from an older backup is behind, not a fork" sync_node 1 --peer n2
check "... ok" report "$T/last.out" n2=ok
check "... nothing fetched" grep -q '"logs":\[\]' "$T/last.out"
check "... node 1's data for node 2's log is unchanged" test "$n1_before" = "$(log_digest 1 2)"
serve 2 "$T/n2"
check_exit 0 "with the real node 2 back, node 1 syncs with it again" sync_node 1 --peer n2
check "... and still holds the real node 2's log" same_log 2 1
# Node 2's own log as the impostor signed it, held by a peer: node 2 itself finds the fork
# (its key signed two histories), though it never takes its own log from a peer.
cp -a "$T/n2" "$T/n2self"
own_digest() { { chain-log -L "$1" --log test.example/n2; chain-proof -L "$1" checkpoint --raw; } | sha256sum; }
own_before=$(own_digest "$T/n2self")
serve 1 "$T/n2small"
check_exit 2 "a peer holds node 2's own log, shorter and forged with its key: node 2 finds the fork" \
	env CHOBO_SSH="$SSHC -i $T/s2/client" chain-sync -L "$T/n2self" --peer n1
check "... a fork event for its own log at size 2" grep -q '"event":"fork".*"log":"test.example/n2","size":2' "$T/last.out"
check "... its own log unchanged" test "$own_before" = "$(own_digest "$T/n2self")"
check_exit 2 "... and its audit reports the proven fork" chain-verify "$T/n2self"
serve 1 "$T/n1"

# ------------------------------------------------------------ the peer's answers, local failures
section "answers and failures"
# $T/answer: ssh, except that the answer to chobo-cosign is the file $ANSWER.
printf '#!/bin/sh\nfor a; do last=$a; done\nif [ "$last" = chobo-cosign ]; then cat >/dev/null; cat "$ANSWER"; exit 0; fi\nexec "$@"\n' >"$T/answer"
chmod +x "$T/answer"
# answer_sync FILE: node 2 appends, node 1 fetches it and hands its cosignature to an answer from FILE.
answer_sync() {
	notes 1 "answer" | chain-append -q -L "$T/n2" >/dev/null
	ANSWER=$1 CHOBO_SSH="$T/answer $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
}
echo 'this is not JSON' >"$T/answer.bad"
check_exit 69 "a cosign answer that is not JSON: exit 69" answer_sync "$T/answer.bad"
check "... the peer's line fails" report "$T/last.out" n2=fail
check "... saying why" grep -q '"error":"handing over cosignatures: answer line 1' "$T/last.out"
printf '{"log":"test.example/n2","ok":false,"error":"refused by the test"}\n' >"$T/answer.refused"
check_exit 69 "a cosign answer with ok:false: exit 69" answer_sync "$T/answer.refused"
check "... with the peer's reason" grep -q '"ok":false.*refused the cosignature of test.example/n2: refused by the test' "$T/last.out"
: >"$T/answer.none"
check_exit 69 "no answer to a cosignature: exit 69" answer_sync "$T/answer.none"
check "... saying so" grep -q '"error":"[^"]*no answer from the peer for the 1 cosignatures handed over' "$T/last.out"
printf '{"log":"test.example/n3","ok":true,"new":true}\n' >"$T/answer.other"
check_exit 69 "an answer for another log: exit 69" answer_sync "$T/answer.other"
check "... saying so" grep -q '"error":"[^"]*is for test.example/n3, not test.example/n2' "$T/last.out"
printf '{"log":"test.example/n2","ok":true,"new":true}\n{"log":"test.example/n2","ok":true,"new":true}\n' >"$T/answer.more"
check_exit 69 "more answers than cosignatures: exit 69" answer_sync "$T/answer.more"
check_exit 0 "the real answer is accepted" sync_node 1 --peer n2
check "... one cosignature handed over and accepted" grep -q '"cosigned":1,"cosignatures_accepted":1' "$T/last.out"
# $T/tmpgone: ssh to a peer of the older protocol (chobo-sync refused, as
# its chain-sync does), after which a chobo-export leaves $TMPDIR a file: no
# scratch file for the cosignatures.
printf '#!/bin/sh\ncase " $* " in *" chobo-sync "*) cat >/dev/null; exit 77 ;; esac\n"$@"\nrc=$?\ncase " $* " in *" chobo-export "*) rmdir "$TMPDIR" && : >"$TMPDIR" ;; esac\nexit $rc\n' >"$T/tmpgone"
chmod +x "$T/tmpgone"
mkdir "$T/tmpdir"
notes 1 "scratch" | chain-append -q -L "$T/n2" >/dev/null
check_exit 69 "no scratch file for the cosignatures: exit 69" env TMPDIR="$T/tmpdir" CHOBO_SSH="$T/tmpgone $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
check "... the peer's line fails" report "$T/last.out" n2=fail
check "... saying why" grep -q "\"error\":\"no cosignatures made: cannot create a scratch file in $T/tmpdir" "$T/last.out"
check "... after the log was fetched" same_log 2 1
rm -f "$T/tmpdir"
sync_tmpdir() ( TMPDIR=$1; export TMPDIR; shift; sync_node "$@" )
check_exit 69 "TMPDIR that is not a directory: exit 69" sync_tmpdir "$T/missing" 1 --peer n2
check "... saying so" grep -q '"error":"cannot create a scratch file in ' "$T/last.out"
check_exit 0 "with TMPDIR back, node 1 syncs with node 2" sync_node 1 --peer n2

# ------------------------------------------------------------ overlapping runs (cron)
section "overlapping runs"
rm -f "$T/held" "$T/release"
( flock -x 9 && : >"$T/held" && k=0 && while [ ! -e "$T/release" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done ) 9>>"$T/n1/sync.lock" &
holder=$!
bg="$bg $holder"
k=0
while [ ! -e "$T/held" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done
t_start=$(date +%s%N)
check_exit 75 "while another sync holds the lock, a second run exits 75" sync_node 1
t_end=$(date +%s%N)
# Exit 75 while the holder still holds the lock shows the run did not wait;
# how long it took is only a diagnostic.
echo "# ... after $(((t_end - t_start) / 1000000)) ms"
check "... saying why" grep -q 'another chain-sync' "$T/last.err"
check "... with no line on stdout" test ! -s "$T/last.out"
sync_node 1 --wait >"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
bg="$bg $waiter"
sleep 0.5
check "--wait waits for the lock" sh -c "kill -0 $waiter && test ! -s '$T/wait.out'"
: >"$T/release"
wait_bounded "$holder" 10
wait_bounded "$waiter" 30
check "... and syncs once it is released" test "$bounded" -eq 0
check "... reporting both peers ok" report "$T/wait.out" n2=ok n3=ok
# A real run held up by a slow peer: its ssh waits (for slow.go, at most
# 60 s) before connecting, so the second run surely finds the lock taken.
cat >"$T/slow" <<EOF
#!/bin/sh
: >"$T/slow.started"
k=0
while [ ! -e "$T/slow.go" ] && [ \$k -lt 1200 ]; do sleep 0.05; k=\$((k + 1)); done
exec "\$@"
EOF
chmod +x "$T/slow"
CHOBO_SSH="$T/slow $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2 >"$T/slow.out" 2>"$T/slow.err" &
slow=$!
bg="$bg $slow"
k=0
while [ ! -e "$T/slow.started" ] && [ $k -lt 1200 ]; do sleep 0.05; k=$((k + 1)); done
check_exit 75 "a second run while a slow sync talks to its peer exits 75" sync_node 1 --peer n3
: >"$T/slow.go"
wait_bounded "$slow" 30
check "... and the slow one completes" test "$bounded" -eq 0

# ------------------------------------------------------------ the heads request
section "heads request"
# The serving side run directly: an older client sends nothing on stdin.
serve_heads() { SSH_ORIGINAL_COMMAND=chobo-heads chain-sync --serve -L "$T/n2"; }
check_exit 0 "chobo-heads without a request (an older client)" serve_heads </dev/null
check "... every head in full: a checkpoint, no \"lacks\"" sh -c "grep -q '\"checkpoint\"' '$T/last.out' && ! grep -q '\"lacks\"' '$T/last.out'"
n2size=$(sed -n 's/.*"log":"test.example\/n2","size":\([0-9]*\).*/\1/p' "$T/last.out")
n2id=$(cut -d+ -f2 "$T/n2/keys/node.pub")
printf '{"log":"test.example/n2","size":%s,"signers":["%s","00000000"]}\n' "$n2size" "$n2id" >"$T/heads.req"
check_exit 0 "chobo-heads with a request holding node 2's checkpoint" serve_heads <"$T/heads.req"
check "... that head leaves out node 2's signature, and lacks only the unknown signer" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    h = json.loads(line)
    if h["log"] != "test.example/n2":
        assert "checkpoint" in h and "lacks" not in h, h
        continue
    assert h["size"] == int(sys.argv[2]) and h["lacks"] == ["00000000"], h
    assert "\u2014 test.example/n2 " not in h.get("checkpoint", ""), h
' "$T/last.out" "$n2size"
printf '{"log":"test.example/n2","size":%s,"signers":["%s"]}\n' "$((n2size + 1))" "$n2id" >"$T/heads.req"
check_exit 0 "a request at another size" serve_heads <"$T/heads.req"
check "... is answered in full" sh -c "grep '\"log\":\"test.example/n2\"' '$T/last.out' | grep -q '\"checkpoint\"' && ! grep -q '\"lacks\"' '$T/last.out'"
echo 'not JSON' >"$T/heads.req"
check_exit 76 "a request that is not JSON Lines: EX_PROTOCOL" serve_heads <"$T/heads.req"
check_exit 0 "after trimmed heads, a sync still hands over what the peer lacks" sync_node 1 --peer n2

# ------------------------------------------------------------ one session per sync, and older peers
section "chobo-sync and older peers"
# $T/verbs: ssh, noting the verb of every call in $T/verbs.log (and
# "hang-up" for an ssh -O exit); with OLDER=1 it answers chobo-sync as a
# peer of the older protocol does (77).
cat >"$T/verbs" <<EOF
#!/bin/sh
for v in chobo-sync chobo-heads chobo-export chobo-cosign; do
	case " \$* " in *" \$v "*) echo "\$v" >>"$T/verbs.log" ;; esac
done
case " \$* " in *" -O exit "*) echo hang-up >>"$T/verbs.log" ;; esac
case " \$* " in *" chobo-sync "*) if [ "\${OLDER:-0}" = 1 ]; then cat >/dev/null; exit 77; fi ;; esac
exec "\$@"
EOF
chmod +x "$T/verbs"
# verbs_sync [COUNT]: node 2 appends COUNT entries (default 2), node 1 syncs with it through $T/verbs.
verbs_sync() {
	: >"$T/verbs.log"
	[ "${1:-2}" -gt 0 ] && notes "${1:-2}" "session" | chain-append -q -L "$T/n2" >/dev/null
	CHOBO_SSH="$T/verbs $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
}
verbs() { tr '\n' ' ' <"$T/verbs.log"; }
check_exit 0 "a sync with new entries" verbs_sync
check "... fetches them" grep -q '"log":"test.example/n2","from":[0-9]*,"to":[0-9]*,"entries":2,' "$T/last.out"
check "... in one chobo-sync call, then chobo-cosign" test "$(verbs)" = "chobo-sync chobo-cosign "
check "... and holds node 2's log" same_log 2 1
# The shared connection's master, once told to exit, is gone within moments
# (one left running would stay for ControlPersist's 60 s).
masters() { ps -eo args= | grep -F -- "$1" | grep -F ControlPersist | grep -v -e ' grep ' -e ' ps '; }
masters_gone() {
	local k=0
	while masters "$1" | grep -q . && [ $k -lt 40 ]; do sleep 0.05; k=$((k + 1)); done
	! masters "$1" | grep -q .
}
check "... its connection ended over the control socket, without ssh -O exit" test "$(verbs)" = "chobo-sync chobo-cosign "
check "... and no ssh master of the run is left" masters_gone "-i $T/s1/client"
# A CHOBO_SSH with a control socket of its own: the hang-up is ssh -O exit with those options.
own_control() {
	: >"$T/verbs.log"
	notes 2 "own control" | chain-append -q -L "$T/n2" >/dev/null
	CHOBO_SSH="$T/verbs $SSHC -i $T/s1/client -o ControlMaster=auto -o ControlPersist=60 -o ControlPath=/tmp/chobo-t-sync.$$.%C" \
		chain-sync -L "$T/n1" --peer n2
}
check_exit 0 "a CHOBO_SSH with its own ControlPath: the sync is ok" own_control
check "... ended by ssh -O exit" test "$(verbs)" = "chobo-sync chobo-cosign hang-up "
check "... and no ssh master of it is left" masters_gone "ControlPath=/tmp/chobo-t-sync.$$."
rm -f /tmp/chobo-t-sync.$$.*
check_exit 0 "a sync with nothing new" verbs_sync 0
check "... is one chobo-sync call" test "$(verbs)" = "chobo-sync "
db_before=$(stat -c %y "$T/n1/db")
check_exit 0 "another sync with nothing new" verbs_sync 0
check "... does not open the ledger for writing (db/ unchanged)" test "$db_before" = "$(stat -c %y "$T/n1/db")"
OLDER=1
export OLDER
check_exit 0 "a peer of the older protocol (chobo-sync refused): the sync is ok" verbs_sync
unset OLDER
check "... one ok line" report "$T/last.out" n2=ok
check "... asking chobo-heads and chobo-export instead" test "$(verbs)" = "chobo-sync chobo-heads chobo-export chobo-cosign "
check "... and holds node 2's log" same_log 2 1
# The serving side run directly.
serve_session() { SSH_ORIGINAL_COMMAND=chobo-sync chain-sync --serve -L "$T/n2"; }
check_exit 0 "chobo-sync without a request (no log asked for)" serve_session </dev/null
check "... ends the heads with an empty bundles line" sh -c "tail -n 1 '$T/last.out' | grep -qx '{\"bundles\":\[\]}'"
printf '{"log":"test.example/n2","size":0,"signers":[],"held":0}\n' >"$T/session.req"
check_exit 0 "chobo-sync asked for node 2's log from its start" serve_session <"$T/session.req"
check "... carries its bundle after the bundles line" python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
at = data.index(b"\n{\"bundles\":") + 1
end = data.index(b"\n", at)
index = json.loads(data[at:end])["bundles"]
assert len(index) == 1 and index[0]["log"] == "test.example/n2", index
assert data[end + 1:].startswith(b"chobo-bundle/1\n") and len(data) - end - 1 == index[0]["bytes"], index
' "$T/last.out"
# $T/cut: ssh whose chobo-sync answer loses its last 10 bytes.
cat >"$T/cut" <<EOF
#!/bin/sh
case " \$* " in *" chobo-sync "*) "\$@" >"$T/cut.out"; rc=\$?; head -c -10 "$T/cut.out"; exit \$rc ;; esac
exec "\$@"
EOF
chmod +x "$T/cut"
notes 1 "cut" | chain-append -q -L "$T/n2" >/dev/null
n1_before=$(log_digest 1 2)
check_exit 69 "a chobo-sync answer cut inside a bundle: exit 69" env CHOBO_SSH="$T/cut $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
check "... saying so" grep -q '"error":"[^"]*the sync answer ends inside a bundle' "$T/last.out"
check "... nothing stored" test "$n1_before" = "$(log_digest 1 2)"
check_exit 0 "then a whole answer is taken" sync_node 1 --peer n2
check "... node 1 holds node 2's log" same_log 2 1

# ------------------------------------------------------------ a large lack, imported as it comes
section "a large lack, imported as the peer exports it"
# The ledger verifies (it holds fork evidence from above: chain-verify exits 2 and says ok).
verifies() { chain-verify "$T/n1" 2>/dev/null | grep -q '^{"ok":true,'; }
# $T/n1-locked: true while node 1's ledger is in use by another process (a reader that may not wait is refused).
cat >"$T/n1-locked" <<EOF
#!/bin/sh
! CHOBO_LOCK_WAIT=0 chain-log -L "$T/n1" --log test.example/n1 >/dev/null 2>&1
EOF
chmod +x "$T/n1-locked"
# stream_sync [WRAPPER]: node 2 appends 5 entries; node 1 syncs with chobo-sync
# refused (OLDER=1, so the lack comes with chobo-export) and the bound
# lowered to 3, through WRAPPER (which then runs $T/verbs) or $T/verbs alone;
# $stream_env: more VAR=VALUE words for chain-sync's environment.
stream_env=
stream_sync() {
	: >"$T/verbs.log"
	notes 5 "streamed" | chain-append -q -L "$T/n2" >/dev/null
	env $stream_env OLDER=1 CHOBO_LIMIT_SYNC_STREAM_ENTRIES=3 \
		CHOBO_SSH="${1:+$1 }$T/verbs $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
}
# $T/export-wait: the peer's chobo-export, then, before it ends, a note of
# whether node 1's ledger is locked: it is while the bundle is imported as it comes.
cat >"$T/export-wait" <<EOF
#!/bin/sh
case " \$* " in *" chobo-export "*)
	"\$@"
	rc=\$?
	if "$T/n1-locked"; then echo locked; else echo unlocked; fi >"$T/wait.log"
	exit \$rc ;;
esac
exec "\$@"
EOF
chmod +x "$T/export-wait"
check_exit 0 "a lack of 5 with the bound at 3: the sync is ok" stream_sync "$T/export-wait"
check "... fetches them" grep -q '"log":"test.example/n2","from":[0-9]*,"to":[0-9]*,"entries":5,' "$T/last.out"
check "... with one chobo-export" test "$(verbs)" = "chobo-sync chobo-heads chobo-export chobo-cosign "
check "... imported as it came (node 1's ledger locked before the export ended)" grep -qx locked "$T/wait.log"
check "... and holds node 2's log" same_log 2 1
check "... which verifies" verifies
wait_sync() {
	: >"$T/verbs.log"
	notes 5 "whole" | chain-append -q -L "$T/n2" >/dev/null
	OLDER=1 CHOBO_SSH="$T/export-wait $T/verbs $SSHC -i $T/s1/client" chain-sync -L "$T/n1" --peer n2
}
check_exit 0 "a lack of 5 with the bound at its default: the sync is ok" wait_sync
check "... fetched whole first (node 1's ledger not locked while the export ran)" grep -qx unlocked "$T/wait.log"
check "... and holds node 2's log" same_log 2 1
# $T/export-fails: the peer's chobo-export writes its whole bundle, then fails.
cat >"$T/export-fails" <<EOF
#!/bin/sh
case " \$* " in *" chobo-export "*) "\$@"; exit 1 ;; esac
exec "\$@"
EOF
# $T/export-cut: the peer's chobo-export is cut after 200 bytes, and ends well.
cat >"$T/export-cut" <<EOF
#!/bin/sh
case " \$* " in *" chobo-export "*) "\$@" | head -c 200; exit 0 ;; esac
exec "\$@"
EOF
chmod +x "$T/export-fails" "$T/export-cut"
n1_before=$(log_digest 1 2)
check_exit 69 "a streamed export that fails after its bundle: exit 69" stream_sync "$T/export-fails"
check "... saying the peer's command failed" grep -q '"error":"export of test.example/n2: [^"]*failed' "$T/last.out"
check "... nothing stored" test "$n1_before" = "$(log_digest 1 2)"
check_fails "a streamed export cut short" stream_sync "$T/export-cut"
check "... saying the bundle is truncated" grep -q 'truncated' "$T/last.out"
check "... nothing stored" test "$n1_before" = "$(log_digest 1 2)"
stream_env=CHOBO_LIMIT_BUNDLE_BYTES=300
check_exit 69 "a streamed export past CHOBO_LIMIT_BUNDLE_BYTES=300: exit 69" stream_sync
stream_env=
check "... saying it wrote more than 300 bytes" grep -q '"error":"export of test.example/n2: [^"]*wrote more than 300 bytes' "$T/last.out"
check "... nothing stored" test "$n1_before" = "$(log_digest 1 2)"
check "... and the ledger verifies" verifies
# $T/export-slow: the peer's chobo-export starts late.  Meanwhile it notes,
# every 0.1 s (at most 100 times), whether node 1's ledger is locked, until it
# is not: a sync that has waited 2 s for a streamed bundle closes the ledger
# and receives the bundle whole, from the same export, before importing it.
cat >"$T/export-slow" <<EOF
#!/bin/sh
case " \$* " in *" chobo-export "*)
	: >"$T/slow.log"
	k=0
	while [ \$k -lt 100 ]; do
		if "$T/n1-locked"; then echo locked >>"$T/slow.log"; else echo unlocked >>"$T/slow.log"; break; fi
		sleep 0.1
		k=\$((k + 1))
	done ;;
esac
exec "\$@"
EOF
chmod +x "$T/export-slow"
stream_env=CHOBO_LIMIT_SYNC_STREAM_WAIT_MS=2000
check_exit 0 "a streamed export that comes too slowly: the sync is ok" stream_sync "$T/export-slow"
stream_env=
check "... the ledger was locked while the import waited" test "$(head -n 1 "$T/slow.log")" = locked
check "... and unlocked once it gave up" test "$(tail -n 1 "$T/slow.log")" = unlocked
check "... the bundle of the same chobo-export" test "$(verbs)" = "chobo-sync chobo-heads chobo-export chobo-cosign "
check "... node 1 holds node 2's log" same_log 2 1
check "... which verifies" verifies

# ------------------------------------------------------------ the end
# chain-sync's shared ssh connections end with each run: nothing of this test may linger.
lingering() { ps -eo pid=,args= | grep -F -- "$T/" | grep -v -e ' grep ' -e ' ps '; }
k=0
while lingering | grep -v sshd | grep -q . && [ $k -lt 600 ]; do sleep 0.05; k=$((k + 1)); done
check "no ssh connection or chain-sync of this test lingers" sh -c "! echo '$(lingering | grep -v sshd | sed "s/'//g")' | grep -q ."
sshd_nodes_cleanup
check "no sshd of this test is left" sh -c "! echo '$(lingering | sed "s/'//g")' | grep -q ."
echo "# $(($(date +%s) - started)) s"
done_testing
