"""What a language is to tracegen: the facts the planner, the standards and the SDK target share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    summary: str
    # OTEL_EXPORTER_OTLP_PROTOCOL: the SDK's own default, so the bootstrap and the env agree with it.
    otlp_protocol: str
    # OTEL_PROPAGATORS values the generated bootstrap can build; None: the SDK's autoconfiguration
    # reads OTEL_PROPAGATORS itself and the planner has nothing to refuse.
    propagators: frozenset[str] | None = None

    @property
    def template_dir(self) -> str:
        """Where its SDK templates live, under tracegen/templates/."""
        return f"sdk/{self.name}"
