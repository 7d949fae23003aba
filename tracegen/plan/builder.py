"""Blueprint -> Plan: every decision about what runs where, made once."""

from __future__ import annotations

import math
from dataclasses import replace

from tracegen import backends, languages, secrets, versions
from tracegen.blueprint import model as bm
from tracegen.blueprint.loader import EnvironmentView, LoadedBlueprint
from tracegen.encoding import host_port
from tracegen.plan import model as pm
from tracegen.plan import remote_sampling, retention, transport
from tracegen.plan import migration
from tracegen.plan.collectors import collector_set
from tracegen.plan.otel_env import otel_variables
from tracegen.plan.once import once
from tracegen.plan.refusals import PlanRefusal, PlanRefused, Refusal, collect, judge_plan, reported

AGENT_SERVICE = pm.AGENT_SERVICE
GATEWAY_SERVICE = pm.GATEWAY_SERVICE
GATEWAY_HEADLESS = pm.GATEWAY_HEADLESS


def _tail(bp: bm.Blueprint, model: retention.SamplingModel) -> pm.TailSampling | None:
    """The gateway's tail sampler, sized from the retention model per replica."""
    if not retention.tail_on(bp):
        return None
    peak = model.of(retention.DEFAULT_MODE).volumes.traces_recorded_per_sec / model.replicas
    num_traces, expected = retention.num_traces(bp, peak)
    cap = retention.baseline_cap(bp, model.replicas, model.retention.coverage)
    (_, base, _), *modes = retention.mode_policies(bp.sampling)
    return pm.TailSampling(
        decision_wait_s=bm.duration_seconds(bp.sampling.tail.decision_wait), num_traces=num_traces,
        expected_new_traces_per_sec=expected, policies=retention.with_cap(base, cap),
        modes=tuple((name, retention.with_cap(policies, cap if capped else None))
                    for name, policies, capped in modes),
        active_mode=bp.sampling.active_mode, tracestate_thresholds=bp.sampling.consistent_probability)


def sampling_tier(agents: tuple[pm.Tier, ...], gateway: pm.Tier | None) -> retention.SamplingTier:
    tier = gateway or agents[0]
    return retention.SamplingTier(tier.replicas if gateway else 1, tier.memory_limiter[0] * 2**20, agents[0])


def _privacy(standards: bm.Standards) -> pm.Privacy:
    by_action = {action: tuple(sorted(r.key for r in standards.pii if r.action == action))
                 for action in ("delete", "hash", "mask")}
    hashed = by_action["hash"] + tuple(sorted(r.key for r in standards.high_cardinality if r.action == "hash"))
    return pm.Privacy(
        delete_keys=by_action["delete"], hash_keys=tuple(sorted(set(hashed))), mask_keys=by_action["mask"],
        drop_keys=tuple(sorted(r.key for r in standards.high_cardinality if r.action == "drop")),
        blocked_value_patterns=tuple(standards.pii_value_patterns), sanitize_sql=standards.sanitize_sql)


def _exporter(name: str, backend: bm.Backend) -> pm.Exporter:
    kind = backends.get(backend.type)      # headers, protocol and defaults of its type (tracegen/backends)
    headers = kind.headers(dict(backend.headers), backend.api_key, backend.dataset)
    # A credential header holding a reference (tracegen.secrets) is expanded by the collector; any other
    # value is text, which the collector config escapes.
    headers = {key: secrets.Reference(value) if secrets.is_header_reference(value) and secrets.secret_name(key)
               else value for key, value in headers.items()}
    secret_env = sorted({ref for v in headers.values() if isinstance(v, secrets.Reference)
                         for ref in secrets.reference_names(v)})
    return pm.Exporter(
        name=name, backend_type=backend.type,
        protocol=kind.exporter_protocol(backend.protocol), endpoint=backend.endpoint,
        insecure=backend.tls.insecure, ca_file=backend.tls.ca_file, server_name=backend.tls.server_name,
        headers=tuple(sorted(headers.items())),
        secret_env=tuple(secret_env),
        # Unstated retention is the backend type's default (TG505 still asks the blueprint to state it).
        retention_hot_days=backend.retention.hot_days if backend.retention else kind.retention.hot_days,
        retention_cold_days=backend.retention.cold_days if backend.retention else kind.retention.cold_days)


def _needs_gateway(bp: bm.Blueprint, tail: pm.TailSampling | None) -> bool:
    if bp.topology.gateway.enabled is not None:
        return bp.topology.gateway.enabled
    metrics = bp.topology.derived_metrics
    return bool(tail or metrics.span_metrics or metrics.service_graph)


def _local_ports(base: int, slot: int) -> pm.Ports:
    start = base + slot * 10
    return pm.Ports(otlp_grpc=start, otlp_http=start + 1, health=start + 2, metrics=start + 3)


def _tiers(view: EnvironmentView, gateway_on: bool):
    bp, platform = view.blueprint, view.platform
    agent_cfg, gw_cfg = bp.topology.agent, bp.topology.gateway
    agents: list[pm.Tier] = []
    resolvers: list[tuple[str, pm.Resolver]] = []
    gateway: pm.Tier | None = None
    if platform.kubernetes:
        k8s = platform.kubernetes
        placement = agent_cfg.placement if agent_cfg.placement != "host" else "daemonset"
        agents.append(pm.Tier("agent", "kubernetes", placement, 1, agent_cfg.resources.cpu,
                              agent_cfg.resources.memory_mib, namespace=k8s.namespace))
    if platform.vm:
        vm = platform.vm
        hosts = sorted({h.name: h for g in vm.groups.values() for h in g.hosts}.values(), key=lambda h: h.name)
        agents.append(pm.Tier("agent", "vm", "host", len(hosts), agent_cfg.resources.cpu,
                              agent_cfg.resources.memory_mib,
                              instances=tuple(pm.Instance(h.name, h.address or h.name) for h in hosts)))
    if platform.local:
        agents.append(pm.Tier("agent", "local", "process", 1, agent_cfg.resources.cpu,
                              agent_cfg.resources.memory_mib,
                              instances=(pm.Instance("agent", "127.0.0.1",
                                                     _local_ports(platform.local.base_port, 0)),),
                              ports=_local_ports(platform.local.base_port, 0)))
    if not gateway_on:
        return tuple(agents), None, ()
    # One gateway tier per environment so a trace that crosses platforms still meets itself there.
    if platform.vm and platform.vm.gateways:
        vm = platform.vm
        gateway = pm.Tier("gateway", "vm", "host", len(vm.gateways), gw_cfg.resources.cpu,
                          gw_cfg.resources.memory_mib,
                          instances=tuple(pm.Instance(h.name, h.address or h.name) for h in vm.gateways))
    elif platform.kubernetes:
        gateway = pm.Tier("gateway", "kubernetes", "deployment", gw_cfg.replicas, gw_cfg.resources.cpu,
                          gw_cfg.resources.memory_mib, namespace=platform.kubernetes.namespace)
    elif platform.local:
        base = platform.local.base_port
        gateway = pm.Tier("gateway", "local", "process", gw_cfg.replicas, gw_cfg.resources.cpu,
                          gw_cfg.resources.memory_mib,
                          instances=tuple(pm.Instance(f"gateway-{i}", "127.0.0.1", _local_ports(base, i + 1))
                                          for i in range(gw_cfg.replicas)))
    if gateway is None:
        return tuple(agents), None, ()
    for agent in agents:
        resolvers.append((agent.platform, _resolver(view, agent, gateway)))
    return tuple(agents), gateway, tuple(resolvers)


def _resolver(view: EnvironmentView, agent: pm.Tier, gateway: pm.Tier) -> pm.Resolver:
    if gateway.platform == "kubernetes" and agent.platform == "kubernetes":
        return pm.Resolver("k8s", pm.OTLP_GRPC_PORT, service=f"{GATEWAY_HEADLESS}.{gateway.namespace}")
    if gateway.platform == "kubernetes" and agent.platform == "vm":
        # From outside the cluster: the exposure the blueprint declares (none: refused, TG511).
        return pm.Resolver("static", pm.OTLP_GRPC_PORT, hostnames=transport.exposed_endpoint(view))
    vm = view.platform.vm
    if vm and vm.resolver == "dns":
        return pm.Resolver("dns", pm.OTLP_GRPC_PORT, hostname=vm.dns_name)
    return pm.Resolver("static", pm.OTLP_GRPC_PORT, hostnames=tuple(
        host_port(i.host, i.ports.otlp_grpc) for i in gateway.instances))


def _service(name: str, service: bm.Service, view: EnvironmentView, agents) -> pm.ServicePlan:
    bp = view.blueprint
    attributes = dict(bp.standards.resource_attributes.values)
    attributes.update(service.resource_attributes)
    attributes.update({"service.name": name, "service.version": service.version,
                       "deployment.environment.name": view.name})
    if service.owner:
        attributes.setdefault("service.owner", service.owner.team)
    protocol = languages.get(service.language).protocol(_sdk_mode(service, bp, view.platform.kubernetes is not None))
    ratio = retention.sdk_ratio(bp, name)
    platform = view.platform
    hosts = tuple(sorted(h.name for g in platform.vm.groups.values() if name in g.services for h in g.hosts)) \
        if platform.vm else ()
    # A service a VM group lists runs on those VMs, even where the environment also has Kubernetes.
    runs_on = "vm" if hosts or (platform.vm and not platform.kubernetes) else agents[0].platform
    agent = next(a for a in agents if a.platform == runs_on)
    port = agent.ports.otlp_http if protocol == "http/protobuf" else agent.ports.otlp_grpc
    if runs_on == "kubernetes":
        # daemonset: the agent Service with internalTrafficPolicy Local keeps traffic on the node
        # without hostPorts (which Pod Security `baseline` forbids); sidecar: the agent shares the pod;
        # namespace: the agent Service in the app's own namespace.
        host = {"sidecar": "localhost", "namespace": AGENT_SERVICE}.get(
            agent.placement, f"{AGENT_SERVICE}.{agent.namespace}.svc.cluster.local")
    else:
        # The host's own agent, which listens on loopback only ("localhost" may resolve to ::1 first).
        host = "127.0.0.1"
    endpoint = service.export_endpoint or f"http://{host_port(host, port)}"
    k8s = platform.kubernetes if runs_on == "kubernetes" else None
    return pm.ServicePlan(
        name=name, version=service.version, language=service.language, framework=service.framework,
        edge=service.edge, legacy_edge=service.legacy_edge, sdk_mode=_sdk_mode(service, bp, k8s is not None),
        propagators=tuple(service.propagators or bp.standards.propagators),
        resource_attributes=tuple(sorted(attributes.items())),
        sampler=retention.sdk_sampler(ratio), sampler_ratio=ratio, otlp_protocol=protocol, otlp_endpoint=endpoint,
        inbound=tuple(service.inbound), outbound=tuple(service.outbound), calls=tuple(service.calls),
        produces=tuple((t.system, t.topic) for t in service.messaging.produces),
        consumes=tuple((t.system, t.topic) for t in service.messaging.consumes),
        datastores=tuple(service.datastores),
        owner_team=service.owner.team if service.owner else None,
        owner_oncall=service.owner.oncall if service.owner else None,
        namespace=(service.kubernetes.namespace or (k8s.edge_namespaces[0] if service.edge and k8s.edge_namespaces else
                   (k8s.app_namespaces[0] if k8s.app_namespaces else "default"))) if k8s else None,
        workload=service.kubernetes.workload,
        unit=(service.vm.unit or f"{name}.service") if hosts else None, health_url=service.vm.health_url if hosts else None,
        hosts=hosts, platform=runs_on, baggage_budget_bytes=bp.standards.baggage_budget_bytes,
        slo=pm.Slo(service.slo.availability, service.slo.latency_ms, service.slo.latency_objective)
        if service.slo else None)


def _sdk_mode(service: bm.Service, bp: bm.Blueprint, kubernetes: bool) -> str:
    """operator where the blueprint asks for it, on Kubernetes, for a language the Operator injects (TG703
    reports the others, which keep the generated route)."""
    asked = (service.sdk or bp.sdk).mode
    return "operator" if asked == "operator" and kubernetes and languages.get(service.language).operator_inject \
        else "generated"


def plan_environment(loaded: LoadedBlueprint, view: EnvironmentView, source: str | None = None) -> pm.EnvironmentPlan:
    """The environment's plan, decided once per loaded blueprint (plan/once.py): check's rules, the
    refusals and build all ask for it."""
    source = source or loaded.file
    planned = once(loaded, view, "planned", lambda: _planned(loaded, view))
    return once(loaded, view, ("collectors", source),
                lambda: replace(planned, collectors=collector_set(planned, source)))


def _planned(loaded: LoadedBlueprint, view: EnvironmentView) -> pm.EnvironmentPlan:
    found = list(secrets.literals(view.blueprint))
    if found:   # TG503 reports these from here: no suppression lets a credential reach any output
        (path, message), *rest = found
        raise PlanRefusal(path, message, tuple(Refusal(p, m, code="TG503") for p, m in rest), code="TG503")
    env = _environment(loaded, view)
    # The OTEL_* variables, with the remote sampler where the agents serve sampling strategies (edge_head).
    # They read the finished environment, so they are filled in here, before the plan is handed to anyone:
    # set in place on the services just made (a `replace` per service was a tenth of a check's time).
    for service in env.services:
        object.__setattr__(service, "otel_env",
                           remote_sampling.with_remote_sampler(env, service, otel_variables(service)))
    judge_plan(view, env)
    return env


def _environment(loaded: LoadedBlueprint, view: EnvironmentView) -> pm.EnvironmentPlan:
    bp = view.blueprint
    agents, gateway, resolvers = _tiers(view, _needs_gateway(bp, retention.tail_on(bp)))
    sampling = retention.evaluate(view, sampling_tier(agents, gateway))
    tail = _tail(bp, sampling)
    metrics = bp.topology.derived_metrics
    whole_traces = tail or metrics.span_metrics or metrics.service_graph
    if whole_traces and gateway is None and (len(agents) > 1 or any(
            a.platform == "kubernetes" or a.replicas > 1 for a in agents)):
        # Never emit the classic mistake, even if TG501 was suppressed: spans of one trace would be
        # judged on different instances and kept or dropped piecemeal.
        needs = " and ".join(what for what, on in (("tail sampling", tail), ("span metrics", metrics.span_metrics),
                                                    ("the service graph", metrics.service_graph)) if on)
        if bp.topology.gateway.enabled is False or not view.platform.vm:
            raise PlanRefusal(("topology", "gateway", "enabled"),
                              f"{needs} judge whole traces, but with several agents and no gateway tier the "
                              "spans of one trace are judged apart: set topology.gateway.enabled: true (agents "
                              "then route by trace ID to the gateways)", code="TG501")
        raise PlanRefusal(("environments", view.name, "platform", "vm"),
                          f"{needs} judge whole traces, so this VM fleet needs a gateway tier, but it names no "
                          "gateway hosts: list them in platform.vm.gateways", code="TG501")
    k8s = view.platform.kubernetes
    agent_host = f"{AGENT_SERVICE}.{k8s.namespace}.svc.cluster.local" if k8s else "127.0.0.1"
    mesh = None
    if bp.mesh.istio and k8s:
        istio = bp.mesh.istio
        mesh = pm.Mesh(retention.mesh_percentage(bp), istio.provider_name, istio.root_namespace,
                       agent_host, pm.OTLP_GRPC_PORT)
    ingress = None
    if bp.ingress and k8s:
        ingress = pm.Ingress(bp.ingress.kind, bp.ingress.namespace, agent_host, pm.OTLP_GRPC_PORT,
                             retention.edge_rate(bp))
    return pm.EnvironmentPlan(
        name=view.name, blueprint_name=bp.name,
        collector_version=bp.topology.collector_version or versions.COLLECTOR_VERSION,
        agents=agents, gateway=gateway, resolvers=resolvers, transport=transport.decide(view, agents, gateway),
        exporters=tuple(_exporter(name, backend) for name, backend in migration.backends_of(view).items()),
        tail_sampling=tail, sampling=sampling, privacy=_privacy(bp.standards),
        services=tuple(_service(name, s, view, agents) for name, s in sorted(bp.services.items())),
        derived_metrics=pm.DerivedMetrics(metrics.span_metrics, metrics.service_graph, metrics.prometheus_port),
        persistent_queue=bp.topology.persistent_queue, attribute_mapping=migration.attribute_mapping(view),
        resource_attributes=(("deployment.environment.name", view.name),),
        collector_deployment=bp.topology.deployment,
        kubernetes_cluster=k8s.cluster if k8s else None,
        app_namespaces=tuple(k8s.app_namespaces) if k8s else (),
        edge_namespaces=tuple(k8s.edge_namespaces) if k8s else (),
        prometheus_namespaces=tuple(k8s.prometheus_namespaces) if k8s else (),
        mesh=mesh, ingress=ingress,
        gitops=pm.GitOps(bp.gitops.repo_url, bp.gitops.revision, bp.gitops.path.strip("/"), bp.gitops.project)
        if bp.gitops else None,
        vm_groups=tuple((g, tuple(h.name for h in body.hosts))
                        for g, body in sorted(view.platform.vm.groups.items())) if view.platform.vm else ())


def build_plan(loaded: LoadedBlueprint, source: str | None = None) -> pm.Plan:
    """Plan every environment, in name order so output is stable. `source` is the blueprint path as
    it should appear in generated files (relative, never a machine path)."""
    secrets.refuse_literals(loaded)   # even when TG503 was skipped: no credential reaches any output
    environments, refused = collect(loaded, lambda ld, view: plan_environment(ld, view, source or loaded.file))
    if refused:
        raise PlanRefused(refused)
    return pm.Plan(blueprint_name=loaded.blueprint.name, source_file=source or loaded.file,
                   environments=tuple(environments), migrations=migration.plan_migrations(loaded))


def refusals(loaded: LoadedBlueprint, code: str = "TG001") -> list[Refusal]:
    """What the planner refuses for this blueprint that rule `code` reports, with blueprint paths."""
    return reported(loaded, code, plan_environment)
