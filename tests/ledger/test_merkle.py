"""RFC 9162 Merkle trees: published vectors, a reference model written from the RFC text, and
properties (every proof verifies; any flipped bit in an entry, a proof or a root fails)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ledger import merkle
from accord.ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryHashes,
    Node,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_nodes,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "rfc6962_proofs.json").read_text())
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves_hex"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]


# --- a reference model, transcribed from RFC 9162 §2.1 as literally as possible ----------------


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True) if 0 < m < len(d) else []


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def tree(d: Sequence[bytes]) -> MemoryHashes:
    return MemoryHashes(leaf_hash(e) for e in d)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --- published vectors -------------------------------------------------------------------------


def test_hasher_vectors() -> None:
    h = VECTORS["hasher"]
    assert EMPTY_ROOT.hex() == h["empty_root"]
    assert leaf_hash(b"").hex() == h["empty_leaf"]
    assert leaf_hash(bytes.fromhex(h["leaf"]["data_hex"])).hex() == h["leaf"]["hash"]
    left, right = bytes.fromhex(h["node"]["left_hex"]), bytes.fromhex(h["node"]["right_hex"])
    assert node_hash(left, right).hex() == h["node"]["hash"]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_reference_leaves(size: int) -> None:
    assert merkle.root(size, tree(LEAVES)) == ROOTS[size - 1]
    assert tree(LEAVES[:size]).frontier.root() == ROOTS[size - 1]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['leaf']}-{c['size']}")
def test_inclusion_vectors(case: dict[str, object]) -> None:
    index, size = int(case["leaf"]) - 1, int(case["size"])  # type: ignore[call-overload]
    want = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    assert inclusion_proof(index, size, tree(LEAVES)) == want
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), want, ROOTS[size - 1])


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['size1']}-{c['size2']}")
def test_consistency_vectors(case: dict[str, object]) -> None:
    m, n = int(case["size1"]), int(case["size2"])  # type: ignore[call-overload]
    want = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    assert consistency_proof(m, n, tree(LEAVES)) == want
    verify_consistency(m, n, want, ROOTS[m - 1], ROOTS[n - 1])


SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.mark.parametrize("case", VECTORS["inclusion"][1:], ids=lambda c: f"{c['leaf']}-{c['size']}")
def test_inclusion_vectors_corrupted(case: dict[str, object]) -> None:
    """The corruptions transparency-dev/merkle applies to its vectors, each must be refused."""
    index, size = int(case["leaf"]) - 1, int(case["size"])  # type: ignore[call-overload]
    proof = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    root, leaf = ROOTS[size - 1], leaf_hash(LEAVES[index])
    probes = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
        (index, size, leaf, proof[:-1], root),
        (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root),
    ]
    probes += [(index, size, leaf, p, root) for p in _each_bit_flipped(proof, 3)]
    for probe in probes:
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(
    "case", VECTORS["consistency"][1:], ids=lambda c: f"{c['size1']}-{c['size2']}"
)
def test_consistency_vectors_corrupted(case: dict[str, object]) -> None:
    m, n = int(case["size1"]), int(case["size2"])  # type: ignore[call-overload]
    proof = [bytes.fromhex(p) for p in case["proof"]]  # type: ignore[attr-defined]
    r1, r2 = ROOTS[m - 1], ROOTS[n - 1]
    probes = [
        (m - 1, n, proof, r1, r2),
        (m + 1, n, proof, r1, r2),
        (m ^ 2, n, proof, r1, r2),
        (m, n * 2, proof, r1, r2),
        (m, n // 2, proof, r1, r2),
        (m, n, proof, b"WrongRoot", r2),
        (m, n, proof, r1, b"WrongRoot"),
        (m, n, proof, r2, r1),
        (m, n, [], r1, r2),
        (m, n, [*proof, b""], r1, r2),
        (m, n, [*proof, r1], r1, r2),
        (m, n, [*proof, r2], r1, r2),
        (m, n, [b"", *proof], r1, r2),
        (m, n, [r1, *proof], r1, r2),
        (m, n, [r2, *proof], r1, r2),
        (m, n, [proof[0], *proof], r1, r2),
        (m, n, proof[:-1], r1, r2),
    ]
    probes += [(m, n, p, r1, r2) for p in _each_bit_flipped(proof, 4)]
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)


def _each_bit_flipped(proof: list[bytes], bit: int) -> list[list[bytes]]:
    return [[flip(p, bit) if j == i else p for j, p in enumerate(proof)] for i in range(len(proof))]


@pytest.mark.parametrize(
    ("m", "n", "r1", "r2", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, SOME_HASH, [], True),
        (1, 1, SOME_HASH, SOME_HASH, [], True),
        (1, 1, EMPTY_ROOT, SOME_HASH, [], False),
        (1, 0, SOME_HASH, SOME_HASH, [], False),
        (2, 1, SOME_HASH, SOME_HASH, [], False),
        (1, 2, SOME_HASH, SOME_HASH, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_consistency_edge_cases(
    m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes], ok: bool
) -> None:
    if ok:
        verify_consistency(m, n, proof, r1, r2)
    else:
        with pytest.raises(ProofError):
            verify_consistency(m, n, proof, r1, r2)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 5)])
def test_inclusion_outside_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(index, size, SOME_HASH, [], SOME_HASH)
    with pytest.raises(ProofError):
        inclusion_proof(index, size, tree(entries(max(size, 0))))


def test_single_entry_tree() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(0, 1, h, [], h)
    for leaf, root in [(h, b""), (b"", h), (b"", b"")]:
        with pytest.raises(ProofError):
            verify_inclusion(0, 1, leaf, [], root)


# --- properties against the reference model ------------------------------------------------------

sizes = st.integers(min_value=1, max_value=600)


@given(sizes)
def test_frontier_and_store_agree_with_mth(n: int) -> None:
    d = entries(n)
    store = tree(d)
    assert store.frontier.root() == ref_mth(d)
    assert merkle.root(n, store) == ref_mth(d)
    for m in {1, n // 2 or 1, n - 1 or 1}:
        assert merkle.root(m, store) == ref_mth(d[:m])


@given(st.data())
def test_inclusion_proofs_match_rfc_and_verify(data: st.DataObject) -> None:
    n = data.draw(sizes)
    m = data.draw(st.integers(0, n - 1))
    d = entries(n)
    proof = inclusion_proof(m, n, tree(d))
    assert proof == ref_path(m, d)
    verify_inclusion(m, n, leaf_hash(d[m]), proof, ref_mth(d))


@given(st.data())
def test_consistency_proofs_match_rfc_and_verify(data: st.DataObject) -> None:
    n = data.draw(sizes)
    m = data.draw(st.integers(0, n))
    d = entries(n)
    proof = consistency_proof(m, n, tree(d))
    assert proof == ref_proof(m, d)
    verify_consistency(m, n, proof, ref_mth(d[:m]), ref_mth(d))


@settings(max_examples=200)
@given(st.data())
def test_any_flipped_bit_fails_inclusion(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 300))
    m = data.draw(st.integers(0, n - 1))
    d = entries(n)
    store = tree(d)
    proof, root = inclusion_proof(m, n, store), merkle.root(n, store)
    target = data.draw(st.sampled_from(["entry", "root", "proof"] if proof else ["entry", "root"]))
    if target == "entry":
        entry = flip(d[m], data.draw(st.integers(0, len(d[m]) * 8 - 1)))
        args = (m, n, leaf_hash(entry), proof, root)
    elif target == "root":
        args = (m, n, leaf_hash(d[m]), proof, flip(root, data.draw(st.integers(0, 255))))
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [
            flip(p, data.draw(st.integers(0, 255))) if j == i else p for j, p in enumerate(proof)
        ]
        args = (m, n, leaf_hash(d[m]), bad, root)
    with pytest.raises(ProofError):
        verify_inclusion(*args)


@settings(max_examples=200)
@given(st.data())
def test_any_flipped_bit_fails_consistency(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 300))
    m = data.draw(st.integers(1, n - 1))
    d = entries(n)
    store = tree(d)
    proof = consistency_proof(m, n, store)
    r1, r2 = merkle.root(m, store), merkle.root(n, store)
    target = data.draw(st.sampled_from(["entry", "old root", "new root", "proof"]))
    if target == "entry":
        # Change one bit of one entry of the new tree: its root no longer extends the old one.
        i = data.draw(st.integers(0, n - 1))
        changed = list(d)
        changed[i] = flip(d[i], data.draw(st.integers(0, len(d[i]) * 8 - 1)))
        if i < m:
            r1 = ref_mth(changed[:m])
        else:
            r2 = ref_mth(changed)
    elif target == "old root":
        r1 = flip(r1, data.draw(st.integers(0, 255)))
    elif target == "new root":
        r2 = flip(r2, data.draw(st.integers(0, 255)))
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof = [
            flip(p, data.draw(st.integers(0, 255))) if j == i else p for j, p in enumerate(proof)
        ]
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, r1, r2)


@given(st.data())
def test_no_other_tree_gives_a_verifying_consistency_proof(data: st.DataObject) -> None:
    """STYLE §9: no tree of any size proves consistency with a root it does not extend."""
    n = data.draw(st.integers(2, 200))
    m = data.draw(st.integers(1, n - 1))
    d = entries(n)
    other = [b"other " + e for e in d]
    proof = consistency_proof(m, n, tree(other))
    with pytest.raises(ProofError):
        verify_consistency(m, n, proof, ref_mth(d[:m]), ref_mth(other))


@given(st.integers(0, 1 << 40), st.integers(0, 1 << 40))
def test_range_nodes_tile_the_range(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    at = start
    for level, index in range_nodes(start, end):
        assert index << level == at
        at += 1 << level
    assert at == end


@given(st.integers(1, 1 << 40), st.data())
def test_proof_sizes_are_logarithmic(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(0, n - 1))
    height = (n - 1).bit_length()
    assert len(merkle.inclusion_ranges(m, n)) <= height
    assert len(merkle.consistency_ranges(m, n)) <= height + 1


@given(st.integers(0, 700))
def test_frontier_reports_every_completed_node_once(n: int) -> None:
    frontier = Frontier()
    reference = tree(entries(n))
    for i, e in enumerate(entries(n)):
        completed = frontier.append(leaf_hash(e))
        levels = len(completed) // 32
        assert levels == (i ^ (i + 1)).bit_length() - 1  # the trailing one bits of i
        for level in range(1, levels + 1):
            node = Node(level, i >> level)
            assert completed[32 * (level - 1) : 32 * level] == reference.node_hashes([node])[0]
    assert Frontier.load(n, reference).hashes == frontier.hashes


def test_frontier_rejects_wrong_hash_count() -> None:
    with pytest.raises(ValueError, match="frontier hashes"):
        Frontier(3, [SOME_HASH])


def test_root_from_inclusion_proof_rejects_short_hashes() -> None:
    with pytest.raises(ProofError):
        root_from_inclusion_proof(0, 2, SOME_HASH, [b"short"])
