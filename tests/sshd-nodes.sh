# Real OpenSSH servers on loopback for the sync tests (sourced after lib.sh).
#
# Each node is one sshd with its own host key and configuration, run as root
# inside a private mount namespace that puts a tmpfs on /run (for sshd's
# compiled-in privilege separation directory /run/sshd) and on root's home
# (so that the forced command's shell reads no ~/.bashrc).  Nothing under
# /etc/ssh or the host's /run is read or changed.
#
#   sshd_nodes_require              skip the whole test (1..0 # SKIP) unless this can work
#   sshd_pick_base                  print a base port B such that B+1 .. B+9 are free
#   sshd_node_start N DIR PORT      start node N (DIR/hostkey made on first start; DIR/authorized_keys
#                                   is the caller's); returns non-zero if it does not come up
#   sshd_node_stop N                stop node N (TERM, then KILL), with its sessions
#   sshd_known_hosts N              print node N's known_hosts line
#   sshd_client_key FILE            make an ed25519 client key pair FILE, FILE.pub
#   sshd_nodes_cleanup              stop every node started (called from the EXIT trap)
#
# For three chobo nodes whose ledgers are $T/nI and sshd directories $T/sI
# (client key $T/sI/client), with $SYNC the chain-sync that serves:
#
#   $SSHC                           the hermetic client: no ~/.ssh, no /etc/ssh/ssh_config,
#                                   host keys pinned in $T/known_hosts
#   sync_node I [OPTION...]         node I runs chain-sync with its own client key
#   serve I LEDGER                  node I's sshd lets the two other nodes' keys run the sync
#                                   verbs on LEDGER
#
# sshd_nodes_require replaces lib.sh's EXIT trap with one that also stops
# the nodes, then removes $T.  $SSHD names the server (default /usr/sbin/sshd).

SSHD=${SSHD:-/usr/sbin/sshd}
SSHC="ssh -F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o LogLevel=ERROR -o ConnectTimeout=5 -o KexAlgorithms=curve25519-sha256"

sync_node() {
	_n=$1
	shift
	CHOBO_SSH="$SSHC -i $T/s$_n/client" chain-sync -L "$T/n$_n" "$@"
}

serve() {
	: >"$T/s$1/authorized_keys"
	for _j in 1 2 3; do
		[ "$_j" = "$1" ] && continue
		echo "restrict,command=\"$SYNC --serve -L $2\" $(cat "$T/s$_j/client.pub")" >>"$T/s$1/authorized_keys"
	done
}
sshd_started=
sshd_home=

sshd_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

sshd_nodes_require() {
	[ "$(id -u)" = 0 ] || sshd_skip "needs root (sshd in a private mount namespace)"
	[ -x "$SSHD" ] || sshd_skip "no $SSHD (install openssh-server)"
	for _sp in ssh ssh-keygen unshare mount; do
		command -v "$_sp" >/dev/null 2>&1 || sshd_skip "no $_sp"
	done
	sshd_home=$(getent passwd root 2>/dev/null | cut -d: -f6)
	[ -n "$sshd_home" ] && [ "$sshd_home" != / ] && [ -d "$sshd_home" ] || sshd_home=
	case $T in *[!A-Za-z0-9/._-]*) sshd_skip "scratch directory $T has unusual characters" ;; esac
	unshare --mount --propagation private -- \
		sh -c 'mount -t tmpfs -o size=1m chobo-probe /run' >/dev/null 2>&1 ||
		sshd_skip "cannot mount a tmpfs in a private mount namespace (unshare --mount)"
	trap 'sshd_nodes_cleanup; rm -rf "$T"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# sshd_port_free PORT: true if nothing listens on 127.0.0.1:PORT.
sshd_port_free() {
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
	else
		true
	fi
}

sshd_pick_base() {
	_stries=0
	while [ $_stries -lt 20 ]; do
		_stries=$((_stries + 1))
		_sr=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_sbase=$((22200 + (_sr % 180) * 10))
		_si=1
		while [ $_si -le 9 ] && sshd_port_free $((_sbase + _si)); do _si=$((_si + 1)); done
		if [ $_si -gt 9 ]; then
			echo "$_sbase"
			return 0
		fi
	done
	echo "sshd_pick_base: no free port range found" >&2
	return 1
}

sshd_client_key() {
	[ -f "$1" ] || ssh-keygen -q -t ed25519 -N '' -C "chobo-test-client" -f "$1" >/dev/null
}

sshd_node_start() {
	_sn=$1 _sdir=$2 _sport=$3
	mkdir -p "$_sdir" || return 1
	[ -f "$_sdir/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -C "chobo-test-node$_sn" -f "$_sdir/hostkey" >/dev/null || return 1
	[ -f "$_sdir/authorized_keys" ] || : >"$_sdir/authorized_keys"
	cat >"$_sdir/sshd_config" <<EOF
ListenAddress 127.0.0.1:$_sport
HostKey $_sdir/hostkey
PidFile $_sdir/sshd.pid
AuthorizedKeysFile $_sdir/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
UsePAM no
AuthenticationMethods publickey
AllowTcpForwarding no
AllowStreamLocalForwarding no
AllowAgentForwarding no
PermitTunnel no
GatewayPorts no
X11Forwarding no
PermitTTY no
PermitUserRC no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 50
EOF
	echo "$_sport" >"$_sdir/port"
	[ -f "$_sdir/sshd.log" ] && cat "$_sdir/sshd.log" >>"$_sdir/sshd.log.old"
	: >"$_sdir/sshd.log"
	# unshare and sh both exec, so $! is sshd itself.
	unshare --mount --propagation private -- sh -c '
		mount -t tmpfs -o mode=0755,size=1m chobo-run /run && mkdir -m 0755 /run/sshd &&
		{ [ -z "$2" ] || mount -t tmpfs -o mode=0700,size=1m chobo-home "$2"; } &&
		exec "$3" -D -e -f "$1"' sh "$_sdir/sshd_config" "$sshd_home" "$SSHD" \
		</dev/null >/dev/null 2>"$_sdir/sshd.log" &
	_spid=$!
	echo "$_spid" >"$_sdir/sshd.launch.pid"
	eval "sshd_dir_$_sn=\$_sdir sshd_pid_$_sn=\$_spid"
	case " $sshd_started " in *" $_sn "*) ;; *) sshd_started="$sshd_started $_sn" ;; esac
	_si=0
	while [ $_si -lt 600 ]; do
		grep -q 'Server listening' "$_sdir/sshd.log" 2>/dev/null && return 0
		kill -0 "$_spid" 2>/dev/null || break
		sleep 0.05
		_si=$((_si + 1))
	done
	echo "sshd node $_sn did not start on port $_sport:" >&2
	sed 's/^/  /' "$_sdir/sshd.log" >&2
	sshd_node_stop "$_sn"
	return 1
}

sshd_node_stop() {
	eval "_spid=\${sshd_pid_$1:-}"
	[ -n "$_spid" ] || return 0
	# The listener first (no new sessions), then the sessions it forked.
	_skids=$(ps -o pid= --ppid "$_spid" 2>/dev/null)
	kill -TERM "$_spid" 2>/dev/null
	for _sk in $_skids; do kill -TERM "$_sk" 2>/dev/null; done
	_si=0
	while [ $_si -lt 100 ] && kill -0 "$_spid" 2>/dev/null; do
		sleep 0.05
		_si=$((_si + 1))
	done
	if kill -0 "$_spid" 2>/dev/null; then
		kill -KILL "$_spid" 2>/dev/null
	fi
	wait "$_spid" 2>/dev/null
	eval "sshd_pid_$1="
	return 0
}

sshd_known_hosts() {
	eval "_sdir=\${sshd_dir_$1:-}"
	printf '[127.0.0.1]:%s %s\n' "$(cat "$_sdir/port")" "$(cut -d' ' -f1,2 "$_sdir/hostkey.pub")"
}

sshd_nodes_cleanup() {
	for _sn in $sshd_started; do sshd_node_stop "$_sn"; done
	sshd_started=
}
