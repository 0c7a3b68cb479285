"""The DUO terms whose meaning the engine implements (GA4GH DUO, release 2021-02-23).

Ids are the ontology's CURIEs; the shorthand in the comment is DUO's own ``oboInOwl:shorthand``.
"""

from __future__ import annotations

from enum import StrEnum


class Duo(StrEnum):
    # data use permissions (the primary category)
    PERMISSION = "DUO:0000001"
    NRES = "DUO:0000004"
    GRU = "DUO:0000042"
    HMB = "DUO:0000006"
    DS = "DUO:0000007"
    POA = "DUO:0000011"
    # data use modifiers
    MODIFIER = "DUO:0000017"
    RS = "DUO:0000012"
    NMDS = "DUO:0000015"
    GSO = "DUO:0000016"
    NPUNCU = "DUO:0000018"
    PUB = "DUO:0000019"
    COL = "DUO:0000020"
    IRB = "DUO:0000021"
    GS = "DUO:0000022"
    MOR = "DUO:0000024"
    TS = "DUO:0000025"
    US = "DUO:0000026"
    PS = "DUO:0000027"
    IS = "DUO:0000028"
    RTN = "DUO:0000029"
    CC = "DUO:0000043"
    NPOA = "DUO:0000044"
    NPU = "DUO:0000045"
    NCU = "DUO:0000046"
    # research types (kinds of investigation a purpose may name)
    METHOD_DEVELOPMENT = "DUO:0000031"
    POPULATION_RESEARCH = "DUO:0000032"
    ANCESTRY_RESEARCH = "DUO:0000033"
    GENETIC_RESEARCH = "DUO:0000038"


INVESTIGATION = "OBI:0000066"
"""OBI 'investigation': the parent of DUO's research-type terms."""

DISEASE_ROOT = "MONDO:0000001"
