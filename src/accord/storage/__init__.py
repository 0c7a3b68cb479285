"""Storage: a content-addressed blob store (local directory or S3), streaming ingest, byte access.

Blobs are named by the SHA-256 of their bytes; identical content is stored once. Ingest writes
to a temporary name, fsyncs, verifies the declared size and digest, then renames into place.
"""
