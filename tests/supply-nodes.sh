# Two supply nodes for the supply tests, sourced after tests/lib.sh: A
# (Hachioji) and B (Tachikawa), each trusting the other, with helpers to
# post and to carry a node's log to the other.
A=$T/hachioji
B=$T/tachikawa
OA=tama.example/hachioji
OB=tama.example/tachikawa
new_ledger "$A" "$OA"
new_ledger "$B" "$OB"
cat "$B/keys/node.pub" >>"$A/trust/peers"
cat "$A/keys/node.pub" >>"$B/trust/peers"

# post DIR TIME KIND ARGS...: supply-post at TIME; prints the first receipt's leaf hash.
post() {
	d=$1 t=$2
	shift 2
	CHOBO_NOW=$t supply-post -q -L "$d" "$@" >"$T/post.out" || return 1
	python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["leaf_hash"])' "$T/post.out"
}
# copy FROM TO: FROM's own log into TO.
copy() {
	if [ "$1" = "$A" ]; then o=$OA; else o=$OB; fi
	chain-export -L "$1" --log "$o" -o "$T/bundle" && chain-import -q -L "$2" "$T/bundle" >/dev/null
}
