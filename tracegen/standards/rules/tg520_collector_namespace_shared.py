"""TG520 kubernetes.collector-namespace-shared (warning)

The collectors' namespace is also where applications run (it is listed in `app_namespaces` or
`edge_namespaces`, or a service's `kubernetes.namespace` names it). tracegen labels a namespace of its
own Pod Security `restricted`, which the collector pods meet; a shared namespace is not labelled (the
label would make the API server refuse every app pod that is not restricted-compliant, such as one
running as root), so the collectors there lose that guard, and a NetworkPolicy or quota meant for the
collectors now also touches the apps. Give the collectors a namespace of their own.

Bad:

    environments:
      prod:
        platform:
          kubernetes:
            cluster: prod
            namespace: shop
            app_namespaces: [shop]

Good:

    environments:
      prod:
        platform:
          kubernetes:
            cluster: prod
            namespace: observability
            app_namespaces: [shop]
"""

from __future__ import annotations

from collections.abc import Iterator

from tracegen.blueprint.loader import LoadedBlueprint
from tracegen.standards.finding import Hit, Severity

NAME = "kubernetes.collector-namespace-shared"
SEVERITY = Severity.WARNING


def check(loaded: LoadedBlueprint) -> Iterator[Hit]:
    for env, view in sorted(loaded.environments.items()):
        k8s = view.platform.kubernetes
        if k8s is None:
            continue
        shared = [f"{field} lists it" for field in ("app_namespaces", "edge_namespaces")
                  if k8s.namespace in getattr(k8s, field)]
        shared += [f"service {name} runs there" for name, service in sorted(view.blueprint.services.items())
                   if service.kubernetes.namespace == k8s.namespace]
        if shared:
            yield Hit(("environments", env, "platform", "kubernetes", "namespace"),
                      f"the collectors' namespace '{k8s.namespace}' is shared with applications "
                      f"({', '.join(shared)}): it is not labelled Pod Security restricted, which would refuse "
                      "app pods that are not restricted-compliant; give the collectors a namespace of their own",
                      environment=env)
