#!/usr/bin/env bash
# Re-record the bundled contract cassettes against the kit's local simulator (never Azure).
# The simulator serves the documented default account, whose identifiers equal the replay
# placeholders; its random keys and tokens are scrubbed like real ones. --batch-rotation records
# the opt-in key-rotation tests too: harmless here, the simulator's keys are throwaway.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
batchkeys serve --port 0 >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(head -n 1 "$out")
echo "recording against the simulator at $url"
env AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000 \
    BATCHKEYS_RESOURCE_GROUP=batchkeys-rg \
    BATCHKEYS_ACCOUNT_NAME=batchkeysacct \
    AZURE_TENANT_ID=00000000-0000-0000-0000-000000000000 \
    AZURE_CLIENT_ID=batchkeys-recorder \
    AZURE_CLIENT_SECRET=simulator-accepts-any-secret \
    BATCHKEYS_ENDPOINT="$url" \
    python -m pytest --batch-contract --batch-rotation --batch-record-all -p no:cacheprovider \
    --batch-max-examples="${BATCHKEYS_MAX_EXAMPLES:-60}" --batch-max-rate=1000 "$@"
