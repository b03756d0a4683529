#!/bin/sh
# One-shot job (temporalio/admin-tools), once the Temporal server is healthy: the namespace and the
# search attributes the doorstep workflows keep current (workflows/contract.ts, SA). Idempotent.
set -eu
: "${TEMPORAL_ADDRESS:?}"
NS=${TEMPORAL_NAMESPACE:-default}
temporal operator namespace describe --namespace "$NS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NS" --retention "${TEMPORAL_RETENTION:-30d}"
add() {
  temporal operator search-attribute create --namespace "$NS" --name "$1" --type "$2" 2>&1 \
    | grep -v -i 'already exists' || true
}
add DoorstepCounty Keyword
add DoorstepDepartment Keyword
add DoorstepItem Keyword
add DoorstepStep Keyword
add DoorstepDueAt Datetime
add DoorstepOverdue Bool
add DoorstepGreenChannel Bool
temporal operator search-attribute list --namespace "$NS"
echo "setup-namespace: done"
