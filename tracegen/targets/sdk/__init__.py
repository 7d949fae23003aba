"""SDK setup per service, in its language: `<env>/sdk/<service>/`.

Every service gets `otel.env` (the standard OTEL_* variables, kind sdk-env) and, from its language
module, the tracing bootstrap (sdk-code), a pinned dependency manifest (sdk-deps), helpers for the
messaging it declares, log correlation and an exemplar snippet. Language modules register in
LANGUAGES: `files(env, service) -> list[Artifact]`.
"""

from __future__ import annotations

from collections.abc import Callable

from tracegen.plan import model as pm
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk import common, node, python
from tracegen.targets.sdk import go as sdk_go
from tracegen.targets.sdk import java as sdk_java

LANGUAGES: dict[str, Callable[[pm.EnvironmentPlan, pm.ServicePlan], list[Artifact]]] = {
    "java": sdk_java.files,
    "go": sdk_go.files,
    "node": node.files,
    "python": python.files,
}


def build(plan: pm.Plan) -> list[Artifact]:
    artifacts: list[Artifact] = []
    for env in plan.environments:
        for service in env.services:
            artifacts.append(common.env_file(env, service, plan.source_file))
            language = LANGUAGES.get(service.language)
            if language is not None:
                artifacts.extend(language(env, service))
    return artifacts
