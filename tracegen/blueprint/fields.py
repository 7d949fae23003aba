"""Field types of the blueprint that reach generated files: strict where text cannot be escaped
for every consumer, and never with a control character.

Each type says what it accepts in its error message. No message repeats the value: it may be a
credential, or contain characters a terminal would act on.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from tracegen import secrets
from tracegen.encoding.text import codepoint, unsafe_characters

# ------------------------------------------------------------------ every string
MULTILINE = "\n\t"   # what prose fields (reasons, descriptions) may hold besides printable text


def check_text(value: Any, allow: str = "") -> None:
    """Refuse control, format and line-separator characters anywhere in a value (keys included)."""
    if isinstance(value, str):
        bad = unsafe_characters(value, allow)
        if bad:
            names = ", ".join(codepoint(c) for c in bad[:3])
            raise ValueError(f"contains the control or invisible character(s) {names}: line breaks, escape "
                             "sequences, NUL, byte-order marks and bidirectional marks are not allowed here")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, allow)
            check_text(item, allow)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_text(item, allow)


# ------------------------------------------------------------------ names and hosts
# Kubernetes object and namespace names (DNS-1123 label): also tracegen's own names.
DNS_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
_HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_hostname(text: str) -> bool:
    """RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 253 at most."""
    name = text[:-1] if text.endswith(".") else text
    return 0 < len(name) <= 253 and all(_HOST_LABEL.match(label) for label in name.split("."))


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _hostname(value: str) -> str:
    if not is_hostname(value):
        raise ValueError("is not a host name (RFC 1123: letters, digits, inner hyphens, dot-separated labels)")
    return value


def _address(value: str) -> str:
    if not (is_hostname(value) or is_ip(value)):
        raise ValueError("is neither a host name (RFC 1123) nor an IP address")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
Address = Annotated[str, AfterValidator(_address)]
KubernetesName = Annotated[str, Field(pattern=DNS_LABEL, description="A DNS-1123 label: a-z, 0-9, '-'")]

# ------------------------------------------------------------------ short identifiers
# Kafka topics, AMQP 0-9-1 exchange and queue names, SQS queue names (and their ARNs) all fit here.
Topic = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:\-]{1,255}$",
                             description="A topic, exchange or queue: letters, digits, '_', '.', ':', '-'")]
# OTEL_PROPAGATORS values of the specification.
Propagator = Literal["tracecontext", "baggage", "b3", "b3multi", "jaeger", "xray", "ottrace", "none"]
Version = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,127}$",
                               description="A version: 1.4.2, 2024.06, 3.0.0-rc.1+build.5")]
Word = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,127}$")]
HeaderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$",
                                  description="An HTTP header name: letters, digits, '-', '_', '.'")]
# Free text that travels in an environment variable or a request header: every value of
# OTEL_RESOURCE_ATTRIBUTES shares one variable (Linux refuses to exec with a variable over 128 KiB,
# percent-encoding may triple a value) and gRPC servers refuse metadata over 8 KiB by default.
AttributeValue = Annotated[str, Field(max_length=4096, description="Text, at most 4096 characters")]
HeaderValue = Annotated[str, Field(max_length=4096, description="Text, at most 4096 characters")]
# A Honeycomb dataset or a Tempo tenant: sent as a header, never a reference (only api_key and
# headers hold those), so no `$`, braces or quotes.
Dataset = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:@+\-]{0,127}$",
                               description="Letters, digits, spaces and _ . : @ + -")]
# A W3C tracestate key.
TraceStateKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-*/@]{0,255}$")]
# A cluster as Argo CD and kubectl name it (an EKS ARN included).
ClusterName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@\-]{0,252}$")]
GitRevision = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,254}$")]
DottedPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\[\]\-]{1,512}$")]
# A systemd service unit name (systemd.unit(5): letters, digits, ':', '-', '_', '.', '\\', one '@' for a
# template instance), without the backslash escapes, which Ansible and shells would read.
SystemdUnit = Annotated[str, Field(pattern=r"^[A-Za-z0-9:_.\-]+(@[A-Za-z0-9:_.\-]*)?\.service$", max_length=255,
                                   description="A systemd service unit, e.g. orders.service or app@orders.service")]


def _relative_path(value: str) -> str:
    if not re.match(r"^[A-Za-z0-9_./\-]*$", value):
        raise ValueError("is not a relative path of letters, digits, '_', '.', '-' and '/'")
    if value.startswith("/") or ".." in value.split("/"):
        raise ValueError("must stay inside the repository (no leading '/', no '..')")
    return value


RelativePath = Annotated[str, AfterValidator(_relative_path)]


# ------------------------------------------------------------------ URLs
# Characters a URL of ours may hold: no quotes, spaces, braces, backslashes, `$` or backticks, so
# no consumer (shell, systemd, Jinja, the collector, declarative config) reads anything into it.
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@&+,=%]*$")


def _url(value: str, schemes: tuple[str, ...], bare: bool) -> str:
    if not _URL_CHARS.match(value):
        raise ValueError("may hold only letters, digits and - . _ ~ : / ? # [ ] @ & + , = %")
    problems = secrets.url_problems(value)
    if problems:
        raise ValueError(f"{problems[0]}; credentials go in a header holding ${{env:NAME}}")
    if "://" not in value:
        if not bare:
            raise ValueError(f"must be a URL ({' or '.join(s + '://' for s in schemes)}host:port)")
        value_for_parse = "//" + value
    else:
        value_for_parse = value
    try:
        parts = urlsplit(value_for_parse)
        port = parts.port
    except ValueError:
        raise ValueError("is not a valid URL (bad port or brackets)") from None
    if "://" in value and parts.scheme.lower() not in schemes:
        raise ValueError(f"must use {' or '.join(schemes)}")
    host = parts.hostname or ""
    if not (is_hostname(host) or is_ip(host)):
        raise ValueError("does not name a host (RFC 1123 name or IP address)")
    if port is not None and not 0 < port < 65536:
        raise ValueError("has a port outside 1-65535")
    if parts.fragment:
        raise ValueError("may not have a #fragment")
    return value


def _endpoint(value: str) -> str:
    return _url(value, ("http", "https"), bare=True)


def _http_url(value: str) -> str:
    return _url(value, ("http", "https"), bare=False)


_SCP_GIT = re.compile(r"^[A-Za-z0-9_.\-]+@([A-Za-z0-9.\-]+):[A-Za-z0-9_./~\-]+$")


def _git_url(value: str) -> str:
    """https:// (no credentials), ssh://git@host/path, or scp-like git@host:org/repo.git."""
    scp = _SCP_GIT.match(value)
    if scp:
        if not is_hostname(scp.group(1)):
            raise ValueError("does not name a host (RFC 1123)")
        return value
    if value.startswith("ssh://"):
        rest = value[len("ssh://"):]
        user, _, hostpath = rest.rpartition("@")
        if ":" in user or not re.match(r"^[A-Za-z0-9_.\-]*$", user):
            raise ValueError("an ssh URL may name a user (git@) but never a password")
        return "ssh://" + user + ("@" if user else "") + _url("ssh://" + hostpath, ("ssh",), bare=False)[6:]
    return _url(value, ("https", "http"), bare=False)


Endpoint = Annotated[str, AfterValidator(_endpoint)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
GitUrl = Annotated[str, AfterValidator(_git_url)]


# ------------------------------------------------------------------ regexes
# The collector (Go, RE2) runs these: Python's `re` accepts more. Refuse what RE2 does not have.
_NOT_RE2 = re.compile(r"\(\?(?:=|!|<=|<!|>|\(|P=)|\\[1-9]|\\g<|\\Z|[*+?}]\+")


def _regex(value: str) -> str:
    if _NOT_RE2.search(value.replace("\\\\", "")):
        raise ValueError("uses lookaround, backreferences, possessive or atomic groups, which the "
                         "collector's regular expressions (Go RE2) do not support")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression ({exc.msg} at position {exc.pos})") from None
    return value


Regex = Annotated[str, AfterValidator(_regex)]
