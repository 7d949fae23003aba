"""The one secret policy of tracegen: what a reference looks like, where one may stand, and which
names and values look like credentials. The blueprint model, standards rule TG503, the planner and
the collector target's build guard all ask this module, so they cannot disagree.

- A reference is `${env:NAME}`, or an auth scheme and one: `Bearer ${env:TOKEN}`. Only a backend's
  `api_key` and its credential headers (`secret_name`) may hold one; the collector expands them at
  start-up. Anywhere else `${...}` is plain text, escaped in every output (a whole reference in an
  ordinary header is refused: its author meant it to be expanded).
- A credential is never written into the blueprint: not as an api_key, not in a header whose name
  looks like one (or whose value does), not in a URL's userinfo or query string, not as a resource
  attribute. Messages name where, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
REFERENCE = re.compile(r"^\$\{env:(" + ENV_NAME + r")\}$")
# `Authorization: Bearer ${env:TOKEN}` keeps the secret out of the file as well as a bare reference.
SCHEMED_REFERENCE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_-]* )?\$\{env:(" + ENV_NAME + r")\}$")
REFERENCE_ANYWHERE = re.compile(r"\$\{env:(" + ENV_NAME + r")\}")

# Words that make a header, query parameter or attribute key name a credential.
SECRET_WORDS = ("key", "token", "auth", "secret", "password", "passwd", "pwd", "api", "credential", "cookie",
                "dsn", "session", "signature", "private", "bearer", "license", "cert")
# Header names whose value is a credential although no word above says so.
SECRET_HEADERS = frozenset({"x-honeycomb-team", "x-sf-token", "dd-api-key", "authorization", "x-api-key",
                            "api-key", "uptrace-dsn", "lightstep-access-token", "signalfx-access-token"})
# Query parameters that carry credentials (besides the words above): presigned URLs, SAS tokens.
SECRET_QUERY = frozenset({"sig", "sv", "se", "code", "x-amz-credential", "x-amz-signature", "x-goog-signature"})
# Values that are credentials whatever their name: vendor key prefixes, JWTs, private keys, basic auth.
SECRET_VALUE = re.compile(
    r"^(?:Bearer|Basic|Token|ApiKey)\s+(?!\$\{env:)\S"
    r"|(?:^|[^A-Za-z0-9])(?:NRAK-|NRII-|NRJS-|hcaik_|hcxik_|sk_live_|sk_test_|sk-[A-Za-z0-9_-]{20}|ghp_|gho_|ghs_|github_pat_|glpat-"
    r"|xox[abprs]-|AKIA[0-9A-Z]{12}|ASIA[0-9A-Z]{12}|AIza[0-9A-Za-z_-]{20}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\."
    r"|-----BEGIN )",
    re.IGNORECASE)


class Reference(str):
    """A string a consumer must expand (a secret reference, or tracegen's own `${env:...}`): the
    config encoders leave it as it is and escape every other string."""


def is_reference(value: str | None) -> bool:
    return value is not None and bool(REFERENCE.match(value))


def is_header_reference(value: str | None) -> bool:
    return value is not None and bool(SCHEMED_REFERENCE.match(value))


def reference_names(value: str) -> list[str]:
    return REFERENCE_ANYWHERE.findall(value)


def _words(name: str) -> str:
    return name.lower()


def secret_name(name: str) -> bool:
    """A header, query parameter or attribute key name that says its value is a credential."""
    lowered = _words(name)
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_WORDS)


# Attribute keys are read word by word (`db.password`, `api_key`, `userToken`): a key such as
# `api.version` is not a credential.
_KEY_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials",
                        "dsn", "cookie", "bearer", "authorization"})
_KEY_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")})


def secret_key(key: str) -> bool:
    """An attribute key that says its value is a credential."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    return bool(_KEY_WORDS & set(words)) or any(pair in _KEY_PAIRS for pair in zip(words, words[1:]))


def secret_value(value: str) -> bool:
    """A value that is a credential by its shape (a vendor key, a JWT, `Bearer <literal>`, a URL with
    a password or a token as its user)."""
    if is_header_reference(value):
        return False
    if SECRET_VALUE.search(value):
        return True
    return "://" in value and bool(url_problems(value))


def url_problems(text: str) -> list[str]:
    """Why a URL (or `host:port`) may not be written anywhere: credentials in it. Never the value."""
    try:
        parts = urlsplit(text if "://" in text else "//" + text)
    except ValueError:
        return []
    problems = []
    if "@" in parts.netloc:
        problems.append("has credentials in its userinfo (user:password@ or token@)")
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)
                    if secret_name(name) or name.lower() in SECRET_QUERY})
    if names:
        problems.append(f"has a credential in its query string ({', '.join(names)})")
    return problems


def literals(bp: Any) -> Iterator[tuple[tuple, str]]:
    """(model path, message) of every credential written into a blueprint (a `Blueprint` or one
    environment's merged view) instead of referred to."""
    for name, backend in bp.backends.items():
        if backend.api_key is not None and not is_header_reference(backend.api_key):
            yield (("backends", name, "api_key"),
                   f"backend '{name}' has its api_key written inline: replace it with a reference such as "
                   "${env:" + name.upper().replace("-", "_") + "_API_KEY} and rotate the exposed key")
        for header, value in backend.headers.items():
            if is_header_reference(value):
                continue
            if secret_name(header) or secret_value(value):
                yield (("backends", name, "headers", header),
                       f"backend '{name}' header '{header}' carries a credential inline: use ${{env:NAME}} "
                       "and rotate the exposed value")
        for problem in url_problems(backend.endpoint):
            yield (("backends", name, "endpoint"),
                   f"backend '{name}' endpoint {problem}: move the credential to a header holding "
                   "${env:NAME} and rotate it")
    for name, service in bp.services.items():
        for problem in url_problems(service.export_endpoint or ""):
            yield (("services", name, "export_endpoint"),
                   f"service '{name}' export_endpoint {problem}: remove it (apps export to the local "
                   "collector without credentials) and rotate it")
        for key, value in service.resource_attributes.items():
            if secret_key(key) or secret_value(value):
                yield (("services", name, "resource_attributes", key),
                       f"service '{name}' resource attribute '{key}' looks like a credential: resource "
                       "attributes travel on every span; remove it and rotate it")
    for key, value in bp.standards.resource_attributes.values.items():
        if secret_key(key) or secret_value(value):
            yield (("standards", "resource_attributes", "values", key),
                   f"resource attribute '{key}' looks like a credential: resource attributes travel on "
                   "every span; remove it and rotate it")
    if bp.gitops is not None:
        for problem in url_problems(bp.gitops.repo_url):
            yield (("gitops", "repo_url"),
                   f"gitops repo_url {problem}: Argo CD takes repository credentials from a Secret; "
                   "remove it and rotate it")


def refuse_literals(loaded: Any) -> None:
    """Raise BlueprintError at the first credential written into the blueprint, in any environment:
    no suppression lets one through to the output."""
    from tracegen.errors import BlueprintError

    views = [(None, loaded.blueprint)] + [(env, view.blueprint) for env, view in sorted(loaded.environments.items())]
    for environment, bp in views:
        for path, message in literals(bp):
            line, column = loaded.locate(path, environment) or (None, None)
            raise BlueprintError(f"{message}; a credential in the blueprint cannot be suppressed",
                                 loaded.file, line, column)
