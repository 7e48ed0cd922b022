"""An independent RFC 9162 verifier for chain-proof's JSON output.

usage: verify_proof.py inclusion|receipt|consistency LEDGER_LOG_FILE < proofs.jsonl
Each proof's leaf hash is recomputed from the stored entry bytes, and its
root is checked against the base64 root of its own signed checkpoint text.
A receipt's leaf hash is recomputed from the entry it carries, which must
be the log file's line byte for byte and name the receipt's log and index.
"""
import base64
import hashlib
import json
import sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    if first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def checkpoint_root(note, size, origin=None):
    lines = note.split("\n")
    assert origin is None or lines[0] == origin, "checkpoint of another log"
    assert lines[1] == str(size), "checkpoint size differs from the proof's"
    return base64.b64decode(lines[2], validate=True)


def main():
    kind, log_file = sys.argv[1], sys.argv[2]
    entries = open(log_file, "rb").read().split(b"\n")[:-1]
    n = 0
    for line in sys.stdin:
        p = json.loads(line)
        hashes = [bytes.fromhex(h) for h in p["hashes"]]
        if kind == "receipt":
            entry = p["entry"].encode("utf-8")
            assert entry == entries[p["leaf_index"]], "the receipt's entry differs from the log's"
            e = json.loads(entry)
            assert e["log"] == p["log"] and e["index"] == p["leaf_index"], "entry of another log or index"
            root = checkpoint_root(p["checkpoint"], p["tree_size"], p["log"])
            leaf = hashlib.sha256(b"\0" + entry).digest()
            assert leaf.hex() == p["leaf_hash"]
            assert root.hex() == p["root_hash"]
            assert verify_inclusion(p["leaf_index"], p["tree_size"], leaf, hashes, root), p
        elif kind == "inclusion":
            root = checkpoint_root(p["checkpoint"], p["tree_size"])
            leaf = hashlib.sha256(b"\0" + entries[p["leaf_index"]]).digest()
            assert leaf.hex() == p["leaf_hash"]
            assert root.hex() == p["root_hash"]
            assert verify_inclusion(p["leaf_index"], p["tree_size"], leaf, hashes, root), p
        else:
            root = checkpoint_root(p["checkpoint"], p["new_size"])
            assert root.hex() == p["new_root"]
            assert verify_consistency(p["old_size"], p["new_size"], bytes.fromhex(p["old_root"]),
                                      root, hashes), p
        n += 1
    print(n)


main()
