"""Kept for imports inside targets: the one serialiser is tracegen.serialize (the plan serialises the
collector configs it computes, so the serialiser sits below both)."""

from tracegen.serialize import header, to_json, to_yaml, to_yaml_documents

__all__ = ["header", "to_json", "to_yaml", "to_yaml_documents"]
