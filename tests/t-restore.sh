#!/bin/sh
# A node restored from its peers: three nodes, each a real sshd on loopback
# serving its ledger through the forced command.  Node 1 appends and syncs;
# its ledger is lost; it is re-created around a backup of its keys and
# restored from nodes 2 and 3 (chain-sync --restore): the newest checkpoint
# any peer holds is the floor, a peer with an older copy is refused, an
# append before the floor is reached is refused, and afterwards node 1
# appends again without forking its history.  A node restored from an old
# file copy learns at the next sync that its peers hold more of its log;
# one that appended before it synced has forked node 1's log, and the
# restore keeps the evidence, which proves itself.
# Last, the serving verbs' input as chain-sync(1) describes it.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/sshd-nodes.sh"
sshd_nodes_require
exec </dev/null                         # no ssh here reads the terminal

command -v chain-sync >/dev/null 2>&1 || { echo "Bail out! chain-sync is not built"; exit 99; }
SYNC=$(command -v chain-sync)
base=$(sshd_pick_base) || { echo "Bail out! no free port range on 127.0.0.1"; exit 99; }
port() { echo $((base + $1)); }
export CHOBO_SYNC_TIMEOUT=30
# configure I: node I's trust in and peer lines for the two others.
configure() {
	for _j in 1 2 3; do
		[ "$_j" = "$1" ] && continue
		cat "$T/keys$_j/node.pub" "$T/keys$_j/witness.pub" >"$T/n$1/trust/n$_j"
		echo "peer = n$_j ssh://root@127.0.0.1:$(port "$_j")" >>"$T/n$1/chobo.conf"
	done
}
# size_of I J: how many entries node I holds of node J's log.
size_of() { chain-log -L "$T/n$1" --log "test.example/n$2" | wc -l | tr -d ' '; }
# log_of I J: node I's copy of node J's log (entries and newest checkpoint text).
log_of() {
	chain-log -L "$T/n$1" --log "test.example/n$2"
	chain-proof -L "$T/n$1" --log "test.example/n$2" checkpoint --raw | sed -n '1,3p'
}
append_one() { notes 1 "$2" | chain-append -L "$T/n$1"; }
# restore_line FILE KEY=VALUE...: chain-sync --restore's "restore" line has these values.
restore_line() {
	python3 - "$@" <<'END'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"restore"' in l]
assert len(lines) == 1, lines
r = lines[0]
for kv in sys.argv[2:]:
    k, v = kv.split('=', 1)
    assert r.get(k) == json.loads(v), (k, r)
END
}
command -v python3 >/dev/null 2>&1 || sshd_skip "no python3"

# ------------------------------------------------------------ three nodes
for i in 1 2 3; do
	new_ledger "$T/n$i" "test.example/n$i"
	cp -a "$T/n$i/keys" "$T/keys$i"         # the operator's backup of keys/
	mkdir -p "$T/s$i"
	sshd_client_key "$T/s$i/client"
done
for i in 1 2 3; do configure "$i"; serve "$i" "$T/n$i"; done
for i in 1 2 3; do
	sshd_node_start "$i" "$T/s$i" "$(port "$i")" || { echo "Bail out! sshd node $i did not start"; exit 99; }
done
for i in 1 2 3; do sshd_known_hosts "$i"; done >"$T/known_hosts"
ok "three sshd nodes listen on 127.0.0.1:$(port 1)-$(port 3)"

for i in 1 2 3; do notes 3 "n$i" | chain-append -q -L "$T/n$i" >/dev/null; done
for i in 1 2 3; do check_exit 0 "node $i syncs with both peers" sync_node "$i"; done
cp -a "$T/n1" "$T/n1copy"                # a file copy of node 1 at 3 entries
cp -a "$T/n1" "$T/n1fork"                # another, which will append before it syncs
notes 2 later | chain-append -q -L "$T/n1" >/dev/null
check_exit 0 "node 1 at 5 entries; only node 3 takes them" sync_node 3 --peer n1
check "node 2 holds 3 entries of node 1's log, node 3 holds 5" test "$(size_of 2 1) $(size_of 3 1)" = "3 5"
log_of 3 1 >"$T/n1.at3"
log_of 1 2 >"$T/n2.at1"

# ------------------------------------------------------------ the loss
rm -rf "$T/n1"
check_exit 0 "chain-init --restore re-creates node 1's ledger around its keys" \
	chain-init --restore "$T/keys1" "$T/n1"
check "... with node 1's origin, restoring" grep -q '"origin":"test.example/n1".*"restoring":true' "$T/last.out"
configure 1
check_exit 75 "an append before the restore is refused" append_one 1 early
check "... saying the log is being restored" grep -q "being restored" "$T/last.err"
check "... and nothing was appended" test "$(size_of 1 1)" = 0
check_exit 0 "chain-verify: the ledger is valid, and its report says it is restoring" chain-verify "$T/n1"
check "... holding 0 entries of its log" grep -q '"restoring":{"size":0,"floor":0}' "$T/last.out"

check_exit 65 "a restore from node 2, which holds an older copy, is refused" sync_node 1 --restore --peer n2
check "... naming node 3's newer checkpoint" grep -q "only up to 3 entries, but n3 holds its checkpoint at 5" "$T/last.err"
check "... the restore line says floor 5, not complete" restore_line "$T/last.out" floor=5 complete=false size=0
check "... nothing of node 1's log was taken" test "$(size_of 1 1)" = 0
check_exit 75 "... and node 1 still appends nothing" append_one 1 early

sshd_node_stop 3
check_exit 69 "with node 3 down, a restore takes node 2's copy but is not complete" sync_node 1 --restore
check "... 3 entries from node 2, the floor still 5 (known from before)" \
	restore_line "$T/last.out" from='"n2"' size=3 floor=5 complete=false
check "... saying how many peers answered and how many were synced" \
	grep -q "1 of 2 peers answered, 1 synced without an error" "$T/last.err"
check_exit 75 "... an append below the floor is refused" append_one 1 early
check "... saying how many entries the log must hold" grep -q "at least the 5 entries" "$T/last.err"
check "node 3 is started again" sshd_node_start 3 "$T/s3" "$(port 3)"

check_exit 0 "chain-sync --restore with every peer up: complete" sync_node 1 --restore
check "... from node 3, 5 entries, floor 5" restore_line "$T/last.out" from='"n3"' size=5 floor=5 complete=true
check "... the 2 entries node 2 lacked came from node 3" \
	restore_line "$T/last.out" 'logs=[{"log":"test.example/n1","from":3,"to":5,"entries":2,"checkpoints":1}]'
check "... and one ok line for each peer" sh -c "grep -c '\"peer\":\"n[23]\",\"ok\":true' '$T/last.out' | grep -qx 2"
check "node 1's log is what node 3 held, byte for byte" sh -c "log_of() { chain-log -L \"\$1\" --log test.example/n1; chain-proof -L \"\$1\" --log test.example/n1 checkpoint --raw | sed -n '1,3p'; }; log_of '$T/n1' | cmp - '$T/n1.at3'"
check "node 1 holds the other logs again" sh -c "test \"\$(chain-log -L '$T/n1' --log test.example/n2 | wc -l)\" -eq 3 && test \"\$(chain-log -L '$T/n1' --log test.example/n3 | wc -l)\" -eq 3"
check "... node 2's as node 1 held it before the loss" sh -c "{ chain-log -L '$T/n1' --log test.example/n2; chain-proof -L '$T/n1' --log test.example/n2 checkpoint --raw | sed -n '1,3p'; } | cmp - '$T/n2.at1'"
check "the restore file is gone" test ! -e "$T/n1/restoring"
check_exit 0 "... and chain-verify no longer reports a restore" chain-verify "$T/n1"
check "... (no restoring member)" sh -c "! grep -q restoring '$T/last.out'"

check_exit 0 "node 1 appends again" append_one 1 after
check "... at index 5, on top of what it had signed" grep -q '"leaf_index":5,' "$T/last.out"
for i in 2 3; do
	check_exit 0 "node $i syncs with node 1: no fork" sync_node "$i" --peer n1
	check "... and holds 6 entries of node 1's log" test "$(size_of "$i" 1)" = 6
done
for i in 1 2 3; do check_exit 0 "node $i syncs again" sync_node "$i"; done
for i in 1 2 3; do
	check_exit 0 "node $i verifies" chain-verify "$T/n$i"
	check "... and holds no fork evidence" sh -c "! grep -q '\"forks\"' '$T/last.out'"
done

# ------------------------------------------------------------ an old file copy
rm -rf "$T/n1"
mv "$T/n1copy" "$T/n1"                   # node 1 put back from a file copy of 3 entries
check_exit 69 "node 1, from an old copy, syncs: its peers hold more of its log (the peer fails)" sync_node 1 --peer n2
check "... which it says" grep -q "holds this node's own log up to 6 entries, beyond the 3 held here" "$T/last.out"
check_exit 75 "... and it appends nothing that would fork its log" append_one 1 fork
check_exit 0 "... until chain-sync --restore brings the log back" sync_node 1 --restore
check "... from 3 to 6" restore_line "$T/last.out" size=6 floor=6 complete=true
check_exit 0 "... then it appends" append_one 1 more
check "... at index 6" grep -q '"leaf_index":6,' "$T/last.out"
check_exit 0 "node 2 syncs with it: no fork" sync_node 2 --peer n1
check_exit 0 "... and node 2 verifies" chain-verify "$T/n2"

# An old copy that appended before it synced has signed a second history of node 1's log.
mv "$T/n1" "$T/n1good"
mv "$T/n1fork" "$T/n1"
check_exit 0 "an old copy of node 1 (3 entries) appends: it cannot know" append_one 1 forked
check_exit 2 "its chain-sync --restore finds that node 1's key signed two histories" sync_node 1 --restore --peer n2
check "... a fork event for node 1's own log, with the proof across the sizes" \
	grep -q '"event":"fork","peer":"n2","log":"test.example/n1","size":4,.*"proof":{"old_size":4,' "$T/last.out"
check "... the restore is not complete" restore_line "$T/last.out" complete=false
check_exit 75 "... and it appends nothing more" append_one 1 more
chain-proof -L "$T/n1" fork >"$T/own.fork"
check_exit 2 "... the evidence proves it with node 1's key alone" chain-verify --trust "$T/keys1/node.pub" "$T/own.fork"
rm -rf "$T/n1"
mv "$T/n1good" "$T/n1"

# ------------------------------------------------------------ the serving verbs' input, as chain-sync(1) says
serve_local() { SSH_ORIGINAL_COMMAND=$1 chain-sync --serve -L "$T/n1"; }
check_exit 0 "chobo-heads: each line carries the newest checkpoint" serve_local chobo-heads
check "... node 1's own at 7, signed" grep -q '"log":"test.example/n1","size":7,"root":"[0-9a-f]\{64\}","checkpoint":"test.example/n1\\n7\\n' "$T/last.out"
# node 2's witness line on node 1's checkpoint, handed back as a cosign request
chain-proof -L "$T/n1" checkpoint --raw | grep '^— test.example/n2/witness ' >"$T/cosig"
size=$(chain-proof -L "$T/n1" checkpoint --raw | sed -n 2p)
request() { python3 -c 'import json,sys; print(json.dumps({"log":"test.example/n1","size":int(sys.argv[1]),"cosignature":open(sys.argv[2]).read()[:len(open(sys.argv[2]).read()) - int(sys.argv[3])]}))' "$size" "$T/cosig" "$1"; }
request 0 >"$T/req.ok"
request 1 >"$T/req.nonl"
check_exit 0 "chobo-cosign: a cosignature line with its trailing newline is taken" sh -c "SSH_ORIGINAL_COMMAND=chobo-cosign chain-sync --serve -L '$T/n1' <'$T/req.ok'"
check "... (held already: new false)" grep -qx '{"log":"test.example/n1","ok":true,"new":false}' "$T/last.out"
check_exit 0 "... the same line without its newline is refused, on its own line" sh -c "SSH_ORIGINAL_COMMAND=chobo-cosign chain-sync --serve -L '$T/n1' <'$T/req.nonl'"
check "... ok false" grep -q '^{"log":"test.example/n1","ok":false,"error":"' "$T/last.out"
{ cat "$T/req.ok"; echo 'not json'; } >"$T/req.bad"
snap=$(snapshot "$T/n1")
check_exit 65 "... one line that is not JSON rejects the whole request" sh -c "SSH_ORIGINAL_COMMAND=chobo-cosign chain-sync --serve -L '$T/n1' <'$T/req.bad'"
check "... nothing answered" test ! -s "$T/last.out"
check "... the ledger unchanged" test "$snap" = "$(snapshot "$T/n1")"
check_exit 64 "chobo-export with a size that is not a number: a usage error" \
	serve_local "chobo-export test.example/n1 x" </dev/null
check "... saying what it takes" grep -q "chobo-export takes an origin and a decimal size" "$T/last.err"
check_exit 64 "chobo-export with a malformed origin: a usage error" serve_local "chobo-export bad+origin 0" </dev/null
check_exit 77 "chobo-export with an extra word: refused" serve_local "chobo-export test.example/n1 0 1" </dev/null
done_testing
