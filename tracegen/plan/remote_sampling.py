"""Remote head sampling for the `edge_head` strategy: live modes that reach the SDKs.

With `sampling.strategy: edge_head` the SDKs drop traces before they exist, so a sampling mode that
only changes the gateways' tail policies (incident: keep every trace) cannot bring back what the
apps never recorded. Here the head rate itself becomes live: each node's collector agent runs the
`jaegerremotesampling` extension, which serves per-service probabilistic strategies from a file it
re-reads every RELOAD_INTERVAL, and the SDKs that support it use the `parentbased_jaeger_remote`
sampler, polling the agent every POLLING_INTERVAL_MS. A mode switch replaces the file the extension
reads (`sampling-strategies/active.json`) with that mode's file: no app or collector restarts.

SDK support at the pinned versions (tracegen/versions.py), checked November 2026:

- Java agent 2.33.1: built in (the SDK's jaeger-remote-sampler extension is in the agent jar).
  `OTEL_TRACES_SAMPLER=parentbased_jaeger_remote`, `OTEL_TRACES_SAMPLER_ARG=endpoint=<gRPC URL of
  the agent's extension>,pollingIntervalMs=<ms>,initialSamplingRate=<ratio>` (`pollingInterval` is
  the deprecated key). It polls over gRPC (port 14250).
- Go: `go.opentelemetry.io/contrib/samplers/jaegerremote` v0.38.0 (built against otel v1.47.0, the
  pinned SDK) polls over HTTP (`endpoint=http://<agent>:5778/sampling`); its own parser reads
  `pollingIntervalMs` and `initialSamplingRate` from OTEL_TRACES_SAMPLER_ARG. The generated Go
  bootstrap wraps it in ParentBased (targets/sdk/go.py).
- Node.js: `@opentelemetry/sampler-jaeger-remote` exists (newest 0.222.0) but pins
  `@opentelemetry/sdk-trace` 2.11.0 exactly, a second SDK core beside the pinned 2.12.0 line, and has
  no release on the 0.223 line the other packages use. Not wired: Node services keep ratio sampling.
- Python: no Jaeger remote sampler is published on PyPI for the 1.45 SDK (the contrib repository's
  `opentelemetry-sdk-sampler-jaeger-remote` has no release). Python services keep ratio sampling.

Services that keep ratio sampling do not follow a mode switch at the head: the strategies files list
only the services that poll, and `unsupported()` names the others for the plan and the runbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tracegen import languages
from tracegen.encoding import host_port
from tracegen.plan import model as pm
from tracegen.plan.otel_env import ratio_text
from tracegen.serialize import to_json

EXTENSION = "extension/jaegerremotesampling"
EDGE_HEAD = "edge_head"
DEFAULT_MODE = "default"
HTTP_PORT = 5778               # the extension's and Jaeger's defaults
GRPC_PORT = 14250
LOCAL_HTTP_OFFSET = 4          # local platform: beside the agent's OTLP/health/metrics ports (+0..+3)
LOCAL_GRPC_OFFSET = 5
RELOAD_INTERVAL_S = 5          # the agent re-reads the strategies file
POLLING_INTERVAL_MS = 10_000   # the SDKs ask the agent
STRATEGIES_DIRECTORY = "sampling-strategies"     # under <env>/collector/
ACTIVE_FILE = "active.json"
# Where the agents find the strategies files. Kubernetes: the agent ConfigMap's keys, mounted under
# the config mount (/conf, targets/kubernetes_common.CONFIG_MOUNT) by the agent workload; local: the
# agent's working directory, <env>/collector/ (the collector README runs it from there). VM agents
# are not served yet: the Ansible role does not install the files, and the extension refuses to
# start without its file, so services on VMs keep ratio sampling.
STRATEGIES_PATH = {"kubernetes": f"/conf/{STRATEGIES_DIRECTORY}", "local": STRATEGIES_DIRECTORY}
BASELINE_TYPES = ("probabilistic", "rate_limit")


@dataclass(frozen=True)
class Support:
    protocol: str | None          # how the SDK polls: grpc | http; None: no remote sampler
    note: str


SDK_SUPPORT: dict[str, Support] = {
    "java": Support("grpc", "the Java agent 2.33.1 has the parentbased_jaeger_remote sampler built in"),
    "go": Support("http", "go.opentelemetry.io/contrib/samplers/jaegerremote v0.38.0 in the generated bootstrap"),
    "node": Support(None, "@opentelemetry/sampler-jaeger-remote 0.222.0 pins @opentelemetry/sdk-trace 2.11.0, "
                          "a second SDK core beside the pinned 2.12.0 line"),
    "python": Support(None, "no Jaeger remote sampler is published on PyPI for the pinned 1.45 SDK"),
}


@dataclass(frozen=True)
class RemoteSampler:
    """What one service's SDK is told: the sampler and its argument."""

    sampler: str
    arg: str
    endpoint: str


def in_play(env: pm.EnvironmentPlan) -> bool:
    """Remote sampling is generated for the edge_head strategy, where some SDK drops at the root, on
    agents that can be given the strategies files (not VMs, not per-pod sidecars)."""
    model = env.sampling
    return model is not None and live(model.strategy, (s.sampler_ratio for s in env.services), env.agents[0])


def live(strategy: str, ratios, agent: pm.Tier) -> bool:
    """in_play from its parts, for the retention model (computed before the EnvironmentPlan exists)."""
    return strategy == EDGE_HEAD and any(r < 1 for r in ratios) and served(agent)


def support(language: str) -> Support | None:
    """SDK_SUPPORT of the SDK the language's services get (Kotlin and Scala: the Java agent's)."""
    return SDK_SUPPORT.get(languages.get(language).sdk_output or language)


def polls(language: str) -> bool:
    """The service's SDK polls the agent for its head rate (SDK_SUPPORT)."""
    return (support(language) or Support(None, "")).protocol is not None


def served(tier: pm.Tier) -> bool:
    return tier.platform in STRATEGIES_PATH and tier.placement != "sidecar"


def _agent(env: pm.EnvironmentPlan, service: pm.ServicePlan | None = None) -> pm.Tier:
    return env.agents[0]


def ports(tier: pm.Tier) -> tuple[int, int]:
    """(http, grpc) ports of the agent's strategy server."""
    if tier.platform == "local":
        base = (tier.instances[0].ports if tier.instances else tier.ports).otlp_grpc
        return base + LOCAL_HTTP_OFFSET, base + LOCAL_GRPC_OFFSET
    return HTTP_PORT, GRPC_PORT


def _bind_host(tier: pm.Tier) -> str:
    # Kubernetes and VM agents serve the pods or processes of their node; a local agent only loopback.
    return "127.0.0.1" if tier.platform == "local" else "0.0.0.0"   # noqa: S104 - node-local agent


def extension(env: pm.EnvironmentPlan, tier: pm.Tier) -> dict | None:
    """The agent's `jaegerremotesampling` config (keys of the extension at the pinned module
    v0.145.0: `http`/`grpc` server settings and `source.file` + `source.reload_interval`), or None
    when remote sampling is not in play. The config's type name is the catalog's."""
    if not in_play(env) or not pollers(env) or not served(tier):
        return None
    http, grpc = ports(tier)
    host = _bind_host(tier)
    return {
        "http": {"endpoint": host_port(host, http)},
        "grpc": {"endpoint": host_port(host, grpc)},
        "source": {"file": f"{STRATEGIES_PATH[tier.platform]}/{ACTIVE_FILE}",
                   "reload_interval": f"{RELOAD_INTERVAL_S}s"},
    }


def sdk_sampler(env: pm.EnvironmentPlan, service: pm.ServicePlan) -> RemoteSampler | None:
    """The remote sampler of a service whose SDK supports it, in an environment where it is in play."""
    found = support(service.language)
    if not in_play(env) or found is None or found.protocol is None:
        return None
    tier = _agent(env, service)
    host = urlsplit(service.otlp_endpoint).hostname or "localhost"
    http, grpc = ports(tier)
    if found.protocol == "grpc":
        endpoint = f"http://{host_port(host, grpc)}"
    else:
        endpoint = f"http://{host_port(host, http)}/sampling"
    arg = (f"endpoint={endpoint},pollingIntervalMs={POLLING_INTERVAL_MS},"
           f"initialSamplingRate={ratio_text(service.sampler_ratio)}")
    return RemoteSampler("parentbased_jaeger_remote", arg, endpoint)


def with_remote_sampler(env: pm.EnvironmentPlan, service: pm.ServicePlan,
                        variables: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """`variables` (the service's OTEL_*) with OTEL_TRACES_SAMPLER[_ARG] switched to the remote sampler
    where the service polls the agent; unchanged otherwise."""
    remote = sdk_sampler(env, service)
    if remote is None:
        return variables
    values = {"OTEL_TRACES_SAMPLER": remote.sampler, "OTEL_TRACES_SAMPLER_ARG": remote.arg}
    return tuple((name, values.get(name, value)) for name, value in variables)


def pollers(env: pm.EnvironmentPlan) -> tuple[pm.ServicePlan, ...]:
    return tuple(s for s in env.services if polls(s.language))


def unsupported(env: pm.EnvironmentPlan) -> tuple[tuple[str, str], ...]:
    """(service, why) for services under edge_head whose head rate a mode switch does not reach."""
    model = env.sampling
    if model is None or model.strategy != EDGE_HEAD:
        return ()
    if not in_play(env):
        tier = env.agents[0]
        why = f"the {tier.platform} agents ({tier.placement}) are not given strategies files"
        return tuple((s.name, why) for s in env.services if s.sampler_ratio < 1)
    return tuple((s.name, support(s.language).note if support(s.language) else f"language {s.language}")
                 for s in env.services if s not in pollers(env) and s.sampler_ratio < 1)


def _probabilistic_share(policies: tuple[pm.Policy, ...]) -> float | None:
    shares = [float(p.get("percentage", 0)) / 100 for p in policies if p.type == "probabilistic"]
    return max(shares) if shares else None


def mode_ratio(base: float, default: tuple[pm.Policy, ...], mode: tuple[pm.Policy, ...]) -> float:
    """A service's head ratio in a mode. The head cannot see errors, latency or attributes, so a mode
    that adds a policy of its own (canary: keep traces with an attribute) records every trace and lets
    the gateway pick; a mode that raises the healthy share (incident: 100 %) raises the head to it."""
    known = {p.name for p in default}
    if any(p.name not in known and p.type not in BASELINE_TYPES for p in mode):
        return 1.0
    share, before = _probabilistic_share(mode), _probabilistic_share(default)
    if share is not None and (before is None or share > before):
        return max(base, min(1.0, share))
    return base


def modes(env: pm.EnvironmentPlan) -> tuple[str, ...]:
    """The default mode, then the blueprint's modes."""
    if env.sampling is None:
        return (DEFAULT_MODE,)
    return tuple(m.name for m in env.sampling.modes)


def _policies(env: pm.EnvironmentPlan, mode: str) -> tuple[pm.Policy, ...]:
    if env.sampling is None:
        return ()
    return next((m.policies for m in env.sampling.modes if m.name == mode), ())


def active_mode(env: pm.EnvironmentPlan) -> str:
    return env.sampling.mode if env.sampling is not None else DEFAULT_MODE


def documents(env: pm.EnvironmentPlan) -> dict[str, str]:
    """File name -> JSON text of every strategies file an agent needs (`<mode>.json`, `active.json`);
    empty when remote sampling is not in play. The files target writes them, the Kubernetes target
    puts the same texts in the agent ConfigMap."""
    if extension(env, env.agents[0]) is None:
        return {}
    texts = {f"{mode}.json": to_json(strategies(env, mode)) for mode in modes(env)}
    texts[ACTIVE_FILE] = texts[f"{active_mode(env)}.json"]
    return dict(sorted(texts.items()))


def strategies(env: pm.EnvironmentPlan, mode: str) -> dict:
    """The Jaeger sampling-strategies document the agent serves in `mode`: one probabilistic strategy
    per polling service; the default strategy (a service not listed) follows the edge services."""
    default, policies = _policies(env, DEFAULT_MODE), _policies(env, mode)
    listed = pollers(env)
    services = [{"service": s.name, "type": "probabilistic",
                 "param": mode_ratio(s.sampler_ratio, default, policies)} for s in listed]
    edge = [s.sampler_ratio for s in env.services if s.edge] or [s.sampler_ratio for s in env.services] or [1.0]
    return {"service_strategies": sorted(services, key=lambda s: s["service"]),
            "default_strategy": {"type": "probabilistic", "param": mode_ratio(max(edge), default, policies)}}
