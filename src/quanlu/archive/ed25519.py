"""Ed25519 signature verification in pure Python (RFC 8032 §5.1.7), for the standalone verifier.

The ledger's checkpoints are Ed25519 signed notes (ledger/note.py), which verify through the
``cryptography`` package. The offline verifier carried in every archive package may use only the
standard library, so it verifies with this module instead: slow (a few milliseconds per
signature) but a package holds a handful of signatures. Verification only: nothing here signs.

Checks as RFC 8032 and OpenSSL do: S must be below the group order L, A and R must decode to
points (y < p, x recoverable), and the equation is checked without the cofactor
([S]B = R + [k]A, compared as encodings). Tested against the RFC 8032 §7.1 vectors and against
``cryptography`` on random keys, messages and tampered signatures.

Standard library only, no Django: embedded in the standalone verifier.
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z


def _add(p: Point, q: Point) -> Point:
    # RFC 8032 §5.1.4, "add-2008-hwcd-3".
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)  # the neutral element
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _recover_x(y: int, sign: int) -> int | None:
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


def _decode(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _encode(point: Point) -> bytes:
    x, y, z, _ = point
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
assert _GX is not None
BASE: Point = (_GX, _GY, 1, _GX * _GY % P)


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode(bytes(public_key))
    if a is None:
        return False
    r_bytes = bytes(signature[:32])
    if _decode(r_bytes) is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(r_bytes + bytes(public_key) + bytes(message)).digest(), "little") % L
    # [S]B - [k]A must be R (compared as encodings). -A is (-x, y, z, -t); [L-k]A would equal
    # it only for points of prime order, and A is not checked to be one (neither does OpenSSL).
    minus_a: Point = ((P - a[0]) % P, a[1], a[2], (P - a[3]) % P)
    check = _add(_mul(s, BASE), _mul(k, minus_a))
    return _encode(check) == r_bytes
