#!/usr/bin/env python3
"""Verify an `audit export` (JSON Lines) independently of donation_platform.

Usage: python3 tools/audit_verify.py EXPORT.jsonl [--secret-file FILE]

Recomputes every payload digest and entry hash from the exported fields (the format is in
docs/AUDIT.md), checks that each entry links to the one before, and that every checkpoint
names an entry with that hash. With --secret-file (a file holding SECRET_KEY_BASE) it also
checks the checkpoint signatures. Exit 0 when whole; exit 1 naming the first bad sequence
number. Python standard library only, so an auditor can read all of it.
"""

import hashlib
import hmac
import json
import struct
import sys

ENTRY_DOMAIN = b"donation_platform/audit-entry/v1\0"
PAYLOAD_DOMAIN = b"donation_platform/audit-payload/v1\0"
CHECKPOINT_DOMAIN = b"donation_platform/audit-checkpoint/v1\0"
CHECKPOINT_KEY_LABEL = b"donation_platform/audit-checkpoint-key/v1"


def entry_hash(prev_hash, entry, payload_digest):
    h = hashlib.sha256(ENTRY_DOMAIN)
    h.update(struct.pack(">Q", entry["seq"]))
    for field in ("recorded_at", "actor", "action", "subject"):
        data = entry[field].encode("utf-8")
        h.update(struct.pack(">I", len(data)))
        h.update(data)
    h.update(payload_digest)
    h.update(prev_hash)
    return h.digest()


def fail(seq, reason):
    print(f"BROKEN at entry {seq}: {reason}")
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        sys.exit(64)
    key = None
    if "--secret-file" in args:
        with open(args[args.index("--secret-file") + 1], "rb") as f:
            secret = f.read().rstrip(b"\n")
        key = hmac.new(secret, CHECKPOINT_KEY_LABEL, hashlib.sha256).digest()
    prev_hash = bytes(32)
    hashes = {}
    checkpoints = []
    with open(args[0], encoding="utf-8") as export:
        for line in export:
            record = json.loads(line)
            if record["kind"] == "checkpoint":
                checkpoints.append(record)
                continue
            seq = record["seq"]
            expected = len(hashes) + 1
            if seq != expected:
                fail(expected, f"sequence {seq} where {expected} was due (missing or reordered)")
            digest = hashlib.sha256(PAYLOAD_DOMAIN + record["payload"].encode("utf-8")).digest()
            if digest.hex() != record["payload_digest"]:
                fail(seq, "the payload does not match its digest")
            if record["prev_hash"] != prev_hash.hex():
                fail(seq, "does not link to the previous entry")
            computed = entry_hash(prev_hash, record, digest)
            if computed.hex() != record["hash"]:
                fail(seq, "the hash does not match the entry")
            hashes[seq] = record["hash"]
            prev_hash = computed
    signed = 0
    for checkpoint in checkpoints:
        seq = checkpoint["seq"]
        if seq not in hashes:
            fail(len(hashes) + 1, f"a checkpoint covers entry {seq} but the chain ends at {len(hashes)}")
        if hashes[seq] != checkpoint["hash"]:
            fail(seq, "does not match its signed checkpoint")
        if key is not None:
            key_id = hashlib.sha256(b"key-id" + key).digest()[:8].hex()
            if checkpoint["key_id"] == key_id:
                message = CHECKPOINT_DOMAIN + struct.pack(">Q", seq) + bytes.fromhex(checkpoint["hash"])
                mac = hmac.new(key, message, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(mac, checkpoint["signature"]):
                    fail(seq, "the checkpoint signature is wrong")
                signed += 1
    print(f"audit chain ok: {len(hashes)} entries, head {prev_hash.hex()}, "
          f"{len(checkpoints)} checkpoint(s), {signed} signature(s) verified")


if __name__ == "__main__":
    main()
