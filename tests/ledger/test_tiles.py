"""C2SP tlog-tiles: path encoding, which tiles a tree has, and tile and bundle bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.ledger import merkle
from accord.ledger.tiles import (
    ENTRIES,
    TILE_WIDTH,
    Tile,
    TileError,
    decode_bundle,
    decode_hashes,
    encode_bundle,
    encode_hashes,
    encode_index,
    parse_tile_path,
    tile_at,
    tiles_for_size,
)

V = json.loads((Path(__file__).parents[1] / "vectors" / "tlog_tiles.json").read_text())


@pytest.mark.parametrize("case", V["index_paths"], ids=lambda c: str(c["index"]))
def test_index_encoding(case: dict[str, object]) -> None:
    assert encode_index(case["index"]) == case["path"]  # type: ignore[arg-type]


@pytest.mark.parametrize("case", V["tiles_for_size"], ids=lambda c: str(c["size"]))
def test_tiles_for_size_match_spec(case: dict[str, object]) -> None:
    size = int(case["size"])  # type: ignore[call-overload]
    for level_text, want in case["tiles"].items():  # type: ignore[attr-defined]
        tiles = list(tiles_for_size(size, int(level_text)))
        assert sum(t.is_full for t in tiles) == want["full"]
        partial = [t.width for t in tiles if not t.is_full]
        assert partial == ([want["partial"]] if want["partial"] else [])
    assert not list(tiles_for_size(size, len(case["tiles"])))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(3, 5, 2), "tile/3/005.p/2"),
        (Tile(ENTRIES, 1000, 255), "tile/entries/x001/000.p/255"),
        (Tile(63, 0), "tile/63/000"),
    ],
)
def test_paths_round_trip(tile: Tile, path: str) -> None:
    assert tile.path() == path
    assert parse_tile_path(path) == tile
    assert parse_tile_path("/" + path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1234067",
        "tile/0/x000/067",
        "tile/0/x1/067",
        "tile/00/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/07",
        "tile/data/000",
        "tile/0/001/002",
        "tiles/0/000",
        "tile/0/000.p/",
    ],
)
def test_non_canonical_or_invalid_paths_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


@given(st.integers(0, 10**15), st.integers(0, 63), st.integers(1, TILE_WIDTH))
def test_any_tile_path_round_trips(index: int, level: int, width: int) -> None:
    tile = Tile(level, index, width)
    assert parse_tile_path(tile.path()) == tile


def test_tile_hashes_are_the_tree_nodes() -> None:
    """A level-1 tile holds the MTH of each full level-0 tile (tree level 8)."""
    store = merkle.MemoryHashes(merkle.leaf_hash(b"%d" % i) for i in range(70_000))
    level1 = tile_at(70_000, 1, 0)
    assert level1 is not None
    assert level1.is_full
    first_leaf_tile = Tile(0, 0)
    leaf_hashes = store.node_hashes(first_leaf_tile.nodes())
    assert store.node_hashes(level1.nodes())[0] == _mth_of(leaf_hashes)
    assert tile_at(70_000, 1, 1) == Tile(1, 1, 17)
    assert tile_at(70_000, 2, 0) == Tile(2, 0, 1)
    assert tile_at(70_000, 2, 1) is None
    assert Tile(1, 1, 17).first_entry() == 65_536


def _mth_of(leaf_hashes: list[bytes]) -> bytes:
    frontier = merkle.Frontier()
    for h in leaf_hashes:
        frontier.append(h)
    return frontier.root()


def test_hash_bodies() -> None:
    hashes = [bytes([i]) * 32 for i in range(3)]
    tile = Tile(0, 0, 3)
    assert decode_hashes(encode_hashes(hashes), tile) == hashes
    with pytest.raises(TileError):
        decode_hashes(encode_hashes(hashes)[:-1], tile)
    with pytest.raises(TileError):
        encode_hashes([b"short"])


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=TILE_WIDTH))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    tile = Tile(ENTRIES, 0, len(entries))
    body = encode_bundle(entries)
    assert decode_bundle(body, tile) == entries
    assert body[:2] == len(entries[0]).to_bytes(2, "big")


def test_bad_bundles() -> None:
    tile = Tile(ENTRIES, 0, 1)
    with pytest.raises(TileError):
        decode_bundle(b"\x00\x05abc", tile)
    with pytest.raises(TileError):
        decode_bundle(b"\x00", tile)
    with pytest.raises(TileError):
        decode_bundle(encode_bundle([b"a", b"b"]), tile)
    with pytest.raises(TileError):
        encode_bundle([b"x" * 0x10000])
