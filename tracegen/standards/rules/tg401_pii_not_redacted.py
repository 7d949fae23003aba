"""TG401 privacy.pii-not-redacted (error)

Spans leave the service for the collector and then a vendor, are kept for weeks and are read by
far more people than the database they came from. An attribute that carries personal data
(e-mail, phone, names, addresses, client IPs, card numbers, dates of birth) or a credential
(password, token, secret) must be listed in `standards.pii`, so the collector deletes, hashes or
masks it before it leaves the cluster.

Bad:

    services:
      api:
        version: 1.0.0
        language: go
        span_attributes: [user.email]

Good:

    standards:
      pii:
        - {key: user.email, action: delete}
    services:
      api:
        version: 1.0.0
        language: go
        span_attributes: [user.email]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import tokens, views

NAME = "privacy.pii-not-redacted"
SEVERITY = Severity.ERROR
WORDS = frozenset({"email", "mail", "phone", "mobile", "msisdn", "ssn", "passport", "password", "passwd",
                   "secret", "token", "iban", "cvv", "cvc", "dob", "birthdate", "birthday", "street",
                   "postcode", "zipcode", "ip", "surname", "firstname", "lastname", "fullname", "username"})
PHRASES = (("credit", "card"), ("card", "number"), ("date", "of", "birth"), ("social", "security"),
           ("client", "address"), ("enduser", "id"), ("user", "name"), ("full", "name"), ("first", "name"),
           ("last", "name"), ("home", "address"), ("billing", "address"), ("shipping", "address"),
           ("postal", "address"), ("user", "address"), ("customer", "address"), ("customer", "name"),
           ("api", "key"), ("access", "key"), ("private", "key"))


def looks_personal(key: str) -> bool:
    parts = tokens(key)
    if WORDS.intersection(parts):
        return True
    joined = " " + " ".join(parts) + " "
    return any(f" {' '.join(phrase)} " in joined for phrase in PHRASES)


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        redacted = {rule.key for rule in bp.standards.pii}
        for name, service in bp.services.items():
            for index, key in enumerate(service.span_attributes):
                if key not in redacted and looks_personal(key):
                    yield Hit(("services", name, "span_attributes", index),
                              f"service '{name}' sets '{key}', which looks like personal data or a credential, "
                              f"and standards.pii does not cover it: add {{key: {key}, action: delete}} (or "
                              "hash/mask) to standards.pii, or stop recording it", environment=env)
