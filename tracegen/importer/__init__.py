"""`tracegen import`: a draft blueprint from collector configs that exist today.

It reads what `tracegen lint` reads (collector configs, or Kubernetes manifests with ConfigMaps that
hold one), maps what has a blueprint equivalent — backends (secrets kept as `${env:NAME}`
references), tail-sampling policies, PII and attribute rules, derived metrics, topology, and the
services whose Deployments carry OTEL_SERVICE_NAME — and leaves a `# tracegen import:` comment at
everything it could not map or changed on purpose. The draft is built as data and serialised once
(`emit`); comments are single encoded lines, so hostile values in a config stay data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Draft:
    """The blueprint being assembled and what the importer has to tell its reader."""

    data: dict[str, Any] = field(default_factory=dict)
    # (blueprint path the comment belongs above, or () for the header; the comment's text)
    notes: list[tuple[tuple, str]] = field(default_factory=list)

    def note(self, text: str, path: tuple = ()) -> None:
        self.notes.append((tuple(path), text))


def safe_name(raw: object, fallback: str, taken: set[str], length: int = 40) -> str:
    """A blueprint name (lowercase letters, digits, inner dashes) from `raw`, unique in `taken`."""
    base = re.sub(r"[^a-z0-9-]+", "-", str(raw or "").lower())[:length].strip("-") or fallback
    base = base if base[0].isalpha() else f"n-{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name
