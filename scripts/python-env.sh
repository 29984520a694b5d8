#!/usr/bin/env bash
# The training environment: models/.venv with the pinned requirements, rebuilt only when
# models/requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/../models"
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "== python venv for models/ (pinned requirements)"
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
echo "$want" > "$stamp"
