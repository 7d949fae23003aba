"""TG703 sdk.operator-cannot-inject (warning)

With `sdk.mode: operator` the OpenTelemetry Operator injects its zero-code agent into a service's
pods (an `Instrumentation` per app namespace, an `instrumentation.opentelemetry.io/inject-<lang>`
annotation in the service's Component). The Operator injects Java (and so Kotlin and Scala),
Node.js, Python, .NET and Go only. A service in another language (a `none` proxy aside) keeps the generated route (its
bootstrap, or for a language tracegen has none for, the OTEL_* wiring and TG701), which the
blueprint should say rather than imply. Go's injection is eBPF: a privileged sidecar that also
needs the annotation `instrumentation.opentelemetry.io/otel-go-auto-target-exe` (the path of the
service's binary) on the Deployment, which tracegen cannot know; this rule says so for Go too.

Bad:

    sdk: {mode: operator}
    services:
      shipping: {version: 1.0.0, language: rust}

Good:

    sdk: {mode: operator}
    services:
      shipping: {version: 1.0.0, language: rust, sdk: {mode: generated}}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen import languages
from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "sdk.operator-cannot-inject"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    bp = loaded.blueprint
    for name, service in bp.services.items():
        if (service.sdk or bp.sdk).mode != "operator":
            continue
        lang = languages.get(service.language)
        if lang.kind == "proxy":
            continue                      # nothing to inject either way: its own tracer (TG701)
        where = ("services", name, "sdk") if service.sdk else ("sdk", "mode")
        if lang.operator_inject is None:
            yield Hit(where, f"service '{name}' ({lang.name}): the OpenTelemetry Operator has no injection for it, "
                             "so it keeps the generated route; say so with sdk: {mode: generated} on the service")
        elif lang.operator_inject == "go":
            yield Hit(where, f"service '{name}' (go): the Operator's Go injection is an eBPF sidecar (privileged) "
                             "and needs instrumentation.opentelemetry.io/otel-go-auto-target-exe=<path of the "
                             "binary> on its Deployment; or keep the generated bootstrap (sdk: {mode: generated})")
