"""The collector component catalog: canonical ids, the type name each collector version loads, and
the Go module (with its version) the builder needs.

Canonical ids are ``kind/snake_case_name`` and never change; the names written into a collector
config do. In 2026 the collector renamed many types to snake_case and kept the old names as
deprecated aliases, while older collectors do not know the new names at all — so the name is
chosen from the target collector version: the new name from the first version that has it, the old
one before.

Verified (type and ``deprecated_type`` read from each module's ``metadata.yaml`` at the versions
listed, fetched with ``go mod download``; ``otelcol validate`` on built distributions at 0.160.0
and 0.165.0, whose "valid values" list shows the aliases loading). "Last old"/"first new" are the
closest versions checked; where the Go module proxy serves no version between them, the release is
taken from the rename's pull request merge date (marked ``PR``).

=============================  ======================  =========  =========  ===================
canonical                      old -> new              last old   first new  new name from
=============================  ======================  =========  =========  ===================
exporter/otlp_grpc             otlp -> otlp_grpc       0.142.0    0.144.0    0.144.0 (PR 01-09)
exporter/otlp_http             otlphttp -> otlp_http   0.142.0    0.144.0    0.144.0 (PR 01-08)
processor/k8s_attributes       k8sattributes           0.145.0    0.146.0    0.146.0
connector/span_metrics         spanmetrics             0.150.0    0.151.0    0.151.0
connector/service_graph        servicegraph            0.145.0    0.152.0    0.152.0 (no PR found)
exporter/load_balancing        loadbalancing           0.152.0    0.157.0    0.153.0 (PR 05-19)
processor/resource_detection   resourcedetection       0.152.0    0.155.0    0.153.0 (PR 05-19)
exporter/prometheus_remote_w.  prometheusremotewrite   0.153.0    0.154.0    0.154.0
=============================  ======================  =========  =========  ===================

The receiver stays ``otlp``. Unchanged through 0.165.0: memory_limiter, batch, resource,
attributes, redaction, transform, tail_sampling, filter, probabilistic_sampler, debug, file,
datadog, prometheus, forward, health_check, file_storage, pprof, zpages. ``jaegerremotesampling``
is verified only up to 0.145.0 (the proxy serves no later version of its module). Where the first
new version is uncertain the old name is kept longer: it still loads, only with a warning.

Module versions: core and contrib components are tagged with the collector version; the core's
stable modules (the confmap providers) are tagged v1.(minor - 94), and k8sattributesprocessor,
stable since 0.161.0, v1.(minor - 161).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegen import versions
from tracegen.errors import BlueprintError

CORE = "go.opentelemetry.io/collector"
CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"

# The supported range lives with every other pinned version (versions.py): the oldest whose names
# were checked (every module's metadata.yaml at 0.120.0), the newest checked (0.165.0).
MIN_SUPPORTED_COLLECTOR_VERSION = versions.MIN_SUPPORTED_COLLECTOR_VERSION
NEWEST_VERIFIED_COLLECTOR_VERSION = versions.NEWEST_VERIFIED_COLLECTOR_VERSION

KINDS = ("receiver", "processor", "exporter", "connector", "extension")

# The core's stable modules carry v1.(minor - 94): 0.120.0 pairs with v1.26.0, 0.165.0 with v1.71.0.
_CORE_STABLE_OFFSET = 94


class UnknownComponent(KeyError):
    """A canonical component id the catalog does not know."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class UnsupportedCollectorVersion(BlueprintError, ValueError):
    """A collector version older than the catalog has names for, or not of the form 0.N.P. The
    blueprint's schema checks `topology.collector_version` with `check_supported`, so users meet it
    with a position; a ValueError too, so pydantic validators may let it through as theirs."""


@dataclass(frozen=True)
class Component:
    canonical: str
    module: str
    # (first collector version, type name), oldest first.
    names: tuple[tuple[str, str], ...]
    # First collector version whose module is tagged v1.x, and the minor that maps to v1.0.
    stable_since: str | None = None

    @property
    def kind(self) -> str:
        return self.canonical.split("/", 1)[0]


def _c(canonical: str, module: str, *renames: tuple[str, str], old: str | None = None,
       stable_since: str | None = None) -> Component:
    base = canonical.split("/", 1)[1]
    names = ((MIN_SUPPORTED_COLLECTOR_VERSION, old or base),) + renames
    return Component(canonical, module, names, stable_since)


_CATALOG: tuple[Component, ...] = (
    _c("receiver/otlp", f"{CORE}/receiver/otlpreceiver"),
    _c("processor/memory_limiter", f"{CORE}/processor/memorylimiterprocessor"),
    _c("processor/batch", f"{CORE}/processor/batchprocessor"),
    _c("processor/resource", f"{CONTRIB}/processor/resourceprocessor"),
    _c("processor/attributes", f"{CONTRIB}/processor/attributesprocessor"),
    _c("processor/redaction", f"{CONTRIB}/processor/redactionprocessor"),
    _c("processor/transform", f"{CONTRIB}/processor/transformprocessor"),
    _c("processor/tail_sampling", f"{CONTRIB}/processor/tailsamplingprocessor"),
    _c("processor/k8s_attributes", f"{CONTRIB}/processor/k8sattributesprocessor",
       ("0.146.0", "k8s_attributes"), old="k8sattributes", stable_since="0.161.0"),
    _c("processor/resource_detection", f"{CONTRIB}/processor/resourcedetectionprocessor",
       ("0.153.0", "resource_detection"), old="resourcedetection"),
    _c("processor/filter", f"{CONTRIB}/processor/filterprocessor"),
    _c("processor/probabilistic_sampler", f"{CONTRIB}/processor/probabilisticsamplerprocessor"),
    _c("exporter/otlp_grpc", f"{CORE}/exporter/otlpexporter", ("0.144.0", "otlp_grpc"), old="otlp"),
    _c("exporter/otlp_http", f"{CORE}/exporter/otlphttpexporter", ("0.144.0", "otlp_http"), old="otlphttp"),
    _c("exporter/debug", f"{CORE}/exporter/debugexporter"),
    _c("exporter/load_balancing", f"{CONTRIB}/exporter/loadbalancingexporter",
       ("0.153.0", "load_balancing"), old="loadbalancing"),
    _c("exporter/file", f"{CONTRIB}/exporter/fileexporter"),
    _c("exporter/datadog", f"{CONTRIB}/exporter/datadogexporter"),
    _c("exporter/prometheus", f"{CONTRIB}/exporter/prometheusexporter"),
    _c("exporter/prometheus_remote_write", f"{CONTRIB}/exporter/prometheusremotewriteexporter",
       ("0.154.0", "prometheus_remote_write"), old="prometheusremotewrite"),
    _c("connector/span_metrics", f"{CONTRIB}/connector/spanmetricsconnector",
       ("0.151.0", "span_metrics"), old="spanmetrics"),
    _c("connector/service_graph", f"{CONTRIB}/connector/servicegraphconnector",
       ("0.152.0", "service_graph"), old="servicegraph"),
    _c("connector/forward", f"{CORE}/connector/forwardconnector"),
    _c("extension/health_check", f"{CONTRIB}/extension/healthcheckextension"),
    # Its own module, not a package of extension/storage: naming the parent drags in its newest version.
    _c("extension/file_storage", f"{CONTRIB}/extension/storage/filestorage"),
    _c("extension/jaegerremotesampling", f"{CONTRIB}/extension/jaegerremotesampling"),
    _c("extension/pprof", f"{CONTRIB}/extension/pprofextension"),
    _c("extension/zpages", f"{CORE}/extension/zpagesextension"),
)

CATALOG: dict[str, Component] = {c.canonical: c for c in _CATALOG}

# Other spellings of a canonical id that callers may use (the pre-rename id of the connector).
ALIASES = {"connector/servicegraph": "connector/service_graph"}

# The Go module proxy this project builds from serves the collector's modules only in part (found
# with `go mod download` and real builds, November 2026). Per collector version: components that
# cannot be built from it, and components built from another version of their module that is
# served. Versions not listed here were not investigated and are assumed complete.
PROXY_GAPS: dict[str, dict[str, str]] = {
    "0.165.0": {
        # internal/filter v0.165.0 imports pkg/ottl/contexts/xprofile, a module the proxy does not
        # serve at any version; filter, tail_sampling and attributes all import it.
        "processor/filter": "imports internal/filter, which imports the unserved pkg/ottl/contexts/xprofile",
        "processor/tail_sampling": "imports internal/filter, which imports the unserved pkg/ottl/contexts/xprofile",
        "processor/attributes": "imports internal/filter, which imports the unserved pkg/ottl/contexts/xprofile",
        "processor/transform": "imports pkg/expohisto and pkg/ottl/contexts/xprofile, modules the proxy does not serve",
        "exporter/load_balancing": "loadbalancingexporter v0.162.0 to v0.165.x are not served",
        "processor/k8s_attributes": "v1.4.0 requires go.opentelemetry.io/otel v1.47.1-0.20261102082644-9c507082cd98, not served",
        "processor/resource_detection": "v0.165.0 declares go 1.26.9 (newer than the Go here) and v0.164.1 imports "
                                        "go.opentelemetry.io/contrib/detectors/* v0.19.0, not served",
        "connector/service_graph": "servicegraphconnector v0.159.0 to v0.165.x are not served",
        "extension/jaegerremotesampling": "the proxy serves no version of it after v0.145.0 that builds with 0.165",
        "exporter/datadog": "v0.165.0 declares go 1.26.9; v0.164.1 imports datadog-agent modules that are not served",
        "exporter/prometheus": "prometheusexporter v0.162.0 to v0.165.x are not served",
    },
    "0.160.0": {
        "exporter/datadog": "imports datadog-agent modules (v0.82.0) that the proxy does not serve",
        "connector/forward": "forwardconnector v0.160.0 is not served",
    },
}
MODULE_VERSION_OVERRIDES: dict[tuple[str, str], str] = {
    # (canonical, collector version): module version. Each builds with that collector's core.
    ("connector/service_graph", "0.160.0"): "v0.158.0",
    ("extension/jaegerremotesampling", "0.160.0"): "v0.145.0",
    ("exporter/prometheus", "0.160.0"): "v0.159.0",
}


def parse_version(version: str) -> tuple[int, int, int]:
    parts = version.removeprefix("v").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise UnsupportedCollectorVersion(f"collector version {version!r} is not of the form 0.N.P")
    major, minor, patch = (int(p) for p in parts)
    if major != 0:
        raise UnsupportedCollectorVersion(f"collector version {version!r}: only 0.N.P collector releases are known")
    return major, minor, patch


def check_supported(version: str) -> str:
    """`version` if tracegen knows the component names of that collector; else UnsupportedCollectorVersion."""
    _check_supported(version)
    return version


def _check_supported(version: str) -> tuple[int, int, int]:
    parsed = parse_version(version)
    if parsed < parse_version(MIN_SUPPORTED_COLLECTOR_VERSION):
        raise UnsupportedCollectorVersion(
            f"collector {version} is older than {MIN_SUPPORTED_COLLECTOR_VERSION}, the oldest whose component "
            f"names tracegen has verified")
    if parsed > parse_version(NEWEST_VERIFIED_COLLECTOR_VERSION):
        raise UnsupportedCollectorVersion(
            f"collector {version} is newer than {NEWEST_VERIFIED_COLLECTOR_VERSION}, the newest whose component "
            f"names tracegen has verified (components may have been renamed since)")
    return parsed


def resolve(canonical: str) -> str:
    """The canonical id for ``canonical`` or one of its accepted spellings."""
    return ALIASES.get(canonical, canonical)


def get(canonical: str) -> Component:
    try:
        return CATALOG[resolve(canonical)]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise UnknownComponent(f"unknown collector component {canonical!r} (known: {known})") from None


def kind(canonical: str) -> str:
    """``receiver``, ``processor``, ``exporter``, ``connector`` or ``extension``."""
    return get(canonical).kind


def config_name(canonical: str, collector_version: str) -> str:
    """The type name the collector at ``collector_version`` loads for ``canonical``."""
    component = get(canonical)
    version = _check_supported(collector_version)
    name = component.names[0][1]
    for since, candidate in component.names:
        if version >= parse_version(since):
            name = candidate
    return name


def canonical_for(kind: str, type_name: str, collector_version: str) -> str:
    """The canonical id of the component a config at ``collector_version`` names ``type_name`` in its
    ``kind`` section (the inverse of config_name; deprecated aliases a version still loads count too)."""
    version = _check_supported(collector_version)
    for component in _CATALOG:
        if component.kind == kind and any(name == type_name and version >= parse_version(since)
                                          for since, name in component.names):
            return component.canonical
    raise UnknownComponent(f"no {kind} named {type_name!r} in the catalog at collector {collector_version}")


def module_version(canonical: str, collector_version: str) -> str:
    """The version of ``canonical``'s Go module that goes with ``collector_version``."""
    component = get(canonical)
    _, minor, patch = _check_supported(collector_version)
    override = MODULE_VERSION_OVERRIDES.get((component.canonical, collector_version))
    if override:
        return override
    if component.stable_since and (0, minor, patch) >= parse_version(component.stable_since):
        return f"v1.{minor - parse_version(component.stable_since)[1]}.{patch}"
    return f"v0.{minor}.{patch}"


def gomod(canonical: str, collector_version: str) -> str:
    """The builder manifest's ``gomod`` line: ``"<module> v<version>"``."""
    return f"{get(canonical).module} {module_version(canonical, collector_version)}"


def core_stable_version(collector_version: str) -> str:
    """The v1.x version of the core's stable modules (confmap providers) released with it."""
    _, minor, patch = _check_supported(collector_version)
    return f"v1.{minor - _CORE_STABLE_OFFSET}.{patch}"


def unavailable(canonical: str, collector_version: str) -> str | None:
    """Why ``canonical`` cannot be built from the module proxy at that version, or None."""
    return PROXY_GAPS.get(collector_version, {}).get(get(canonical).canonical)


def all_components() -> list[str]:
    return sorted(CATALOG)
