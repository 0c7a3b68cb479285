"""RFC 9162 (formerly RFC 6962) Merkle tree hashing, proofs and their verification.

Pure values in, values out: no session, no clock, no I/O (STYLE.md §1). The service layer reads
the persisted hashes a proof needs through a :class:`HashSource`.

Vocabulary. ``D[a:b]`` is the list of entries ``a`` to ``b - 1`` and ``MTH(D[a:b])`` its Merkle
Tree Hash (RFC 9162 §2.1.1). A *node* ``(level, n)`` is the complete (perfect) subtree over
``D[n * 2**level : (n + 1) * 2**level]``; level 0 nodes are leaf hashes. Every hash a
proof or a root needs is the MTH of a range that splits into at most ``log2(n)`` such nodes, so a
store that keeps every complete node answers any proof with O(log n) lookups and no rehashing of
entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = _sha256(b"\x00")


class ProofError(ValueError):
    """A proof, root or size failed verification, or a proof was asked of an impossible tree."""


class Node(NamedTuple):
    """The complete subtree over ``D[n * 2**level : (n + 1) * 2**level]``."""

    level: int
    n: int


class HashSource(Protocol):
    """Where persisted node hashes come from (a database table, a tile cache, memory)."""

    def node_hashes(self, nodes: Sequence[Node]) -> Sequence[bytes]:
        """The hash of each node, in order; every node lies inside a tree already stored."""
        ...


# --- hashing (RFC 9162 §2.1.1) -------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    h = _LEAF_PREFIX.copy()
    h.update(entry)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162 §2.1.1: the largest power of two smaller than ``n`` (n > 1)."""
    if n < 2:
        raise ValueError(f"no power of two is smaller than {n} and at least 1")
    return 1 << ((n - 1).bit_length() - 1)


# --- which nodes make up a range -------------------------------------------------------------


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that tile ``D[start:end]``, left to right, largest possible each.

    For the ranges RFC 9162 proofs use (``start`` a multiple of a power of two at least as large
    as ``end - start``), MTH(D[start:end]) is these nodes' hashes folded from the right.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of a range's nodes (see :func:`range_nodes`) into the range's MTH."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf side first."""
    _check_index(index, size)
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs form PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    _check_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, complete = 0, new_size, True
    while hi != old_size:
        k = largest_power_of_two_below(hi - lo)
        if old_size - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            complete = False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


# --- proofs from persisted hashes --------------------------------------------------------------


def root(size: int, hashes: HashSource) -> bytes:
    """MTH(D[0:size])."""
    return _range_hashes([(0, size)], hashes)[0]


def inclusion_proof(index: int, size: int, hashes: HashSource) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]) for leaf ``index`` of a tree of ``size``."""
    return _range_hashes(inclusion_ranges(index, size), hashes)


def consistency_proof(old_size: int, new_size: int, hashes: HashSource) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old_size, D[new_size])."""
    return _range_hashes(consistency_ranges(old_size, new_size), hashes)


def inclusion_proof_and_root(
    index: int, size: int, hashes: HashSource
) -> tuple[list[bytes], bytes]:
    """PATH(index, D[size]) and MTH(D[size]), from one lookup of stored hashes."""
    *proof, root_hash = _range_hashes([*inclusion_ranges(index, size), (0, size)], hashes)
    return proof, root_hash


def consistency_proof_and_roots(
    old_size: int, new_size: int, hashes: HashSource
) -> tuple[list[bytes], bytes, bytes]:
    """PROOF(old_size, D[new_size]) and both trees' roots, from one lookup of stored hashes."""
    ranges = [*consistency_ranges(old_size, new_size), (0, old_size), (0, new_size)]
    *proof, old_root, new_root = _range_hashes(ranges, hashes)
    return proof, old_root, new_root


def _range_hashes(ranges: Sequence[tuple[int, int]], hashes: HashSource) -> list[bytes]:
    """One batched lookup for all the nodes of all the ranges, then one fold per range."""
    per_range = [range_nodes(a, b) for a, b in ranges]
    wanted = sorted({node for nodes in per_range for node in nodes})
    found = dict(zip(wanted, hashes.node_hashes(wanted), strict=True))
    return [fold_right([found[node] for node in nodes]) for nodes in per_range]


# --- verification (fail closed: raise on failure, return None on success) ----------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """RFC 9162 §2.1.3.2: check that ``leaf`` is leaf ``index`` of the tree ``root_hash``."""
    if root_from_inclusion_proof(index, size, leaf, proof) != _checked(root_hash, "root hash"):
        raise ProofError(f"inclusion proof for entry {index} does not lead to the root of {size}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Steps 1-4 of RFC 9162 §2.1.3.2: the root the proof implies (check it yourself)."""
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of {size} entries")
    fn, sn = index, size - 1
    r = _checked(leaf, "leaf hash")
    for p in proof:
        p = _checked(p, "proof hash")
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is high")
    return r


def verify_consistency(
    old_size: int,
    new_size: int,
    proof: Sequence[bytes],
    old_root: bytes,
    new_root: bytes,
) -> None:
    """RFC 9162 §2.1.4.2: check that tree ``new_root`` extends tree ``old_root``."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {old_size} entries cannot precede one of {new_size}")
    old_root, new_root = _checked(old_root, "old root"), _checked(new_root, "new root")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError(f"proof from {old_size} to {new_size} entries must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two different roots for the same size {old_size}")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = [_checked(p, "proof hash") for p in proof]
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is high")
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the old root of {old_size}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the new root of {new_size}")


# --- the compact range: appending leaves -------------------------------------------------------


class Frontier:
    """The right edge of a tree: the hashes of the complete subtrees that tile ``D[0:size]``.

    Appending a leaf returns the hashes of the nodes it completes, exactly what to persist with
    it; the root is available at any size without touching storage. This is the "compact range"
    ``[0, size)`` of transparency-dev/merkle, kept as a plain list, largest subtree first.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} entries has {size.bit_count()} frontier hashes")
        self.size = size
        self.hashes = list(hashes)

    @classmethod
    def load(cls, size: int, hashes: HashSource) -> Frontier:
        nodes = range_nodes(0, size)
        return cls(size, list(hashes.node_hashes(nodes)) if nodes else [])

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)

    def append(self, leaf: bytes) -> bytes:
        """Add the leaf hash of entry ``size``; return the hashes of the interior nodes this
        completes, level 1 upwards, concatenated: node ``(k, size >> k)`` at bytes
        ``32(k-1):32k``. That is the ``nodes`` column of the entry's row."""
        return self.extend([leaf])[0]

    def extend(self, leaves: Iterable[bytes]) -> list[bytes]:
        """:meth:`append` each leaf in turn; one loop with local names, for bulk work."""
        stack, index, sha256 = self.hashes, self.size, _sha256
        out = []
        for h in leaves:
            i, completed = index, b""
            while i & 1:
                h = sha256(b"\x01" + stack.pop() + h).digest()
                completed += h
                i >>= 1
            stack.append(h)
            out.append(completed)
            index += 1
        self.size = index
        return out

    def root(self) -> bytes:
        return fold_right(self.hashes)


class MemoryHashes:
    """A :class:`HashSource` that keeps every complete node in memory, level by level."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.frontier = Frontier()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, leaf: bytes) -> None:
        index = self.frontier.size
        completed = self.frontier.append(leaf)
        hashes = [leaf] + [
            completed[i : i + HASH_SIZE] for i in range(0, len(completed), HASH_SIZE)
        ]
        for level, h in enumerate(hashes):
            if level == len(self.levels):
                self.levels.append([])
            assert index >> level == len(self.levels[level])
            self.levels[level].append(h)

    def node_hashes(self, nodes: Sequence[Node]) -> list[bytes]:
        try:
            return [self.levels[level][index] for level, index in nodes]
        except IndexError:
            raise ProofError("a node outside the stored tree was asked for") from None


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(f"entry {index} is not in a tree of {size} entries")


def _check_sizes(old_size: int, new_size: int) -> None:
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {old_size} entries cannot precede one of {new_size}")


def _checked(h: bytes, what: str) -> bytes:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what} has {len(h)} bytes, not {HASH_SIZE}")
    return bytes(h)
