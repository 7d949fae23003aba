"""tracegen: compile a tracing blueprint into artifacts that agree with each other."""

__version__ = "0.1.0"
