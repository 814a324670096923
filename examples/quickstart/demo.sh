#!/usr/bin/env bash
# Plan and apply the quick-start example against the built-in sandbox (no LeadExec account
# needed), then plan again to show that nothing is left to do. Needs only Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/lexsync ]; then
  echo "First run: installing lexsync and its dependencies into .venv (about a minute; later runs skip this)."
  python3 -m venv .venv
  echo "  upgrading pip..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  echo "  installing lexsync (each package is named as it is fetched)..."
  # pip's own "Collecting ..." lines are the progress; the rest of its output is noise here.
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -e . \
    | { grep -E '^(Collecting|Successfully installed)' || true; }
  echo "Installed. Running the demo."
  echo
fi
export ACME_PORTAL_PASSWORD="${ACME_PORTAL_PASSWORD:-demo-portal-password}"
config=examples/quickstart/lexsync.yaml
rm -rf examples/quickstart/.lexsync   # a fresh sandbox and state each run
.venv/bin/lexsync validate -c "$config"
.venv/bin/lexsync plan -c "$config" --api sandbox
.venv/bin/lexsync apply -c "$config" --api sandbox --auto-approve
echo
echo "== plan after apply =="
.venv/bin/lexsync plan -c "$config" --api sandbox --detailed-exitcode
