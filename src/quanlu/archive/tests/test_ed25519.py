"""The standalone verifier's pure-Python Ed25519 (RFC 8032 §5.1.7), against the RFC's own test
vectors and against ``cryptography`` (OpenSSL) on random keys, messages and tampered signatures."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quanlu.archive import ed25519
from quanlu.archive.standalone import crypto_shim
from quanlu.ledger import note

# RFC 8032 §7.1: (secret key, public key, message, signature).
VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        # TEST SHA(abc): the message is SHA-512("abc").
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        hashlib.sha512(b"abc").hexdigest(),
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_the_rfc_8032_vectors_verify(secret, public, message, signature):
    pub, sig, msg = bytes.fromhex(public), bytes.fromhex(signature), bytes.fromhex(message)
    assert ed25519.verify(pub, sig, msg)
    # The vectors' keys are what OpenSSL derives from the secrets too.
    derived = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret)).public_key().public_bytes_raw()
    assert derived == pub


@pytest.mark.parametrize(("secret", "public", "message", "signature"), VECTORS)
def test_any_changed_bit_is_refused(secret, public, message, signature):
    pub, sig, msg = bytes.fromhex(public), bytes.fromhex(signature), bytes.fromhex(message)
    for i in (0, 17, 31, 32, 45, 63):
        bad = bytearray(sig)
        bad[i] ^= 0x04
        assert not ed25519.verify(pub, bytes(bad), msg)
    assert not ed25519.verify(pub, sig, msg + b"x")
    other = bytearray(pub)
    other[3] ^= 1
    assert not ed25519.verify(bytes(other), sig, msg)


def test_it_agrees_with_openssl_on_random_keys_and_messages():
    for n in range(40):
        key = Ed25519PrivateKey.generate()
        msg = os.urandom(n * 13)
        sig = key.sign(msg)
        pub = key.public_key().public_bytes_raw()
        assert ed25519.verify(pub, sig, msg)
        flipped = bytearray(msg or b"\x00")
        flipped[n % len(flipped)] ^= 0x80
        assert not ed25519.verify(pub, sig, bytes(flipped))


def test_malformed_inputs_are_refused_not_raised():
    pub = bytes.fromhex(VECTORS[0][1])
    sig = bytes.fromhex(VECTORS[0][3])
    assert not ed25519.verify(pub[:31], sig, b"")
    assert not ed25519.verify(pub, sig[:63], b"")
    # S at or above the group order L is refused (no malleability).
    s = int.from_bytes(sig[32:], "little") + ed25519.L
    assert not ed25519.verify(pub, sig[:32] + s.to_bytes(32, "little"), b"")
    # A y coordinate that is not on the curve.
    assert not ed25519.verify(b"\x02" + b"\x00" * 31, sig, b"")
    assert not ed25519.verify(b"\xff" * 32, sig, b"")


def test_the_shim_gives_note_py_what_cryptography_gives():
    """A checkpoint signed with the ledger's signer verifies through the shim's classes."""
    signer = note.generate_ed25519("example.gov.cn/ledger/test")
    signed = note.sign_note("example.gov.cn/ledger/test\n3\n" + "A" * 43 + "=\n", [signer])
    message = signed.text.encode()
    key = crypto_shim.Ed25519PublicKey.from_public_bytes(signer.verifier().public_key)
    key.verify(signed.sigs[0].sig, message)
    with pytest.raises(crypto_shim.InvalidSignature):
        key.verify(signed.sigs[0].sig, message + b"x")
    with pytest.raises(ValueError, match="32 bytes"):
        crypto_shim.Ed25519PublicKey.from_public_bytes(b"short")
    with pytest.raises(NotImplementedError):
        crypto_shim.Ed25519PrivateKey.generate()
