"""`tracegen lint`: judge OpenTelemetry Collector configs that exist today, not blueprints.

The flow mirrors `tracegen check`: read (`source`: a collector config, or Kubernetes manifests whose
ConfigMaps carry one, with positions) -> model (`config.CollectorConfig`) -> rules (`rules/`, one
module per code, TL...) -> findings rendered by the standards report (text, JSON, SARIF). `fix`
rewrites renamed component names in place, byte for byte elsewhere.
"""
