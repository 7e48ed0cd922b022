#!/bin/sh
# Supply events and their mail: a story on two nodes (a pledge, requests,
# two requests for the last units of one offer made while partitioned,
# boxes, a receipt short, a box never received); supply-events after each
# exchange prints only what is new, on both nodes, and the loser's
# unfilled event appears after the sync; the events go through chobo-mail
# to Exim (Debian's exim4, run with its own configuration in the scratch
# directory, delivering locally to an mbox), and the mailbox is read back:
# recipients, decoded Japanese subjects, bodies.
. "${top_srcdir:-.}/tests/lib.sh"

EXIM=$(command -v exim4 || command -v exim || true)
if [ -z "$EXIM" ]; then
	echo "1..0 # SKIP no exim4 here (scripts/install-deps installs exim4-daemon-light)"
	exit 0
fi

. "$top_srcdir/tests/supply-nodes.sh"
MAIL="python3 $top_srcdir/scripts/chobo-mail"

# events DIR TIME NAME [ARGS]: supply-events at TIME into $T/NAME.
events() {
	d=$1 t=$2 n=$3
	shift 3
	CHOBO_NOW=$t supply-events -L "$d" "$@" >"$T/$n"
}
# names FILE: the event names of FILE, one line, in order.
names() { python3 -c 'import json, sys; print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1])))' "$1"; }
# has FILE EVENT LEAF: FILE holds the event for that entry.
has() {
	python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(e["event"] == sys.argv[2] and e["leaf_hash"] == sys.argv[3] for e in ev) else 1)' "$@"
}
id_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

T0=2025-06-01T09:00:00Z
check "the catalogue and two sites on A" sh -c "CHOBO_NOW=$T0 supply-post -q -L '$A' item '$top_srcdir/data/supply-items.jsonl' >/dev/null &&
	CHOBO_NOW=$T0 supply-post -q -L '$A' site --code S-001 --name 八王子市立第一小学校 --municipality 八王子市 --role shelter --open true >/dev/null &&
	CHOBO_NOW=$T0 supply-post -q -L '$A' site --code S-002 --name 立川市立第二中学校 --municipality 立川市 --role shelter --open true >/dev/null"
N1=$(post "$A" $T0 need --site S-001 --item diaper-m --quantity 30 --unit パック --size M) || N1=none
N2=$(post "$A" $T0 need --site S-002 --item water-2l --quantity 40 --unit 本) || N2=none
check "two needs" test "$N1" != none -a "$N2" != none
events "$A" $T0 a0
check "no event yet: needs notify no one" test ! -s "$T/a0"
check "the cursor is a file in private/" test -f "$A/private/supply-events.cursor"

# Contacts live in A's private/ only: a supporter, the firm, S-001's two contacts.
P1=$(chain-private add -L "$A" --identifier sup-1 --name 山田太郎 --mail yamada@example.jp | id_of)
P2=$(chain-private add -L "$A" --identifier sup-2 --name 佐藤花子 --mail sato@example.jp | id_of)
check "contacts in A's private store" sh -c "chain-private -q -L '$A' add --identifier 株式会社多摩ベビー --name 多摩ベビー営業部 --mail baby@tama-baby.example.jp >/dev/null &&
	chain-private -q -L '$A' add --identifier S-001/manager --name 避難所運営委員会 --mail s001@hachioji.example.jp >/dev/null &&
	chain-private -q -L '$A' add --identifier S-001/office --name 八王子市防災課 --mail bousai@hachioji.example.jp >/dev/null"
check "supporters' IDs" test -n "$P1" -a -n "$P2"
check "first exchange: A into B" copy "$A" "$B"

T1=2025-06-01T12:00:00Z
O1=$(post "$B" $T1 offer --item diaper-m --quantity 20 --unit パック --size M --firm 株式会社多摩ベビー --need "$N1") || O1=none
O2=$(post "$B" $T1 offer --item water-2l --quantity 10 --unit 本 --supporter "$P2") || O2=none
O3=$(post "$B" $T1 offer --item diaper-m --quantity 10 --unit パック --size M --supporter "$P1") || O3=none
check "three offers on B, one pledged" test "$O1" != none -a "$O2" != none -a "$O3" != none
events "$B" $T1 b1
check "B: the pledge is an offer event to S-001" has "$T/b1" offer "$O1"
check "... the only one" test "$(names "$T/b1")" = offer
check "second exchange: B into A" copy "$B" "$A"
events "$A" $T1 a1
check "A: the pledge arrived by sync and notifies as well" has "$T/a1" offer "$O1"
check "... to S-001" grep -q '"to":\["S-001"\]' "$T/a1"
events "$A" $T1 a1again
check "a second run prints nothing" test ! -s "$T/a1again"

# The partition: A requests all of offer 2 for S-002 at 15:00 (R2a), B the
# same units at 16:00 (R2b); both pass on their own node.  The earlier wins.
T2=2025-06-01T15:00:00Z
R1=$(post "$A" $T2 request --offer "$O1" --quantity 20 --site S-001) || R1=none
R2a=$(post "$A" $T2 request --offer "$O2" --quantity 10 --site S-002 --need "$N2") || R2a=none
R2b=$(post "$B" 2025-06-01T16:00:00Z request --offer "$O2" --quantity 10 --site S-002) || R2b=none
check "requests on both sides of the partition" test "$R1" != none -a "$R2a" != none -a "$R2b" != none
events "$B" 2025-06-01T16:30:00Z b2
check "B: its own request notifies the supporter before the sync" has "$T/b2" request "$R2b"
check "the partition ends: A into B" copy "$A" "$B"
check "... and B into A" copy "$B" "$A"
events "$A" 2025-06-01T17:00:00Z a2
events "$B" 2025-06-01T17:00:00Z b3
check "A: R1 notifies its sender" has "$T/a2" request "$R1"
check "A: R2a, the earlier claim, notifies its sender" has "$T/a2" request "$R2a"
check "A: the later request is unfilled, told to S-002" has "$T/a2" unfilled "$R2b"
check "B: the same unfilled event after the sync, though B printed R2b before" has "$T/b3" unfilled "$R2b"
check "B: R2b's request event is not printed again" sh -c "! grep -q '\"event\":\"request\",.*\"leaf_hash\":\"$R2b\"' '$T/b3'"
check "B: and A's requests are new there" has "$T/b3" request "$R2a"
check "the unfilled line is byte-identical on both nodes" sh -c "grep '\"event\":\"unfilled\"' '$T/a2' >'$T/u.a' && grep '\"event\":\"unfilled\"' '$T/b3' >'$T/u.b' && cmp '$T/u.a' '$T/u.b'"

T3=2025-06-02T09:00:00Z
S1=$(post "$B" $T3 ship --request "$R1" --box 1 --quantity 10) || S1=none
S2=$(post "$B" $T3 ship --request "$R1" --box 2 --quantity 10) || S2=none
S3=$(post "$B" $T3 ship --request "$R2a" --box 1 --quantity 10) || S3=none
check "B ships three boxes" test "$S1" != none -a "$S2" != none -a "$S3" != none
copy "$B" "$A"
T4=2025-06-03T10:00:00Z
check "A receives box 1 of R1 short" post "$A" $T4 receive --shipment "$S1" --quantity 8 --discrepancy short
check "A receives the water in full" post "$A" $T4 receive --shipment "$S3" --quantity 10
events "$A" 2025-06-03T11:00:00Z a3
check "A: three shipped, two received, one discrepancy, in merge order" \
	test "$(names "$T/a3")" = "shipped shipped shipped received discrepancy received"
check "... box 2, never received, has only its shipped event" sh -c "test \$(grep -c '$S2' '$T/a3') -eq 1"
L2=$(post "$B" 2025-06-06T09:00:00Z lost --shipment "$S2" --reason 未着) || L2=none
check "B reports box 2 not delivered" test "$L2" != none
copy "$B" "$A"
events "$A" 2025-06-06T10:00:00Z a4
check "A: the lost report's event arrives by sync" test "$(names "$T/a4")" = lost
check "... told to the firm and to S-001" grep -q '"to":\["株式会社多摩ベビー","S-001"\]' "$T/a4"

# --since-start and --dry-run.
events "$A" 2025-06-03T12:00:00Z all --since-start --dry-run
cat "$T/a1" "$T/a2" "$T/a3" "$T/a4" >"$T/a-all"
check "--since-start prints every event A printed, in the same order" cmp "$T/all" "$T/a-all"
events "$A" 2025-06-03T12:00:00Z none
check "--dry-run left the cursor: the next run prints nothing new" test ! -s "$T/none"
printf 'garbage\n' >"$T/bad.cursor"
cp "$T/bad.cursor" "$B/private/supply-events.cursor"
check_exit 65 "a malformed cursor is refused" env CHOBO_NOW=$T4 supply-events -L "$B"
check "... saying how to recover" grep -q "since-start" "$T/last.err"

# Exim, with its own configuration: local delivery of every message to one mbox.
mkdir -p "$T/exim/spool" "$T/exim/log" "$T/exim/mail"
if [ "$(id -u)" -eq 0 ]; then
	# Exim never delivers as root; the transport runs as its own user.
	deliver=$(id -un Debian-exim 2>/dev/null || echo mail)
	# Exim gives up root for a -C configuration: its user must reach the scratch directory.
	chown -R "$deliver" "$T/exim"
	chmod o+x "$T"
else
	deliver=$(id -un)
fi
cat >"$T/exim/exim.conf" <<EOF
primary_hostname = chobo.test
spool_directory = $T/exim/spool
log_file_path = $T/exim/log/%slog
keep_environment =
domainlist local_domains = *
begin routers
mailbox:
  driver = accept
  transport = to_mbox
begin transports
to_mbox:
  driver = appendfile
  file = $T/exim/mail/mbox
  user = $deliver
  envelope_to_add
  return_path_add
EOF
# Readable by the user Exim delivers as; writable by its owner only, as Exim requires.
chmod 644 "$T/exim/exim.conf"
SENDMAIL="$EXIM -C $T/exim/exim.conf -odi"
export SENDMAIL

cat "$T/a1" "$T/a2" "$T/a3" "$T/a4" >"$T/mail-events"
CHOBO_MAIL_FROM=chobo@hachioji.example.jp $MAIL -L "$A" "$T/mail-events" >"$T/mail.out" 2>"$T/mail.err"
rc=$?
test "$rc" -eq 1 && ok "chobo-mail exits 1: some recipients have no address here" ||
	{ not_ok "chobo-mail exits 1 (got $rc)"; sed 's/^/# /' "$T/mail.err" "$T/exim/log/"* 2>/dev/null | head -20; }
check "... S-002 (no contact on A) reported on stderr, with the event" \
	grep -q "^chobo-mail: unfilled $R2b: no mail address for S-002" "$T/mail.err"
check "... and R2a's sender has one (P2), so it is not reported" sh -c "! grep -q 'request $R2a' '$T/mail.err'"
check "Exim delivered into the mbox" sh -c "test -s '$T/exim/mail/mbox' || { grep -v '<=' '$T/exim/log/mainlog' | tail -5 >&2; exit 1; }"

# Read the mailbox back.
cat >"$T/read.py" <<'EOF'
import email.header, mailbox, sys
out = []
for m in mailbox.mbox(sys.argv[1]):
    subj = str(email.header.make_header(email.header.decode_header(m["Subject"])))
    to = str(email.header.make_header(email.header.decode_header(m["To"])))
    raw = m["Subject"]
    body = m.get_payload(decode=True).decode(m.get_content_charset())
    out.append((m["Envelope-to"], m["X-Chobo-Event"], m["X-Chobo-Leaf"], subj, to, raw,
                m["Content-Type"], m["Content-Transfer-Encoding"], body))
for o in out:
    print("\t".join(x.replace("\n", "\\n").replace("\t", " ") for x in o))
EOF
python3 "$T/read.py" "$T/exim/mail/mbox" >"$T/mails"
# mail ENVELOPE EVENT LEAF: the mail's line.
mail() { awk -F'\t' -v e="$1" -v k="$2" -v l="$3" '$1 == e && $2 == k && $3 == l' "$T/mails"; }
check "the pledge went to both contacts of S-001" sh -c "test -n \"\$(awk -F'\t' '\$2 == \"offer\" && \$1 == \"s001@hachioji.example.jp\"' '$T/mails')\" &&
	test -n \"\$(awk -F'\t' '\$2 == \"offer\" && \$1 == \"bousai@hachioji.example.jp\"' '$T/mails')\""
m=$(mail baby@tama-baby.example.jp request "$R1")
check "the request from the firm's offer went to the firm" test -n "$m"
check "... with its Japanese subject decoded" sh -c "printf '%s' '$m' | cut -f4 | grep -qx '【chobo】提供の依頼がありました: 乳児用おむつ M 20パック（八王子市立第一小学校）'"
check "... encoded as RFC 2047 B words" sh -c "printf '%s' '$m' | cut -f6 | grep -q '^=?UTF-8?B?'"
check "... To: with the contact's decoded name" sh -c "printf '%s' '$m' | cut -f5 | grep -qx '多摩ベビー営業部 <baby@tama-baby.example.jp>'"
check "... text/plain UTF-8, 8bit" sh -c "printf '%s' '$m' | cut -f7,8 | grep -q 'text/plain; charset=UTF-8	8bit'"
check "... the body names the site, item and quantity" sh -c "printf '%s' '$m' | cut -f9 | grep -q '多摩ベビー営業部 様.*拠点: 八王子市立第一小学校（S-001）.*数量: 20 パック'"
m=$(mail sato@example.jp request "$R2a")
check "R2a's request went to supporter P2 by pseudonymous ID" test -n "$m"
m=$(mail baby@tama-baby.example.jp discrepancy "$(sed -n 's/.*"event":"discrepancy".*"leaf_hash":"\([0-9a-f]*\)".*/\1/p' "$T/a3")")
check "the short box: a discrepancy mail to the firm" test -n "$m"
check "... subject 受領数量の相違, box 1" sh -c "printf '%s' '$m' | cut -f4 | grep -qx '【chobo】受領数量の相違: 乳児用おむつ M 10パック 箱1（八王子市立第一小学校）'"
check "... body: found 8, 不足" sh -c "printf '%s' '$m' | cut -f9 | grep -q '受領数量: 8 パック.*相違: 不足（short）'"
check "... and to S-001's contacts" sh -c "awk -F'\t' '\$2 == \"discrepancy\"' '$T/mails' | cut -f1 | sort | tr '\n' ' ' | grep -qx 'baby@tama-baby.example.jp bousai@hachioji.example.jp s001@hachioji.example.jp '"
m=$(mail baby@tama-baby.example.jp lost "$L2")
check "the lost box: a mail to the firm, subject 未着・紛失の報告, box 2" sh -c \
	"printf '%s' '$m' | cut -f4 | grep -qx '【chobo】未着・紛失の報告: 乳児用おむつ M 10パック 箱2（八王子市立第一小学校）'"
check "... and to S-001's two contacts" test "$(awk -F'\t' '$2 == "lost"' "$T/mails" | wc -l)" -eq 3
check "the shipped boxes: S-001's two to each of its two contacts, none for S-002" \
	test "$(awk -F'\t' '$2 == "shipped"' "$T/mails" | wc -l)" -eq 4
check "every mail is one recipient per event: no duplicates" sh -c "cut -f1-3 '$T/mails' | sort | uniq -d | grep -q . && exit 1 || exit 0"
check "nothing mentions the ledger's people by address outside private/" sh -c "! chain-log -L '$A' | grep -q '@example.jp'"
done_testing
