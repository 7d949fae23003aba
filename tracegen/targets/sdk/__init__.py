"""SDK setup per service, in its language: the code once, the settings per environment.

Build once, deploy many: `sdk/<service>/` holds the service's tracing bootstrap (sdk-code), pinned
dependency manifest (sdk-deps), helpers for the messaging it declares, log correlation, an exemplar
snippet, a declarative configuration and a README. It is the same bytes for every environment: what
differs between environments (deployment.environment.name, the OTLP endpoint, the sampler and its
argument, the propagators) is read at start from the standard OTEL_* variables, with the
specification's defaults when one is unset (common.code_view). Each environment's values are in
`<env>/sdk/<service>/otel.env` (kind sdk-env), the Kubernetes Component's env patch and the VM
environment file, all three written from ServicePlan.otel_env.

Language modules, one per language, register in LANGUAGES: `files(code: ServiceCode) -> list[Artifact]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tracegen import languages
from tracegen.plan import model as pm
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk import common, node, python
from tracegen.targets.sdk import go as sdk_go
from tracegen.targets.sdk import java as sdk_java
from tracegen.targets.sdk import manual
from tracegen.targets.sdk import rust as sdk_rust
from tracegen.targets.sdk.common import ServiceCode

LANGUAGES: dict[str, Callable[[ServiceCode], list[Artifact]]] = {
    "java": sdk_java.files,
    "go": sdk_go.files,
    "node": node.files,
    "python": python.files,
    "rust": sdk_rust.files,
}


def build(plan: pm.Plan) -> Iterator[Artifact]:
    """One at a time, as the writer takes them (the SDK files are most of a large build's bytes)."""
    for env in plan.environments:
        yield from (common.env_file(env, service, plan.source_file) for service in env.services)
    for code in common.service_code(plan):
        # Kotlin and Scala services get the Java agent's output (languages.Language.sdk_output).
        language = LANGUAGES.get(languages.get(code.service.language).sdk_output or "")
        # The others: a README naming what to install (targets/sdk/manual.py).
        yield from (language or manual.files)(code)
