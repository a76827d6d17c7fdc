#!/usr/bin/env bash
# Create .venv-sdk: a Python >= 3.12 venv with the real horde-sdk client, used by tests/contract/test_sdk_roundtrip.py.
# horde-sdk 0.33.3 needs Python >= 3.12 (docs: ../shared/reference/horde-sdk.md §0). Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-sdk"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import horde_sdk" 2>/dev/null; then
  exit 0
fi
PY=""
for candidate in python3.14 python3.13 python3.12 "$(pyenv root 2>/dev/null)/versions/3.12.1/bin/python3.12"; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
     && "$candidate" -c 'import sys; raise SystemExit(sys.version_info < (3, 12))' 2>/dev/null; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then
  echo "setup_sdk_venv.sh: no Python >= 3.12 found; the horde-sdk contract test will be skipped" >&2
  exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q horde-sdk==0.33.3
