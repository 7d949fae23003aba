"""External tools tracegen drives to prove its artifacts: build them, run them, read their verdict.

Everything here shells out and may take minutes; nothing in the load/plan/targets flow imports it.
"""
