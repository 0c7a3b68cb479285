"""Catalog: datasets, versions, files, metadata (DataCite 4.x), search, manifests and downloads."""
