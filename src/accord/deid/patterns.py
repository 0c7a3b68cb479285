"""Pattern rules for direct identifiers: what a value or a column name looks like.

Each rule is a regular expression, plus a check digit where the identifier has one, so that
ordinary numbers are not taken for national ids: Luhn (ISO/IEC 7812-1 Annex B) for payment
cards and South African ids, ISO 7064 MOD 97-10 for IBANs (ISO 13616-1), the two CPF check
digits (Receita Federal), the EAN-13 check digit of Swiss AHV numbers (756.xxxx.xxxx.xx), and
Verhoeff for Indian Aadhaar numbers (UIDAI).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds; every kind but ``QUASI_IDENTIFIER`` is a direct identifier."""

    PERSON_NAME = "person-name"
    EMAIL = "email"
    PHONE = "phone"
    NATIONAL_ID = "national-id"
    PAYMENT_CARD = "payment-card"
    IBAN = "iban"
    IP_ADDRESS = "ip-address"
    ADDRESS = "address"
    RECORD_KEY = "record-key"
    QUASI_IDENTIFIER = "quasi-identifier"


@dataclass(frozen=True)
class ValueRule:
    kind: Kind
    name: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None

    def matches(self, value: str) -> bool:
        if not self.pattern.fullmatch(value):
            return False
        return self.check is None or self.check(value)


def luhn_ok(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return len(digits) > 1 and total % 10 == 0


def iban_ok(value: str) -> bool:
    text = value.replace(" ", "").upper()
    moved = text[4:] + text[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def cpf_ok(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if check != digits[size]:
            return False
    return True


def ean13_ok(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 13:
        return False
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff_ok(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    check = 0
    for index, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[index % 8][digit]]
    return len(digits) > 1 and check == 0


def _ssn_ok(value: str) -> bool:
    area, group, serial = value.split("-")
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


_LETTER = r"[^\W\d_]"
VALUE_RULES: tuple[ValueRule, ...] = (
    ValueRule(
        Kind.EMAIL,
        "e-mail address",
        re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    ),
    ValueRule(
        Kind.PHONE,
        "international phone number",
        re.compile(r"(\+|00)[1-9][0-9 ().-]{6,18}[0-9]"),
        lambda v: 8 <= sum(c.isdigit() for c in v) <= 15,
    ),
    ValueRule(
        Kind.PHONE,
        "phone number with separators",
        re.compile(r"\(?0[0-9]{1,4}\)?[ .-][0-9]{2,4}[ .-]?[0-9]{2,4}([ .-][0-9]{2,4})?"),
        lambda v: 9 <= sum(c.isdigit() for c in v) <= 12,
    ),
    ValueRule(
        Kind.NATIONAL_ID, "US social security number", re.compile(r"\d{3}-\d{2}-\d{4}"), _ssn_ok
    ),
    ValueRule(
        Kind.NATIONAL_ID,
        "UK national insurance number",
        re.compile(
            r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
            r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
        ),
    ),
    ValueRule(
        Kind.NATIONAL_ID, "Brazilian CPF", re.compile(r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}"), cpf_ok
    ),
    ValueRule(
        Kind.NATIONAL_ID, "Swiss AHV number", re.compile(r"756\.?\d{4}\.?\d{4}\.?\d{2}"), ean13_ok
    ),
    ValueRule(
        Kind.NATIONAL_ID,
        "Indian Aadhaar number",
        re.compile(r"[2-9]\d{3} ?\d{4} ?\d{4}"),
        verhoeff_ok,
    ),
    ValueRule(Kind.NATIONAL_ID, "South African id number", re.compile(r"\d{13}"), luhn_ok),
    ValueRule(
        Kind.PAYMENT_CARD,
        "payment card number",
        re.compile(r"\d{4}([ -]?\d{4}){2}[ -]?\d{1,7}"),
        luhn_ok,
    ),
    ValueRule(
        Kind.IBAN,
        "IBAN",
        re.compile(r"[A-Z]{2}\d{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,3})?"),
        iban_ok,
    ),
    ValueRule(
        Kind.IP_ADDRESS,
        "IPv4 address",
        re.compile(r"((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)"),
    ),
    ValueRule(
        Kind.PERSON_NAME,
        "personal name (two to four capitalised words)",
        re.compile(
            rf"[A-Z]{_LETTER}+([-'’]{_LETTER}+)?(,? [A-Z]{_LETTER}*\.?([-'’]{_LETTER}+)?){{1,3}}"
        ),
    ),
)


@dataclass(frozen=True)
class NameRule:
    kind: Kind
    name: str
    pattern: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    """Any of the words inside a normalised column name (``home_phone_2`` has ``phone``)."""
    return re.compile(rf"(^|_)({'|'.join(alternatives)})(_|$)")


def _whole(*alternatives: str) -> re.Pattern[str]:
    """The whole name, with an optional person prefix (``mother_surname``)."""
    people = "patient|participant|respondent|mother|father|child|contact|subject|next_of_kin"
    return re.compile(rf"^(({people})_)?({'|'.join(alternatives)})$")


NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        Kind.EMAIL, "named like an e-mail address", _words("e?mail", "e_mail", "email_address")
    ),
    NameRule(
        Kind.PHONE,
        "named like a phone number",
        _words("phone", "telephone", "tel", "mobile", "cell", "fax", "msisdn"),
    ),
    NameRule(
        Kind.NATIONAL_ID,
        "named like a national id",
        _words(
            "ssn",
            "nin",
            "nino",
            "national_id",
            "nid",
            "passport",
            "passport_no",
            "cpf",
            "ahv",
            "avs",
            "aadhaar",
            "nhs_number",
            "nhs_no",
            "id_number",
            "id_card",
            "tax_id",
            "tin",
            "social_security",
        ),
    ),
    NameRule(
        Kind.PERSON_NAME,
        "named like a personal name",
        _whole(
            "name",
            "full_name",
            "first_name",
            "firstname",
            "last_name",
            "lastname",
            "surname",
            "given_name",
            "family_name",
            "forename",
            "patient_name",
            "nom",
            "prenom",
            "nome",
            "sobrenome",
            "nombre",
            "apellido",
        ),
    ),
    NameRule(
        Kind.ADDRESS,
        "named like an address",
        _words("address", "street", "street_address", "addr", "address_line_?\\d?", "domicile"),
    ),
    NameRule(Kind.IP_ADDRESS, "named like an IP address", _words("ip", "ip_address", "ipv4")),
    NameRule(
        Kind.PAYMENT_CARD, "named like a card number", _words("card_number", "credit_card", "pan")
    ),
    NameRule(
        Kind.IBAN, "named like a bank account", _words("iban", "account_number", "bank_account")
    ),
    NameRule(
        Kind.RECORD_KEY,
        "named like a person or record key",
        _words(
            "patient_id",
            "person_id",
            "participant_id",
            "subject_id",
            "record_id",
            "case_id",
            "mrn",
            "medical_record_number",
            "hospital_number",
            "customer_id",
            "member_id",
        ),
    ),
    NameRule(
        Kind.QUASI_IDENTIFIER,
        "named like a quasi-identifier",
        _words(
            "age",
            "dob",
            "date_of_birth",
            "birth_date",
            "birthdate",
            "birth_year",
            "sex",
            "gender",
            "zip",
            "zipcode",
            "postcode",
            "postal_code",
            "plz",
            "cep",
            "region",
            "district",
            "county",
            "city",
            "ethnicity",
            "race",
            "occupation",
            "marital_status",
        ),
    ),
)


KEY_NAME = _words("id", "no", "nr", "num", "number", "mrn", "code", "key", "uid", "identifier")
"""Names under which a column of unique plain numbers is taken for a record key."""


def normalise_name(column: str) -> str:
    """``Patient E-Mail`` → ``patient_e_mail``: lower case, runs of non-letters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")
