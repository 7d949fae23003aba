"""Services tracegen writes no bootstrap for (languages.Language.sdk_output is None: .NET, Ruby,
PHP, C++, Erlang/Elixir, Swift, and `none` proxies): `sdk/<service>/README.md` saying exactly what
to install, the zero-code option where there is one, or for a proxy where to point its own tracer.
Their OTEL_* wiring is the same `<env>/sdk/<service>/otel.env` every service gets."""

from __future__ import annotations

from tracegen import languages
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.sdk import common
from tracegen.targets.sdk.common import ServiceCode

TEMPLATE = "sdk/manual/README.md.j2"


def files(code: ServiceCode) -> list[Artifact]:
    text = templating.environment().get_template(TEMPLATE).render(
        service=code.service, language=languages.get(code.service.language),
        generated=common.generated_line(code.blueprint))
    return [common.artifact(code, "README.md", "docs", text)]
