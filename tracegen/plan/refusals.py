"""What the planner refuses to deploy, as data: each refusal names the blueprint path that causes it.

`tracegen check` reports every refusal as a TG001 finding with the blueprint's file:line:col, and
`tracegen build` plans only a blueprint that has none, so the two never disagree. Targets render a
plan that passed these checks and have nothing left to refuse: a target that still fails on a
planned blueprint is a bug in tracegen (exit 70), caught by tests/test_check_build_agree.py.

A new refusal is one function here, registered in JUDGES, plus a case in that test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tracegen.blueprint.loader import EnvironmentView, LoadedBlueprint
from tracegen import backends, languages
from tracegen.errors import RefusedError
from tracegen.plan import model as pm
from tracegen.plan.migration import involved

# The sampling mode the collector target adds for "the blueprint's own policies" when a mode is
# active (collector/modes/baseline.yaml); a blueprint mode may not take its name.
BASELINE_MODE = "baseline"
RESERVED_MODES = {
    BASELINE_MODE: "collector/modes/baseline.yaml holds the policies without any mode",
    "default": "the plan and sampling-strategies/default.json name the policies without any mode so",
    "active": "sampling-strategies/active.json is the file the agents serve",
}
# Names become file and directory names (host_vars/<host>.yml, sdk/<service>/, <environment>/):
# Linux allows 255 bytes per name; leave room for suffixes.
MAX_NAME_BYTES = 200
# OTEL_PROPAGATORS values each language's generated bootstrap can build (tracegen/languages; the Go
# output constructs propagators in code, the other SDKs read OTEL_PROPAGATORS through their own
# autoconfiguration and have nothing to refuse).
SUPPORTED_PROPAGATORS = {name: lang.propagators for name, lang in languages.LANGUAGES.items()
                         if lang.refuses_other_propagators}


@dataclass(frozen=True)
class Refusal:
    path: tuple
    message: str
    environment: str | None = None
    code: str = "TG001"             # the rule that reports it (TG307, TG501 keep their own codes)


class PlanRefused(RefusedError):
    """The blueprint asks for something tracegen will not deploy (check reports it as TG001)."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        first = refusals[0]
        scope = f" [{first.environment}]" if first.environment else ""
        super().__init__(f"{first.message}{scope}; `tracegen check` shows every refusal with its position")


class PlanRefusal(RefusedError):
    """Raised inside the planner for refusals found while planning one environment."""

    def __init__(self, path: tuple, message: str, more: tuple[Refusal, ...] = (), code: str = "TG001"):
        super().__init__(message)
        self.refusals = (Refusal(path, message, code=code), *more)


def _platform(env: str) -> tuple:
    return ("environments", env, "platform")


def vm_host_roles(view: EnvironmentView) -> Iterator[Refusal]:
    """One host runs one collector: a host cannot be both a gateway and an application host."""
    vm = view.platform.vm
    if vm is None:
        return
    agents = {host_identity(h.name) for g in vm.groups.values() for h in g.hosts}
    for index, host in enumerate(vm.gateways):
        if host_identity(host.name) in agents:
            yield Refusal(_platform(view.name) + ("vm", "gateways", index),
                          f"host '{host.name}' is both a gateway and an application host; one host runs "
                          "one collector, so give the gateways hosts of their own")


# Names Ansible gives its implicit groups: a host so named is confused with the group.
ANSIBLE_GROUP_NAMES = {"all", "ungrouped"}


def host_identity(name: str) -> str:
    """The machine a host name means: DNS names ignore case and a trailing dot."""
    return name.lower().rstrip(".")


def vm_host_names(view: EnvironmentView) -> Iterator[Refusal]:
    """A host is one inventory entry, one host_vars file and one load-balancing endpoint: a gateway
    listed twice (or two spellings of one host, App-1 and app-1.) would count as two replicas and
    collide on a case-insensitive file system; Ansible's own group names are not host names."""
    vm = view.platform.vm
    if vm is None:
        return
    places = [(("vm", "gateways", index), host.name) for index, host in enumerate(vm.gateways)]
    places += [(("vm", "groups", group, "hosts", index), host.name)
               for group, hosts in vm.groups.items() for index, host in enumerate(hosts.hosts)]
    seen: dict[str, str] = {}
    gateways: set[str] = set()
    for path, name in places:
        identity = host_identity(name)
        if identity in ANSIBLE_GROUP_NAMES:
            yield Refusal(_platform(view.name) + path, f"host '{name}' has the name of an implicit Ansible "
                          "group (all, ungrouped); name it otherwise, with {name: ..., address: ...} if needed")
        elif path[1] == "gateways" and identity in gateways:
            yield Refusal(_platform(view.name) + path, f"gateway '{name}' is listed twice; each gateway "
                          "is one replica of the tier, so list it once")
        elif seen.get(identity, name) != name:
            yield Refusal(_platform(view.name) + path, f"host '{name}' is '{seen[identity]}' spelt "
                          "differently (host names ignore case and a trailing dot); spell it one way")
        if path[1] == "gateways":
            gateways.add(identity)
        seen.setdefault(identity, name)


def gateway_reachable(view: EnvironmentView, env: pm.EnvironmentPlan) -> Iterator[Refusal]:
    """Agents route by trace ID to the gateways: every agent tier needs a way to find them."""
    if env.gateway is None:
        return
    for agent in env.agents:
        if agent.platform == "vm" and env.gateway.platform == "kubernetes":
            continue              # the exposure's to give (gateway_exposure, TG511)
        resolver = env.resolver_for(agent.platform)
        if resolver is None or (resolver.kind == "static" and not resolver.hostnames):
            yield Refusal(_platform(view.name) + (agent.platform,),
                          f"the {agent.platform} agents cannot reach the gateway tier, which runs on "
                          f"{env.gateway.platform} without addresses they can use; run the gateways on "
                          f"{agent.platform} too (e.g. platform.vm.gateways) or use resolver: dns with dns_name")
        elif resolver.kind == "dns" and not resolver.hostname:
            yield Refusal(_platform(view.name) + ("vm", "resolver"),
                          "resolver: dns needs dns_name, the name the gateways share")


def gateway_exposure(view: EnvironmentView, env: pm.EnvironmentPlan) -> Iterator[Refusal]:
    """VM agents reach Kubernetes gateways only through an exposure the blueprint declares, admitted by
    the gateways' NetworkPolicy from the VM networks it declares (TG511, TG513)."""
    gateway = env.gateway
    if gateway is None or gateway.platform != "kubernetes" or not any(a.platform == "vm" for a in env.agents):
        return
    exposure = env.transport.exposure
    if exposure is None:
        yield Refusal(_platform(view.name) + ("kubernetes",),
                      "the VM agents export to the Kubernetes gateways, which nothing exposes outside the "
                      "cluster: add platform.kubernetes.gateway_exposure {type: LoadBalancer or NodePort, "
                      "address: the name the VMs dial}", view.name, "TG511")
    elif not exposure.sources:
        yield Refusal(_platform(view.name) + ("vm",),
                      "the VM agents export to the Kubernetes gateways, whose NetworkPolicy admits only "
                      "declared sources: list the networks the VM hosts send from in platform.vm.cidrs "
                      "(e.g. [10.40.0.0/16])", view.name, "TG513")


def certificate_issuer(view: EnvironmentView, env: pm.EnvironmentPlan) -> Iterator[Refusal]:
    """Kubernetes collectors on a mutual-TLS hop get cert-manager Certificates: from a named issuer."""
    t = env.transport
    if t.issuer is None and (t.client("kubernetes") or (env.gateway and env.gateway.platform == "kubernetes"
                                                         and (t.external_tls or t.gateway_tls))):
        yield Refusal(_platform(view.name) + ("kubernetes",),
                      "the Kubernetes collectors need certificates for mutual TLS with the VMs (or "
                      "tls.mode always): name the cert-manager issuer in topology.tls.issuer {name, kind}",
                      view.name)


def policy_names(view: EnvironmentView) -> Iterator[Refusal]:
    """The collector refuses two tail-sampling policies with one name, in the base list or a mode."""
    tail = view.blueprint.sampling.tail
    if tail is None:
        return
    base = [p.name for p in tail.policies]
    for index, name in enumerate(base):
        if base.index(name) != index:
            yield Refusal(("sampling", "tail", "policies", index, "name"),
                          f"tail-sampling policy name '{name}' is used twice; the collector refuses that",
                          view.name, "TG307")
    for mode_name, mode in view.blueprint.sampling.modes.items():
        names = Counter(base)
        for index, policy in enumerate(mode.add_policies):
            names[policy.name] += 1
            if names[policy.name] > 1:
                yield Refusal(("sampling", "modes", mode_name, "add_policies", index, "name"),
                              f"mode '{mode_name}' adds policy '{policy.name}', a name already in use; "
                              "the collector refuses two policies with one name", view.name, "TG307")


# The names tracegen gives the parts of a capped probabilistic policy P (collector_sampling: an `and`
# of P-share and P-cap). Kept in step with tracegen/plan/collector_sampling.py by a test.
CAPPED_PART_SUFFIXES = ("-share", "-cap")


def capped_part_names(view: EnvironmentView) -> Iterator[Refusal]:
    """A probabilistic policy P may carry the baseline cap; the collector then runs it as the `and` of
    P-share and P-cap, whose decisions and metrics must not be confused with a user policy's."""
    sampling = view.blueprint.sampling
    if sampling.tail is None:
        return
    located = [(("sampling", "tail", "policies", index), policy) for index, policy in enumerate(sampling.tail.policies)]
    located += [(("sampling", "modes", mode_name, "add_policies", index), policy)
                for mode_name, mode in sampling.modes.items() for index, policy in enumerate(mode.add_policies)]
    parts = {policy.name + suffix: policy.name for _, policy in located if policy.type == "probabilistic"
             for suffix in CAPPED_PART_SUFFIXES}
    for path, policy in located:
        owner = parts.get(policy.name)
        if owner is not None:
            yield Refusal(path + ("name",),
                          f"tail-sampling policy name '{policy.name}' is the name tracegen gives a part of the "
                          f"capped probabilistic policy '{owner}' ('{owner}-share' AND '{owner}-cap'); "
                          "rename one of them", view.name, "TG307")


def reserved_mode(view: EnvironmentView) -> Iterator[Refusal]:
    """Mode names become file names beside names tracegen writes itself: `baseline` is the overlay
    that returns to the blueprint's own policies (collector/modes/baseline.yaml, which the runbook
    switches back to), `default` the plan's and the remote-sampling strategies' name for those same
    policies (sampling-strategies/default.json), `active` the strategies file the agents serve."""
    for name, why in RESERVED_MODES.items():
        if name in view.blueprint.sampling.modes:
            yield Refusal(("sampling", "modes", name),
                          f"the sampling mode name '{name}' is reserved ({why}); rename the mode", view.name)


def propagators(view: EnvironmentView) -> Iterator[Refusal]:
    """Each language's bootstrap builds only the propagators its SDK has."""
    bp = view.blueprint
    for name, service in sorted(bp.services.items()):
        supported = SUPPORTED_PROPAGATORS.get(service.language)
        if supported is None:
            continue
        own = service.propagators is not None
        for index, propagator in enumerate(service.propagators if own else bp.standards.propagators):
            if propagator not in supported:
                path = ("services", name, "propagators", index) if own else ("standards", "propagators", index)
                yield Refusal(path, f"service {name} ({service.language}): its SDK has no propagator "
                                    f"'{propagator}' (supported: {', '.join(sorted(supported))})", view.name)


def name_lengths(view: EnvironmentView) -> Iterator[Refusal]:
    """Names become file names; keep them well inside the file system's 255-byte limit."""
    def too_long(name: str) -> bool:
        return len(name.encode("utf-8")) > MAX_NAME_BYTES

    if too_long(view.name):
        yield Refusal(("environments", view.name), f"environment name is longer than {MAX_NAME_BYTES} bytes")
    for service in view.blueprint.services:
        if too_long(service):
            yield Refusal(("services", service), f"service name is longer than {MAX_NAME_BYTES} bytes")
    vm = view.platform.vm
    if vm is not None:
        for group_name, group in vm.groups.items():
            for index, host in enumerate(group.hosts):
                if too_long(host.name):
                    yield Refusal(_platform(view.name) + ("vm", "groups", group_name, "hosts", index),
                                  f"host name is longer than {MAX_NAME_BYTES} bytes")


def backend_endpoints(view: EnvironmentView) -> Iterator[Refusal]:
    """An endpoint the exporter would mangle, or one its backend's intake cannot take (each backend
    type states its URL shape and intake rules in tracegen/backends); `check` reports it as TG509."""
    # A migration's backends too, in every phase: the new one is exported to from dual-write on.
    for name, backend in sorted({**view.backends(), **involved(view)}.items()):
        problem = backends.get(backend.type).intake_problem(backend.endpoint, backend.protocol,
                                                            backend.tls.insecure, backend.headers)
        if problem:
            yield Refusal(("backends", name, "endpoint"), f"backend '{name}': {problem}", view.name, "TG509")


def service_namespaces(view: EnvironmentView) -> Iterator[Refusal]:
    """A service's own Kubernetes namespace is one the environment declares: the admission policy,
    the NetworkPolicy and the README are scoped to app_namespaces and edge_namespaces, so a workload
    elsewhere would be traced but never judged or admitted."""
    k8s = view.platform.kubernetes
    if k8s is None:
        return
    declared = set(k8s.app_namespaces) | set(k8s.edge_namespaces)
    for name, service in sorted(view.blueprint.services.items()):
        namespace = service.kubernetes.namespace
        if namespace is not None and namespace not in declared:
            yield Refusal(("services", name, "kubernetes", "namespace"),
                          f"service {name} runs in namespace '{namespace}', which environment '{view.name}' "
                          "does not declare: add it to platform.kubernetes.app_namespaces (or edge_namespaces)",
                          view.name)


# Judges of the blueprint as one environment sees it, run before planning that environment (the
# planner may rely on what they guarantee), then judges of the environment's plan.
ViewJudge = Callable[[EnvironmentView], Iterator[Refusal]]
PlanJudge = Callable[[EnvironmentView, pm.EnvironmentPlan], Iterator[Refusal]]
VIEW_JUDGES: tuple[ViewJudge, ...] = (vm_host_roles, vm_host_names, policy_names, capped_part_names,
                                      reserved_mode, propagators, name_lengths, backend_endpoints,
                                      service_namespaces)
PLAN_JUDGES: tuple[PlanJudge, ...] = (gateway_reachable, gateway_exposure, certificate_issuer)


def judge_plan(view: EnvironmentView, env: pm.EnvironmentPlan) -> None:
    """Called by the planner once tiers and resolvers are decided, before collector configs are built."""
    found = [refusal for judge in PLAN_JUDGES for refusal in judge(view, env)]
    if found:
        raise PlanRefusal(found[0].path, found[0].message, tuple(found[1:]), code=found[0].code)


def reported(loaded: LoadedBlueprint, code: str, plan_environment) -> list[Refusal]:
    """The refusals a rule reports (planned once per loaded blueprint, whichever rule asks first)."""
    found = getattr(loaded, "_tracegen_refusals", None)
    if found is None:
        found = collect(loaded, plan_environment)[1]
        setattr(loaded, "_tracegen_refusals", found)
    return [refusal for refusal in found if refusal.code == code]


def collect(loaded: LoadedBlueprint, plan_environment) -> tuple[list[pm.EnvironmentPlan], list[Refusal]]:
    """Plan every environment in name order; gather every refusal instead of stopping at the first."""
    plans: list[pm.EnvironmentPlan] = []
    refusals: list[Refusal] = []
    for name, view in sorted(loaded.environments.items()):
        before = [refusal for judge in VIEW_JUDGES for refusal in judge(view)]
        if before:
            refusals.extend(before)
            continue
        try:
            plans.append(plan_environment(loaded, view))
        except PlanRefusal as refused:
            refusals.extend(Refusal(r.path, r.message, r.environment or name, r.code) for r in refused.refusals)
    unique: list[Refusal] = []
    for refusal in refusals:
        if refusal not in unique:
            unique.append(refusal)
    return plans, unique
