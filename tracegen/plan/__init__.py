"""Planning: the resolved per-environment model targets are built from."""
