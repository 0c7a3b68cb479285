"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static, cacheable tiles.

A tile at level ``L``, index ``N`` holds up to 256 consecutive hashes of tree level ``8 * L``
(tile height 8): the nodes ``(8L, 256N + i)``. Level 0 tiles hold leaf hashes; entry bundles
``tile/entries/N`` hold the entries themselves, each as a big-endian uint16 length and the
bytes. A tile whose 256 hashes are not all there yet is *partial* and has a ``.p/<width>``
suffix.

Paths are relative to the log's prefix: ``tile/<L>/<N>[.p/<W>]`` with ``N`` written in
zero-padded three-digit groups, all but the last prefixed by ``x`` (1234067 → ``x001/x234/067``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from accord.ledger.merkle import HASH_SIZE, Node

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
"""An entry bundle prefixes each entry with a uint16 length."""

ENTRIES: Literal["entries"] = "entries"

_INDEX = re.compile(r"^(?:x\d{3}/)*\d{3}$")


class TileError(ValueError):
    """A tile path or a tile body is malformed."""


@dataclass(frozen=True)
class Tile:
    """A hash tile (``level`` 0 to 63) or an entry bundle (``level == "entries"``)."""

    level: int | Literal["entries"]
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level != ENTRIES and not (
            isinstance(self.level, int) and 0 <= self.level <= MAX_LEVEL
        ):
            raise TileError(f"tile level must be 0 to {MAX_LEVEL} or 'entries'")
        if self.index < 0:
            raise TileError("tile index is negative")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TileError(f"tile width must be 1 to {TILE_WIDTH}")

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def tree_level(self) -> int:
        """The Merkle tree level of the hashes in this tile (entries bundle: 0)."""
        return 0 if self.level == ENTRIES else TILE_HEIGHT * self.level

    def path(self) -> str:
        suffix = "" if self.is_full else f".p/{self.width}"
        return f"tile/{self.level}/{encode_index(self.index)}{suffix}"

    def nodes(self) -> list[Node]:
        """The tree nodes whose hashes this tile holds (for a bundle: whose leaves it holds)."""
        first = self.index * TILE_WIDTH
        return [Node(self.tree_level, first + i) for i in range(self.width)]

    def first_entry(self) -> int:
        """The first entry index the tile spans (its start index)."""
        return self.index << (self.tree_level + TILE_HEIGHT)


def encode_index(n: int) -> str:
    """1234067 → ``x001/x234/067``."""
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> Tile:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (leading slash allowed).

    Only the canonical spelling is accepted, so each tile has exactly one URL.
    """
    rest = path.removeprefix("/")
    if not rest.startswith("tile/"):
        raise TileError(f"not a tile path: {path!r}")
    level_text, _, rest = rest[len("tile/") :].partition("/")
    index_text, dot_p, width_text = rest.partition(".p/")
    if not _INDEX.match(index_text):
        raise TileError(f"bad tile index in {path!r}")
    width = _decimal(width_text, "tile width") if dot_p else TILE_WIDTH
    if dot_p and width >= TILE_WIDTH:
        raise TileError("a partial tile holds fewer than 256 hashes")
    level: int | Literal["entries"] = (
        ENTRIES if level_text == ENTRIES else _decimal(level_text, "tile level")
    )
    tile = Tile(level, int(index_text.replace("x", "").replace("/", "")), width)
    if tile.path() != path.removeprefix("/"):
        raise TileError(f"tile path {path!r} is not in canonical form")
    return tile


def tiles_for_size(size: int, level: int | Literal["entries"]) -> Iterator[Tile]:
    """Every tile (full ones, then the partial one if any) of a level for a tree of ``size``."""
    tree_level = 0 if level == ENTRIES else TILE_HEIGHT * level
    count = size >> tree_level
    for index in range(count // TILE_WIDTH):
        yield Tile(level, index)
    if count % TILE_WIDTH:
        yield Tile(level, count // TILE_WIDTH, count % TILE_WIDTH)


def tile_at(size: int, level: int | Literal["entries"], index: int) -> Tile | None:
    """The widest tile ``(level, index)`` a tree of ``size`` has, or None if it has none."""
    tree_level = 0 if level == ENTRIES else TILE_HEIGHT * level
    width = min(TILE_WIDTH, (size >> tree_level) - index * TILE_WIDTH)
    return Tile(level, index, width) if width > 0 else None


def encode_hashes(hashes: Sequence[bytes]) -> bytes:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise TileError(f"tile hashes must be {HASH_SIZE} bytes each")
    return b"".join(hashes)


def decode_hashes(body: bytes, tile: Tile) -> list[bytes]:
    if len(body) != tile.width * HASH_SIZE:
        raise TileError(f"tile {tile.path()} has {len(body)} bytes, not {tile.width * HASH_SIZE}")
    return [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileError(f"entry of {len(entry)} bytes does not fit an entry bundle")
        out += len(entry).to_bytes(2, "big")
        out += entry
    return bytes(out)


def decode_bundle(body: bytes, tile: Tile) -> list[bytes]:
    entries: list[bytes] = []
    at = 0
    while at < len(body):
        if at + 2 > len(body):
            raise TileError(f"entry bundle {tile.path()} ends inside a length prefix")
        n = int.from_bytes(body[at : at + 2], "big")
        if at + 2 + n > len(body):
            raise TileError(f"entry bundle {tile.path()} ends inside an entry")
        entries.append(body[at + 2 : at + 2 + n])
        at += 2 + n
    if len(entries) != tile.width:
        raise TileError(
            f"entry bundle {tile.path()} holds {len(entries)} entries, not {tile.width}"
        )
    return entries


def _decimal(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")):
        raise TileError(f"{what} {text!r} is not a plain decimal number")
    return int(text)
