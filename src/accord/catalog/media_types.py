"""Media types of dataset files: what the steward declared, else a guess from the file name.

The guess uses the standard ``mimetypes`` tables plus the research data formats they lack
(Apache Parquet was registered as ``application/vnd.apache.parquet`` in 2024).
"""

from __future__ import annotations

import mimetypes
import re

DEFAULT_MEDIA_TYPE = "application/octet-stream"
_EXTRA = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".ndjson": "application/x-ndjson",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".md": "text/markdown",
    ".vcf": "text/plain",
    ".fastq": "text/plain",
    ".gz": "application/gzip",
    ".zst": "application/zstd",
    ".h5": "application/x-hdf5",
    ".nc": "application/x-netcdf",
    ".feather": "application/vnd.apache.arrow.file",
    ".arrow": "application/vnd.apache.arrow.file",
}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def guess_media_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in _EXTRA:
        return _EXTRA[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or DEFAULT_MEDIA_TYPE


def is_media_type(value: str) -> bool:
    """``type/subtype`` in lower case (RFC 6838 §4.2), without parameters."""
    return _MEDIA_TYPE.match(value) is not None
