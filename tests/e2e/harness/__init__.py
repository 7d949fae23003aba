"""Helpers for the end-to-end tests: a loopback OTLP receiver standing in for the backends, real
collector processes run with tracegen's generated configs, known SDK traffic, and the arithmetic
that compares what was sent with what arrived."""
