"""What a language is to tracegen: the facts the planner, the standards and the SDK target share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MEASURED = "measured by scripts/bench_overhead.py"


@dataclass(frozen=True)
class Language:
    name: str
    summary: str
    # OTEL_EXPORTER_OTLP_PROTOCOL: the SDK's own default, so the bootstrap and the env agree with it.
    otlp_protocol: str
    # OTEL_PROPAGATORS values the generated output provides (builds in code, or installs the
    # package for); the one list per language the planner, the SDK target and its notes read.
    propagators: frozenset[str] = frozenset({"tracecontext", "baggage"})
    # True: the bootstrap builds propagators in code, so any other is refused (TG001). False: the
    # SDK reads OTEL_PROPAGATORS itself, and an unprovided one is only noted in the README.
    refuses_other_propagators: bool = False
    # CPU the SDK adds per request when it records every trace, in microseconds, and where the figure
    # comes from: MEASURED (against the same app uninstrumented, README "Overhead of recording every
    # trace") or the words "estimate: ..." with the reasoning. The plan warns where it breaks the
    # playbook's CPU budget. None: not an SDK tracegen can speak for (a proxy's own tracer).
    recording_cpu_us: float | None = None
    recording_cpu_source: str = MEASURED
    # "sdk": an OpenTelemetry SDK in the service's process. "proxy": Envoy, nginx and the like, which
    # trace with their own built-in tracer: no SDK, but the same OTEL_* wiring and collector endpoint;
    # sampling treats them as it treats the ingress and the mesh (they decide at the head or follow).
    kind: Literal["sdk", "proxy"] = "sdk"
    # The SDK output module (tracegen/targets/sdk/<sdk_output>.py, templates sdk/<sdk_output>/) the
    # service gets: its own, or another's (Kotlin and Scala take the Java agent's). None: tracegen
    # writes the OTEL_* wiring and a README naming what to install (`install`), no code.
    sdk_output: str | None = None
    # The OpenTelemetry Operator's injection for it (annotation instrumentation.opentelemetry.io/
    # inject-<operator_inject>, Instrumentation spec.<operator_inject>), None where the Operator has none.
    operator_inject: str | None = None
    # OTEL_EXPORTER_OTLP_PROTOCOL of the Operator's injected agent where it differs from otlp_protocol
    # (its Python image ships the http/protobuf exporter only).
    operator_protocol: str | None = None
    # The zero-code option the OpenTelemetry project publishes for it (no code change), or None.
    zero_code: str | None = None
    # Exactly what a team installs where tracegen writes no bootstrap (sdk_output None): packages and
    # where they come from. Shown by rule TG701 and in the service's README.
    install: str | None = None
    # Other names a blueprint may use for this language (typescript -> node): resolved when the
    # blueprint is validated, so everything after it sees the canonical name.
    aliases: tuple[str, ...] = ()
    # Language-specific variables the zero-code or SDK route needs besides the standard OTEL_* ones.
    extra_env: tuple[tuple[str, str], ...] = ()

    @property
    def template_dir(self) -> str:
        """Where its SDK templates live, under tracegen/templates/."""
        return f"sdk/{self.sdk_output or self.name}"

    def protocol(self, sdk_mode: str) -> str:
        """The OTLP protocol of its services under `sdk_mode` (generated | operator)."""
        return (self.operator_protocol or self.otlp_protocol) if sdk_mode == "operator" else self.otlp_protocol

    @property
    def generated(self) -> bool:
        """tracegen writes this language's tracing bootstrap."""
        return self.sdk_output is not None
