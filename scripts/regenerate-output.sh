#!/usr/bin/env bash
# Rebuild output/ from blueprints/ (what tests/test_output_fresh.py compares against).
set -euo pipefail
cd "$(dirname "$0")/.."
for blueprint in blueprints/*.yaml; do
  name=$(basename "$blueprint" .yaml)
  python3 -m tracegen build "$blueprint" -o "output/$name" --force
done
