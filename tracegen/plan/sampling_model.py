"""The retention model's values (computed by tracegen/plan/retention.py): the decision chain, the
share of each class of traces kept, and the volumes, per sampling mode. Plain values: targets may
read them from `EnvironmentPlan.sampling` without importing the blueprint."""

from __future__ import annotations

from dataclasses import dataclass

from tracegen.plan.model import Policy

DEFAULT_MODE = "default"      # the blueprint's own policies, in `modes`


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Stage:
    """One decision in the chain. `keeps` is the share of traces reaching it that it passes on."""

    stage: str                    # ingress | mesh | sdk:<service> | agent | gateway
    kind: str                     # head (decides) | follows (parent-based) | forward | tail
    keeps: float
    label: str                    # "Istio samples 10 % at the mesh"
    path: tuple = ()              # the blueprint setting that decides it
    fix: str = ""
    roots: tuple[str, ...] = ()   # root services whose traces this head decision applies to
    weight: float = 0.0           # share of root traffic it decides for
    ratio: float | None = None    # an SDK's configured root ratio, also where it only follows


@dataclass(frozen=True)
class Retention:
    errors: float
    slow: float
    healthy: float
    coverage: float               # root requests whose trace is recorded before any tail decision
    classes: tuple[tuple[str, float], ...] = ()   # tail policy name -> share of its matches kept


@dataclass(frozen=True)
class Backend:
    name: str
    spans_per_sec: float
    gb_per_day: float


@dataclass(frozen=True)
class Volumes:
    traces_per_sec: float                 # root requests (new traces) per second at the edge
    traces_recorded_per_sec: float
    spans_per_sec: float                  # spans the SDKs record
    gateway_spans_per_sec: float          # into the tier that tail-samples (the agent without gateways)
    gateway_spans_per_sec_per_replica: float
    exported_spans_per_sec: float         # to each backend
    backends: tuple[Backend, ...]
    num_traces: int                       # the tail buffer of one replica, as configured
    tail_buffer_bytes: int
    memory_limit_bytes: int | None        # the sampling tier's memory_limiter limit
    baseline_cap_spans_per_sec: float | None   # per replica; None: not capped


@dataclass(frozen=True)
class ModeModel:
    name: str
    policies: tuple[Policy, ...]
    retention: Retention
    volumes: Volumes


@dataclass(frozen=True)
class Targets:
    errors: float
    slow: float
    coverage: float
    healthy_min: float
    healthy_max: float
    propagation: float = 0.99


@dataclass(frozen=True)
class Assumptions:
    error_rate: float
    slow_rate: float
    span_bytes: int


@dataclass(frozen=True)
class SamplingModel:
    strategy: str
    mode: str                             # the mode the collectors start in
    chain: tuple[Stage, ...]
    modes: tuple[ModeModel, ...]          # DEFAULT_MODE first, then the blueprint's modes
    targets: Targets
    assumptions: Assumptions
    spans_per_trace: float
    replicas: int
    decision_wait_s: float | None

    def of(self, mode: str | None = None) -> ModeModel:
        return dict((m.name, m) for m in self.modes)[mode or self.mode]

    @property
    def retention(self) -> Retention:
        return self.of().retention

    @property
    def volumes(self) -> Volumes:
        return self.of().volumes

    @property
    def head_losses(self) -> tuple[Stage, ...]:
        """Head decisions that drop traces, the costliest first."""
        lossy = [s for s in self.chain if s.kind == "head" and s.keeps < 1]
        return tuple(sorted(lossy, key=lambda s: -(1 - s.keeps) * s.weight))
