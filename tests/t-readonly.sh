#!/bin/sh
# Read-only media: chain-verify, chain-log, chain-proof and chain-export read a
# ledger on a read-only file system (a read-only bind mount in a private mount
# namespace) or one the user may not write, and change nothing; chain-view,
# which brings views up to date first, refuses and says why.
. "${top_srcdir:-.}/tests/lib.sh"

L=$T/ledger
new_ledger "$L"
notes 3 a | chain-append -q -L "$L" >/dev/null
chain-log -L "$L" >"$T/log.want"
chain-proof -L "$L" checkpoint --raw >"$T/cp.want"

# readers DIR FILES HOW RUN: the four readers on DIR, each run through RUN;
# FILES is where the ledger's files are seen from here.
readers() {
	r_dir=$1 r_files=$2 r_how=$3
	shift 3
	before=$(cd "$r_files" && find . -type f | sort | xargs sha256sum; ls -la db)
	check "$r_how: chain-verify" "$@" chain-verify "$r_dir"
	check "$r_how: chain-log lists every entry" sh -c "$* chain-log -L '$r_dir' >'$T/log.got' && cmp '$T/log.want' '$T/log.got'"
	check "$r_how: chain-proof checkpoint" sh -c "$* chain-proof -L '$r_dir' checkpoint --raw >'$T/cp.got' && cmp '$T/cp.want' '$T/cp.got'"
	check "$r_how: chain-proof inclusion" "$@" chain-proof -L "$r_dir" inclusion --index 1
	check "$r_how: chain-export writes a bundle that verifies" sh -c "$* chain-export -L '$r_dir' >'$T/b.chobo' && chain-verify --trust '$L/keys/node.pub' '$T/b.chobo' >/dev/null"
	check_exit 77 "$r_how: chain-view refuses (it would write)" "$@" chain-view -L "$r_dir" core.attestations
	check "... saying why" grep -q "brought up to date before it is read" "$T/last.err"
	after=$(cd "$r_files" && find . -type f | sort | xargs sha256sum; ls -la db)
	check "$r_how: no file changed" test "$before" = "$after"
}

# A read-only bind mount, in a mount namespace of the test's own: RUN is a
# script that makes the namespace and the mount and runs its arguments there.
cp -a "$L" "$T/ro-src"
mkdir "$T/ro"
cat >"$T/in-ro-mount" <<END
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind "\$0" "\$1" && mount -o remount,bind,ro "\$1" &&
	! touch "\$1/db/probe" 2>/dev/null && shift && exec "\$@"' '$T/ro-src' '$T/ro' "\$@"
END
chmod +x "$T/in-ro-mount"
if "$T/in-ro-mount" true 2>/dev/null; then
	readers "$T/ro" "$T/ro-src" "read-only bind mount" "$T/in-ro-mount"
else
	ok "# SKIP no private mount namespace with a read-only bind mount (unshare -m) here"
fi

# A copy the user may read but not write.
if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod 755 "$T"
	cp -a "$L" "$T/rocopy"
	chmod -R a+rX,a-w "$T/rocopy"
	printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"\n' >"$T/as-nobody"
	chmod 755 "$T/as-nobody"
	readers "$T/rocopy" "$T/rocopy" "a copy the user may not write" "$T/as-nobody"
else
	ok "# SKIP a copy without write permission needs root to act as another user"
fi
# A copy made without db/lock (chobo-ledger(5): it need not be copied): a reader makes it again,
# so that it locks, and a writer that comes later waits for it; chain-verify makes nothing.
cp -a "$L" "$T/nolock"
rm "$T/nolock/db/lock"
check "chain-verify of a copy without db/lock" chain-verify "$T/nolock"
check "... makes no lock file" test ! -e "$T/nolock/db/lock"
check "chain-log of that copy" sh -c "chain-log -L '$T/nolock' >'$T/log.got' && cmp '$T/log.want' '$T/log.got'"
check "... makes the lock file again" test -f "$T/nolock/db/lock"
rm "$T/nolock/db/lock"
check "chain-proof makes it too" sh -c "chain-proof -L '$T/nolock' checkpoint >/dev/null && test -f '$T/nolock/db/lock'"
done_testing
