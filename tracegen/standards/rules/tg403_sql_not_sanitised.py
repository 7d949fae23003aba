"""TG403 privacy.sql-not-sanitised (error)

Database instrumentation records the query text (`db.query.text`). Unless queries are fully
parameterised, that text carries literals: e-mail addresses, names, card numbers. With a SQL
datastore in the estate, the collector must sanitise statements (`sanitize_sql: true`, which
replaces literals with `?`).

Bad:

    standards:
      sanitize_sql: false
    services:
      api: {version: 1.0.0, language: go, datastores: [postgres]}

Good:

    standards:
      sanitize_sql: true
    services:
      api: {version: 1.0.0, language: go, datastores: [postgres]}
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.blueprint.model import SQL_DATASTORES
from tracegen.standards.finding import Hit, Severity
from tracegen.standards.rules._common import views

NAME = "privacy.sql-not-sanitised"
SEVERITY = Severity.ERROR


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, bp in views(loaded):
        if bp.standards.sanitize_sql:
            continue
        users = sorted(name for name, service in bp.services.items() if SQL_DATASTORES & set(service.datastores))
        if users:
            yield Hit(("standards", "sanitize_sql"),
                      "SQL statements are exported with their literals while SQL databases are used (by "
                      f"{', '.join(users)}): set sanitize_sql: true so values never leave the cluster",
                      environment=env)
