"""What every language's SDK output shares: where it goes and the OTEL_* environment file."""

from __future__ import annotations

from tracegen.plan import model as pm
from tracegen.targets.artifact import Artifact
from tracegen.targets.otel_env import otel_variables
from tracegen.targets.serialize import header


def directory(env: pm.EnvironmentPlan, service: pm.ServicePlan) -> str:
    return f"{env.name}/sdk/{service.name}"


def env_file(env: pm.EnvironmentPlan, service: pm.ServicePlan, source: str) -> Artifact:
    """`otel.env`: KEY=value lines, readable by systemd EnvironmentFile, docker --env-file and shells."""
    lines = [f"{name}={value}" for name, value in otel_variables(service)]
    return Artifact(path=f"{directory(env, service)}/otel.env", kind="sdk-env", content=header(source) + "\n".join(lines) + "\n",
                    environment=env.name, service=service.name, language=service.language)
