#!/usr/bin/env bash
# Plan and apply the quick-start example against the built-in sandbox (no LeadExec account
# needed), then plan again to show that nothing is left to do. Needs only Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x .venv/bin/lexsync ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
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
