#!/bin/sh
# Run lexsync drift and fail loudly: exit 2 (drift) and 1 (error) both print a report and
# leave a non-zero status for cron mail, CI or a monitoring wrapper to act on.
set -u
ENV_FILE=${LEXSYNC_ENV_FILE:-/etc/lexsync/env}
[ -r "$ENV_FILE" ] && . "$ENV_FILE"
REPORT=${LEXSYNC_DRIFT_REPORT:-drift-report.md}

lexsync drift --format markdown --out "$REPORT"
status=$?
case $status in
  0) exit 0 ;;
  2) echo "LeadExec DRIFT: someone changed LeadExec by hand, or the YAML is not applied." >&2
     cat "$REPORT" >&2
     exit 2 ;;
  *) echo "lexsync drift FAILED (exit $status): the check itself did not run." >&2
     exit "$status" ;;
esac
