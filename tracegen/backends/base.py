"""What a backend type is: the facts one module states, and the behaviour every type shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Retention:
    """How long the backend keeps traces when nobody configures it (None: depends on its storage)."""

    hot_days: int | None
    cold_days: int | None = None
    source: str = ""


@dataclass(frozen=True)
class BackendType:
    """One kind of trace backend. Every backend tracegen supports speaks OTLP, so a type is the
    headers it needs, the protocol it takes, its intake rules and what it keeps by default."""

    name: str
    summary: str
    key_header: str | None = None            # the header that carries `api_key` (a credential)
    key_scheme: str = ""                     # prefix of the key in that header, e.g. "Bearer "
    key_required: bool = False               # without a key every export is rejected
    dataset_header: str | None = None        # the header that carries `dataset`
    keyed_headers: tuple[tuple[str, str], ...] = ()   # added with the key (fixed, not secret)
    protocol: str | None = None              # the only protocol its intake takes; None: the blueprint's
    retention: Retention = Retention(None)
    # endpoint, protocol, insecure -> why the intake cannot work that way, or None
    intake_rule: Callable[[str, str, bool], str | None] | None = field(default=None, compare=False)

    def headers(self, given: dict[str, str], api_key: str | None, dataset: str | None) -> dict[str, str]:
        """The headers the exporter sends: the blueprint's own, then the key and the dataset."""
        headers = dict(given)
        if api_key and self.key_header:
            headers.update(self.keyed_headers)
            headers[self.key_header] = f"{self.key_scheme}{api_key}"
        if dataset and self.dataset_header:
            headers[self.dataset_header] = dataset
        return headers

    def exporter_protocol(self, asked: str) -> str:
        return self.protocol or asked

    def intake_problem(self, endpoint: str, protocol: str, insecure: bool) -> str | None:
        return self.intake_rule(endpoint, protocol, insecure) if self.intake_rule else None

    def has_key(self, api_key: str | None, given: dict[str, str]) -> bool:
        """Whether a key reaches the backend, as `api_key` or already as its header."""
        return bool(api_key) or (self.key_header or "").lower() in {k.lower() for k in given}
