"""De-identification: scans, specs, Mondrian k-anonymity and l-diversity, keyed pseudonyms,
and derived dataset versions with their reports and provenance."""
