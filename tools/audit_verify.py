#!/usr/bin/env python3
"""Verify an `audit export` (JSON Lines) independently of donation_platform.

Usage:
  python3 tools/audit_verify.py EXPORT.jsonl --public-key HEX
          [--previous-public-keys HEX,HEX,...] [--against HEADS] [--secret-file FILE]

Recomputes every payload digest and entry hash from the exported fields (the format is in
docs/AUDIT.md), checks that each entry links to the one before, that every checkpoint names an
entry with that hash and carries an Ed25519 signature under a known public key (--public-key,
the one `donation_platform audit head` prints, or one of --previous-public-keys, the same list
as AUDIT_PREVIOUS_PUBLIC_KEYS), and that the newest entry is signed. With --against (a file of
lines saved from `audit head`) every saved head must still be in the chain with the same hash.
Legacy HMAC checkpoints (written before Ed25519) verify only with --secret-file (a file holding
SECRET_KEY_BASE, which also gives the current public key), or count when a saved head at or
after them vouches for them (--against); otherwise they fail.

Exit 0 when whole; exit 1 naming the first bad sequence number; exit 64 on bad usage.
Python standard library only (Ed25519 verification per RFC 8032 below), so an auditor can read
all of it. It agrees with `donation_platform audit verify`; the test suite checks that.
"""

import argparse
import hashlib
import hmac
import json
import struct
import sys

ENTRY_DOMAIN = b"donation_platform/audit-entry/v1\0"
PAYLOAD_DOMAIN = b"donation_platform/audit-payload/v1\0"
CHECKPOINT_DOMAIN = b"donation_platform/audit-checkpoint/v2\0"
HMAC_CHECKPOINT_DOMAIN = b"donation_platform/audit-checkpoint/v1\0"
SIGNING_KEY_LABEL = b"donation_platform/audit-signing-key/v2"
HMAC_KEY_LABEL = b"donation_platform/audit-checkpoint-key/v1"
LEGACY = "is a legacy HMAC checkpoint"

# --- Ed25519 (RFC 8032, section 5.1), verification and public-key derivation only. ----------
# Not constant time: it handles only public data (and, with --secret-file, derives a public key).

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)


def _add(p, q):
    # Extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z.
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar, point):
    result = IDENTITY
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _equal(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


def _compress(point):
    z_inv = pow(point[2], P - 2, P)
    x, y = point[0] * z_inv % P, point[1] * z_inv % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_GY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def _small_order(point):
    return _equal(_mul(8, point), IDENTITY)


def public_key_from_seed(seed):
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return _compress(_mul(a, BASE))


def ed25519_verify(public, message, signature):
    """RFC 8032 verification, strict as ed25519-dalek's verify_strict: canonical S, no
    small-order key or R, and R compared as bytes."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None or _small_order(a) or _small_order(r):
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    # R' = [s]B - [k]A, i.e. [s]B + [L-k]A (A has order L: not small order, on the curve).
    check = _add(_mul(s, BASE), _mul((L - k) % L, a))
    return _compress(check) == signature[:32]


def parse_public_key(text):
    try:
        data = bytes.fromhex(text.strip())
    except ValueError:
        data = b""
    point = _decompress(data) if len(data) == 32 else None
    if point is None or _small_order(point):
        return None
    return data


# --- The chain (docs/AUDIT.md). --------------------------------------------------------------


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


def checkpoint_message(seq, head):
    return CHECKPOINT_DOMAIN + struct.pack(">Q", seq) + head


def fail(seq, reason):
    print(f"BROKEN at entry {seq}: {reason}")
    sys.exit(1)


def usage(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(64)


class Keys:
    def __init__(self, current, previous, hmac_key):
        self.current = current
        self.previous = previous
        self.hmac_key = hmac_key
        self.hmac_id = None
        if hmac_key is not None:
            self.hmac_id = hashlib.sha256(b"key-id" + hmac_key).digest()[:8].hex()

    def check(self, seq, head_hex, algorithm, key_id_hex, signature_hex):
        """'current', 'previous', 'hmac', or the reason it does not count."""
        try:
            head = bytes.fromhex(head_hex)
            key_id = bytes.fromhex(key_id_hex)
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            return None, "is not hex"
        if algorithm == "ed25519":
            if key_id == self.current:
                signer = "current"
            elif key_id in self.previous:
                signer = "previous"
            else:
                return None, "is signed with an unknown key: forged or relabelled"
            if not ed25519_verify(key_id, checkpoint_message(seq, head), signature):
                return None, "has a bad signature (forged or edited)"
            return signer, None
        if algorithm == "hmac-sha256":
            if self.hmac_key is None or key_id_hex != self.hmac_id:
                return None, LEGACY + ": it cannot be verified without the SECRET_KEY_BASE that wrote it (--secret-file)"
            message = HMAC_CHECKPOINT_DOMAIN + struct.pack(">Q", seq) + head
            mac = hmac.new(self.hmac_key, message, hashlib.sha256).digest()
            if not hmac.compare_digest(mac, signature):
                return None, "has a bad signature (forged or edited)"
            return "hmac", None
        return None, "names an unknown signature algorithm"


def load_keys(args):
    current, hmac_key = None, None
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            secret = f.read().rstrip(b"\r\n")
        seed = hmac.new(secret, SIGNING_KEY_LABEL, hashlib.sha256).digest()
        current = public_key_from_seed(seed)
        hmac_key = hmac.new(secret, HMAC_KEY_LABEL, hashlib.sha256).digest()
    if args.public_key:
        given = parse_public_key(args.public_key)
        if given is None:
            usage("--public-key is not an Ed25519 public key (64 hex digits)")
        if current is not None and given != current:
            usage("--public-key is not the public key of --secret-file")
        current = given
    if current is None:
        usage("give --public-key (as `donation_platform audit head` prints it) or --secret-file")
    previous = []
    for text in (args.previous_public_keys or "").split(","):
        if text.strip():
            key = parse_public_key(text)
            if key is None:
                usage(f"--previous-public-keys: `{text.strip()[:70]}` is not an Ed25519 public key")
            previous.append(key)
    return Keys(current, previous, hmac_key)


def load_heads(path, keys):
    heads = {}
    with open(path, encoding="utf-8") as saved:
        for number, line in enumerate(saved, 1):
            if not line.strip():
                continue
            try:
                head = json.loads(line)
                seq = head["seq"]
                record = (head["hash"], head["algorithm"], head["public_key"], head["signature"])
                if not isinstance(seq, int) or seq < 0 or not all(isinstance(f, str) for f in record):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                usage(f"line {number} of `{path}` is not a line of `donation_platform audit head`")
            if record[1] != "ed25519":
                fail(seq, "the saved head is not signed with Ed25519")
            _, reason = keys.check(seq, *record)
            if reason is not None:
                fail(seq, f"the saved head {reason}")
            heads.setdefault(seq, set()).add(record[0])
    return heads


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export")
    parser.add_argument("--public-key")
    parser.add_argument("--previous-public-keys")
    parser.add_argument("--secret-file")
    parser.add_argument("--against")
    args = parser.parse_args()
    keys = load_keys(args)
    heads = load_heads(args.against, keys) if args.against else {}

    entries, checkpoints = [], []
    with open(args.export, encoding="utf-8") as export:
        for line in export:
            record = json.loads(line)
            (checkpoints if record["kind"] == "checkpoint" else entries).append(record)
    checkpoints.sort(key=lambda c: c["seq"])

    prev_hash = bytes(32)
    length = 0
    next_checkpoint = 0
    counts = {"current": 0, "previous": 0, "hmac": 0, "vouched": 0}
    last_signed = None
    for record in entries:
        seq = record["seq"]
        expected = length + 1
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
        prev_hash, length = computed, seq
        while next_checkpoint < len(checkpoints) and checkpoints[next_checkpoint]["seq"] <= seq:
            checkpoint = checkpoints[next_checkpoint]
            next_checkpoint += 1
            if checkpoint["seq"] != seq:
                fail(checkpoint["seq"], "a checkpoint names a missing entry")
            signer, reason = keys.check(seq, checkpoint["hash"],
                                        checkpoint.get("algorithm", "hmac-sha256"),
                                        checkpoint["key_id"], checkpoint["signature"])
            if signer is None and reason.startswith(LEGACY) and any(s >= seq for s in heads):
                # A saved head at or after it vouches for it: `audit head` signs only a chain
                # that verified in full (the head must still match, checked at its entry).
                signer = "vouched"
            elif reason is not None:
                fail(seq, f"the checkpoint {reason}")
            if checkpoint["hash"] != computed.hex():
                fail(seq, "does not match its signed checkpoint")
            counts[signer] += 1
            last_signed = seq
        for saved in heads.get(seq, ()):
            if saved != computed.hex():
                fail(seq, "does not match the saved head: the chain was rewritten")
    if next_checkpoint < len(checkpoints):
        fail(length + 1, f"a checkpoint covers entry {checkpoints[next_checkpoint]['seq']} "
                         f"but the chain ends at {length}: newer entries were removed")
    if length > 0 and last_signed != length:
        fail(length, "the newest entry has no signed checkpoint")
    for seq in sorted(heads):
        if seq > length:
            fail(seq, f"a saved head names entry {seq} but the chain ends at {length}")
    verified = counts["current"] + counts["previous"] + counts["hmac"]
    print(f"audit chain ok: {length} entries, head {prev_hash.hex()}, {verified} signed "
          f"checkpoint(s) verified ({counts['previous']} with an earlier key, {counts['hmac']} "
          f"legacy HMAC; {counts['vouched']} legacy HMAC vouched for by a saved head), "
          f"{sum(len(h) for h in heads.values())} saved head(s) matched")


if __name__ == "__main__":
    main()
