"""The standards a node speaks about its datasets.

DataCite (XML and JSON), schema.org ``Dataset`` JSON-LD, DCAT-AP 3, W3C PROV-O and RO-Crate 1.1
exports of published versions; content negotiation and Signposting on dataset URLs; formatted
and machine-readable citations; imports that turn DataCite or RO-Crate documents into drafts;
and an OAI-PMH 2.0 endpoint for harvesters.
"""
