"""RFC 9162 (RFC 6962) Merkle trees over SHA-256, as plain functions over bytes.

No Django here, nothing but the standard library: the archive ships this module
(with ``note.py`` and ``tlogproof.py``) as the standalone verifier of its proofs.

Three layers:

* the hashes: ``leaf_hash``, ``node_hash``, ``root_hash`` (MTH over leaf *data*);
* the reference proofs over a list of leaves, written as the RFC defines them
  (``inclusion_proof`` = PATH, ``consistency_proof`` = PROOF) and the RFC 9162
  §2.1.3.2/§2.1.4.2 verifiers (``verify_inclusion``, ``verify_consistency``);
* proof *plans* for stored trees (``inclusion_plan``, ``consistency_plan``): which
  perfect-subtree nodes ``(level, index)`` a proof needs, and how to fold the ones
  on the ragged right border. A store that keeps every perfect node answers any
  proof with O(log n) lookups and no recomputation of the tree.

Edge-case policy (it is transparency-dev/merkle's, and the public vectors encode it):
every hash is exactly 32 bytes; a consistency proof from size 0 is rejected
(0→0 too: it proves nothing); equal sizes need an empty proof and equal roots.
Errors are ``MerkleError`` with a stable ``code`` and a Chinese message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
# A tree of 2**63 leaves needs at most 63 proof nodes (inclusion) or 2*63 (consistency);
# anything longer is refused before any hashing.
MAX_PROOF_NODES = 128
MAX_TREE_SIZE = 2**63 - 1

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class MerkleError(ValueError):
    """Malformed input or a proof that does not verify. ``str()`` is the Chinese message."""

    def __init__(self, message: str, code: str = "merkle_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class MerkleInputError(MerkleError):
    """The question itself is malformed (bad hash length, index outside the tree, ...)."""


class ProofMismatch(MerkleError):
    """Well-formed input whose proof does not lead to the claimed root."""


# --- hashes -------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes]) -> bytes:
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(_mth(hashes[:k]), _mth(hashes[k:]))


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the leaf *data* (RFC 9162 §2.1.1)."""
    return root_from_leaf_hashes([leaf_hash(d) for d in leaves])


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The root over already-hashed leaves, by the §2.1.2 stack algorithm (O(n), O(log n) memory)."""
    stack: list[bytes] = []
    for i, h in enumerate(hashes):
        stack.append(h)
        for _ in range(_trailing_ones(i)):
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
    return fold_stack(stack)


def fold_stack(stack: Sequence[bytes]) -> bytes:
    """Fold a compact range (perfect subtree roots, left to right) into the tree's root."""
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1]
    for h in reversed(stack[:-1]):
        acc = node_hash(h, acc)
    return acc


def _trailing_ones(i: int) -> int:
    return ((i ^ (i + 1)).bit_length()) - 1


# --- reference proofs over leaf data (RFC 9162 §2.1.3.1 and §2.1.4.1, as written) ----------


def _check_size(n: int, name: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > MAX_TREE_SIZE:
        raise MerkleInputError(f"{name} 应为 0 到 2^63-1 之间的整数（现为 {n!r}）。", "bad_size")


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) for leaf ``index`` of the tree over ``leaves`` (leaf data)."""
    _check_size(index, "叶子序号")
    if index >= len(leaves):
        raise MerkleInputError(
            f"叶子序号 {index} 超出树的大小 {len(leaves)}（序号从 0 开始）。", "index_out_of_range"
        )
    return _path(index, [leaf_hash(d) for d in leaves])


def _path(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, hashes[:k]), _mth(hashes[k:])]
    return [*_path(m - k, hashes[k:]), _mth(hashes[:k])]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) between the tree of the first ``old_size`` leaves and the whole list."""
    _check_size(old_size, "旧树大小")
    if old_size == 0:
        raise MerkleInputError("从空树出发的一致性证明没有意义（旧树大小为 0）。", "empty_tree_consistency")
    if old_size > len(leaves):
        raise MerkleInputError(f"旧树大小 {old_size} 大于新树大小 {len(leaves)}。", "size_out_of_range")
    return _subproof(old_size, [leaf_hash(d) for d in leaves], True)


def _subproof(m: int, hashes: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [_mth(hashes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], complete), _mth(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), _mth(hashes[:k])]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -----------------------------------------


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise MerkleInputError(f"{what}应为字节串。", "bad_hash")
    value = bytes(value)
    if len(value) != HASH_SIZE:
        raise MerkleInputError(f"{what}长度应为 {HASH_SIZE} 字节（现为 {len(value)} 字节）。", "bad_hash")
    return value


def _check_proof(proof: object) -> list[bytes]:
    if proof is None:
        return []
    if not isinstance(proof, list | tuple):
        raise MerkleInputError("证明应为哈希值的列表。", "bad_proof")
    if len(proof) > MAX_PROOF_NODES:
        raise MerkleInputError(
            f"证明过长：{len(proof)} 个哈希值（上限 {MAX_PROOF_NODES}）。", "proof_too_long"
        )
    return [_check_hash(p, f"证明的第 {i + 1} 个哈希值") for i, p in enumerate(proof)]


def root_from_inclusion_proof(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index``; raises if the proof's shape is wrong."""
    _check_size(index, "叶子序号")
    _check_size(tree_size, "树的大小")
    leaf = _check_hash(leaf, "叶子哈希")
    path = _check_proof(proof)
    if index >= tree_size:
        raise MerkleInputError(
            f"叶子序号 {index} 不在大小为 {tree_size} 的树中（序号从 0 开始）。", "index_out_of_range"
        )
    fn, sn, r = index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofMismatch("包含证明的哈希值多于该树所需。", "proof_too_long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofMismatch("包含证明的哈希值少于该树所需。", "proof_too_short")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows leaf ``index`` of a tree of ``tree_size`` leaves is ``leaf_hash``
    under ``root``; otherwise raises ``MerkleError`` saying why."""
    root = _check_hash(root, "根哈希")
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if computed != root:
        raise ProofMismatch("包含证明不成立：计算出的根哈希与检查点的根哈希不一致。", "root_mismatch")
    return True


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """True if ``proof`` shows the tree of ``new_size`` leaves (``new_root``) extends the tree
    of ``old_size`` leaves (``old_root``); otherwise raises ``MerkleError`` saying why."""
    _check_size(old_size, "旧树大小")
    _check_size(new_size, "新树大小")
    if old_size > new_size:
        raise MerkleInputError(f"旧树大小 {old_size} 大于新树大小 {new_size}。", "size_out_of_range")
    if old_size == 0:
        raise MerkleInputError("从空树出发的一致性证明没有意义（旧树大小为 0）。", "empty_tree_consistency")
    if old_size == new_size:
        # As transparency-dev/merkle: equal sizes need an empty proof and identical roots
        # (compared as given; the vectors accept this case whatever the roots' length).
        if proof:
            raise ProofMismatch("两棵树大小相同，一致性证明应为空。", "proof_too_long")
        if not isinstance(old_root, bytes | bytearray) or bytes(old_root) != new_root:
            raise ProofMismatch("两棵树大小相同但根哈希不同：日志出现分叉。", "root_mismatch")
        return True
    old_root = _check_hash(old_root, "旧根哈希")
    new_root = _check_hash(new_root, "新根哈希")
    path = _check_proof(proof)
    if not path:
        raise ProofMismatch("一致性证明为空。", "proof_too_short")
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the proof
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofMismatch("一致性证明的哈希值多于所需。", "proof_too_long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofMismatch("一致性证明的哈希值少于所需。", "proof_too_short")
    if fr != old_root:
        raise ProofMismatch("一致性证明不成立：推出的旧根哈希与旧检查点不一致。", "root_mismatch")
    if sr != new_root:
        raise ProofMismatch("一致性证明不成立：推出的新根哈希与新检查点不一致。", "root_mismatch")
    return True


# --- proofs from a store of perfect-subtree nodes ------------------------------------------

NodeId = tuple[int, int]  # (level, index): the perfect subtree over leaves [index*2^level, (index+1)*2^level)


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees that exactly cover leaves [begin, end), left to right (a compact range)."""
    if begin == 0:
        left, right = 0, end
    else:
        xbegin = begin - 1
        d = (xbegin ^ end).bit_length() - 1
        mask = (1 << d) - 1
        left, right = ~xbegin & mask, end & mask
    ids: list[NodeId] = []
    pos = begin
    while left:
        level = (left & -left).bit_length() - 1
        ids.append((level, pos >> level))
        pos += 1 << level
        left ^= 1 << level
    while right:
        level = right.bit_length() - 1
        ids.append((level, pos >> level))
        pos += 1 << level
        right ^= 1 << level
    return ids


@dataclass(frozen=True)
class ProofPlan:
    """The stored nodes a proof needs, and how to turn their hashes into the proof.

    ``ids[begin:end]`` cover the ragged right border (an "ephemeral" node that no
    store holds because its subtree is incomplete); they are folded into one hash.
    """

    ids: tuple[NodeId, ...]
    begin: int
    end: int

    def rehash(self, hashes: Sequence[bytes]) -> list[bytes]:
        if len(hashes) != len(self.ids):
            raise MerkleInputError("证明所需的节点数量不符。", "bad_proof")
        out: list[bytes] = []
        i = 0
        while i < len(hashes):
            h = hashes[i]
            if self.begin <= i < self.end:
                i += 1
                while i < self.end:
                    h = node_hash(hashes[i], h)
                    i += 1
                i -= 1
            out.append(h)
            i += 1
        return out


def _plan(index: int, level: int, size: int) -> tuple[list[NodeId], int, int]:
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level, fork_index = level + inner, index >> inner
    begin, end = fork_index << fork_level, (fork_index + 1) << fork_level
    ids: list[NodeId] = [(level, index)]
    lvl, idx = level, index
    while lvl < fork_level:
        ids.append((lvl, idx ^ 1))
        lvl, idx = lvl + 1, idx >> 1
    len1 = len(ids)
    ids.extend(reversed(range_nodes(end, size)))
    len2 = len(ids)
    ids.extend(reversed(range_nodes(0, begin)))
    if len1 >= len2:
        len1 = len2 = 0
    return ids, len1, len2


def inclusion_plan(index: int, size: int) -> ProofPlan:
    _check_size(index, "叶子序号")
    _check_size(size, "树的大小")
    if index >= size:
        raise MerkleInputError(
            f"叶子序号 {index} 不在大小为 {size} 的树中（序号从 0 开始）。", "index_out_of_range"
        )
    ids, begin, end = _plan(index, 0, size)
    return _skip_first(ids, begin, end)  # the first id is the leaf itself, which the verifier brings


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    _check_size(old_size, "旧树大小")
    _check_size(new_size, "新树大小")
    if old_size > new_size:
        raise MerkleInputError(f"旧树大小 {old_size} 大于新树大小 {new_size}。", "size_out_of_range")
    if old_size == 0:
        raise MerkleInputError("从空树出发的一致性证明没有意义（旧树大小为 0）。", "empty_tree_consistency")
    if old_size == new_size:
        return ProofPlan((), 0, 0)
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    ids, begin, end = _plan(index, level, new_size)
    if index == 0:  # old_size is a power of two: the verifier already knows that node (the old root)
        return _skip_first(ids, begin, end)
    return ProofPlan(tuple(ids), begin, end)


def _skip_first(ids: list[NodeId], begin: int, end: int) -> ProofPlan:
    if begin < end:
        begin, end = begin - 1, end - 1
    return ProofPlan(tuple(ids[1:]), begin, end)


def root_plan(size: int) -> list[NodeId]:
    """The perfect subtrees whose fold is the root of a tree of ``size`` leaves."""
    _check_size(size, "树的大小")
    return range_nodes(0, size) if size else []


def prove_from_store(
    plan: ProofPlan, fetch: Callable[[Sequence[NodeId]], dict[NodeId, bytes]]
) -> list[bytes]:
    """Fetch a plan's nodes (one batched lookup) and fold them into the proof."""
    if not plan.ids:
        return []
    found = fetch(plan.ids)
    missing = [i for i in plan.ids if i not in found]
    if missing:
        raise MerkleError(f"存储的树缺少节点 {missing[0]}，无法生成证明。", "node_missing")
    return plan.rehash([found[i] for i in plan.ids])


class CompactRange:
    """The right border of a growing tree: the roots of the perfect subtrees that cover
    leaves [0, size), left to right (at most log2(size) hashes). Appending a leaf
    completes zero or more perfect subtrees; ``append`` reports each to ``on_node`` so
    a store can keep it, and the root is a fold of the border (RFC 9162 §2.1.2)."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        _check_size(size, "树的大小")
        if len(hashes) != size.bit_count():
            raise MerkleInputError("紧凑范围的哈希数量与树的大小不符。", "bad_range")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes, on_node: Callable[[int, int, bytes], object] | None = None) -> None:
        index = self.size
        h = leaf
        level = 0
        hashes = self.hashes
        sha256 = hashlib.sha256
        while (index >> level) & 1:
            h = sha256(NODE_PREFIX + hashes.pop() + h).digest()
            level += 1
            if on_node is not None:
                on_node(level, index >> level, h)
        hashes.append(h)
        self.size = index + 1

    def root(self) -> bytes:
        return fold_stack(self.hashes)
