#!/usr/bin/env bash
# End-to-end smoke test of the docker-compose deployment on this machine (as root).
# Takes (environment, all optional):
#   ASSAY_CA_BUNDLE         PEM bundle for the install sandbox (default: $NODE_EXTRA_CA_CERTS, the
#                           host's proxy CA bundle; empty runs without a CA)
#   ASSAY_SMOKE_TIMEOUT_S   how long the submission may take to finish (default 900)
#   ...and what docker-compose.yml takes for its images (ASSAY_REDIS_IMAGE, ASSAY_NODE_IMAGE).
# Does: makes sure a compose tool exists (`docker compose`, else `docker-compose`, installed from
#   Debian when neither is there); runs scripts/setup.sh (images, install network, firewall);
#   builds the service image and checks it has git, setpriv and prlimit; brings the stack up under
#   a throwaway project name with a generated Redis password, an admin key and the CA bundle
#   (http:// and private repositories allowed for this run only, through an override file); serves
#   test/fixtures/simple-api/express (an Express app with dependencies) over git smart HTTP on the
#   compose network's gateway, where the workers can reach it; submits it through the public API
#   and polls until it is final. Always tears the stack down (`down -v`) and removes any sandbox
#   container the run left behind.
# Prints: one line per step with its duration, the submission's status changes, then its score
#   and the install step. Exits 0 only when the submission completed with 100%.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

timeout_s=${ASSAY_SMOKE_TIMEOUT_S:-900}
started_at=$(date +%s)
work=$(mktemp -d /tmp/assay-compose-smoke.XXXXXX)
project=assay-smoke-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
git_pid=
compose=()

step_start=0
step() { step_start=$(date +%s%N); printf '[smoke] %-30s ' "$1"; }
done_() { printf '%s (%d ms)\n' "$1" $(( ($(date +%s%N) - step_start) / 1000000 )); }
# Runs a command with its output in $work/<name>.log; on failure shows the log's tail.
quiet() {
  local log=$work/$1.log
  shift
  if ! "$@" >"$log" 2>&1; then
    printf 'failed: %s\n' "$*"
    tail -n 30 "$log" | sed 's/^/  | /'
    return 1
  fi
}
# Prints one field of the JSON on stdin (`a.b.0.c`); objects as JSON, absent as empty.
jget() {
  node -e 'const v = process.argv[1].split(".").filter(Boolean).reduce((a, k) => (a == null ? a : a[k]), JSON.parse(require("fs").readFileSync(0, "utf8")));
    console.log(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));' "$1"
}
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml -f "$work/smoke.yml" "$@"; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$rc" != 0 ] && [ ${#compose[@]} -gt 0 ] && [ -f "$work/smoke.yml" ]; then
    echo "[smoke] worker log (last lines):"
    dc logs --no-color --tail 15 worker 2>/dev/null | sed 's/^/  | /'
  fi
  step "teardown"
  [ -n "$git_pid" ] && kill "$git_pid" 2>/dev/null && wait "$git_pid" 2>/dev/null
  if [ ${#compose[@]} -gt 0 ] && [ -f "$work/smoke.yml" ]; then
    dc down -v --remove-orphans -t 60 >"$work/down.log" 2>&1 || { echo; tail -n 20 "$work/down.log" | sed 's/^/  | /'; }
  fi
  # Sandboxes are started by the workers, not by compose: remove what a killed job left behind.
  # The label is this run's key prefix, so nothing of another deployment is touched.
  local left
  left=$(docker ps -aq --filter "label=dev.assay.deployment=$project")
  [ -n "$left" ] && docker rm -f $left >/dev/null
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
  left+=$(docker network ls -q --filter "label=com.docker.compose.project=$project")
  left+=$(docker volume ls -q --filter "label=com.docker.compose.project=$project")
  rm -rf "$work"
  if [ -n "$left" ]; then done_ "LEFTOVERS of $project remain (docker ps -a / network ls / volume ls)"; rc=1; else done_ "removed $project"; fi
  echo "[smoke] $( [ "$rc" = 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - started_at )) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools and images ---------------------------------------------------------------------
step "compose tool"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  quiet apt sh -c 'apt-get update -qq && apt-get install -y -qq docker-compose'
  compose=(docker-compose)
fi
done_ "${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"

step "setup (images, install network)"
quiet setup bash scripts/setup.sh
done_ "ok"

# This run's settings (compose interpolates them even to build).
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
admin_key=smoke-admin-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
ASSAY_REDIS_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
ASSAY_SESSION_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ASSAY_REDIS_PASSWORD ASSAY_SESSION_SECRET
export ASSAY_API_KEYS=smoke:admin:$admin_key
export ASSAY_KEY_PREFIX=$project ASSAY_API_PUBLISH_PORT=$port ASSAY_PUBLIC_URL=http://127.0.0.1:$port
export ASSAY_WORKER_CONCURRENCY=1

step "service image"
# The sample repository is served over http from a private address: allowed in this run only.
cat >"$work/smoke.yml" <<'YAML'
services:
  api:
    environment: { ASSAY_FETCH_ALLOW_HTTP: "true", ASSAY_FETCH_ALLOW_PRIVATE: "true" }
  worker:
    environment: { ASSAY_FETCH_ALLOW_HTTP: "true", ASSAY_FETCH_ALLOW_PRIVATE: "true" }
YAML
quiet build dc build api
done_ "assay-service:latest"

step "service image tools"
tools=$(docker run --rm --entrypoint sh assay-service:latest -c 'for t in git setpriv prlimit; do command -v "$t"; done; true' | tr '\n' ' ' | sed 's/ $//')
[ "$(wc -w <<<"$tools")" = 3 ] || { done_ "missing (found: ${tools:-none}; need git setpriv prlimit)"; exit 1; }
done_ "$tools"

# --- the stack ----------------------------------------------------------------------------
step "CA bundle"
ca=${ASSAY_CA_BUNDLE-${NODE_EXTRA_CA_CERTS:-}}
if [ -n "$ca" ] && [ ! -f "$ca" ]; then done_ "not a file: $ca"; exit 1; fi
export ASSAY_CA_BUNDLE=$ca
done_ "${ca:-none}"

step "stack up"
quiet up dc up -d --no-build
base=http://127.0.0.1:$port
deadline=$(( $(date +%s) + 120 ))
until curl -fsS "$base/readyz" >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || { done_ "API not ready at $base/readyz after 120 s"; exit 1; }
  sleep 1
done
done_ "$project, API at $base"

step "git server"
net=$(docker network ls -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.network=backend")
gateway=$(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$net")
[ -n "$gateway" ] || { done_ "no gateway address on the compose network"; exit 1; }
node --import tsx scripts/lib/serve-git.ts --dir test/fixtures/simple-api/express --name express --host "$gateway" \
  >"$work/git.json" 2>"$work/git.log" &
git_pid=$!
deadline=$(( $(date +%s) + 60 ))
until [ -s "$work/git.json" ]; do
  kill -0 "$git_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || { done_ "failed"; sed 's/^/  | /' "$work/git.log"; exit 1; }
  sleep 0.2
done
repo_url=$(jget url <"$work/git.json")
done_ "$repo_url"

# --- one submission through the public API ------------------------------------------------
step "submit"
code=$(curl -sS -o "$work/created.json" -w '%{http_code}' -X POST "$base/v1/submissions" \
  -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d "{\"challenge\":\"simple-api\",\"repoUrl\":\"$repo_url\",\"ref\":\"main\",\"candidate\":{\"name\":\"compose smoke\"}}")
[ "$code" = 202 ] || { done_ "refused: $code $(cat "$work/created.json")"; exit 1; }
id=$(jget id <"$work/created.json")
done_ "$id"

deadline=$(( $(date +%s) + timeout_s ))
seen=
status=
while :; do
  curl -fsS "$base/v1/submissions/$id" -H "authorization: Bearer $admin_key" >"$work/sub.json"
  status=$(jget status <"$work/sub.json")
  state=$status/$(jget stage <"$work/sub.json")
  [ "$state" != "$seen" ] && printf '[smoke]   %s after %d s\n' "$state" $(( $(date +%s) - started_at ))
  seen=$state
  case $status in completed | failed | canceled) break ;; esac
  [ "$(date +%s)" -lt "$deadline" ] || { echo "[smoke] not final after $timeout_s s"; exit 1; }
  sleep 2
done

curl -fsS "$base/v1/submissions/$id/report" -H "authorization: Bearer $admin_key" >"$work/report.json" || echo '{}' >"$work/report.json"
percent=$(jget score.percent <"$work/report.json")
if [ "$status" = completed ]; then
  echo "[smoke] result: completed, score $(jget score.points <"$work/report.json")/$(jget score.maxPoints <"$work/report.json") (${percent}%)"
else
  echo "[smoke] result: $status, no score"
fi
node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const s = (r.steps ?? []).find((x) => x.name === "install");
  console.log(s ? `[smoke] install: ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s${s.reason ? ` (${s.reason})` : ""}` : "[smoke] install: no step in the report");
  if (r.error) console.log(`[smoke] error: ${r.error.fault} ${r.error.code}: ${r.error.message}`);' <"$work/report.json"
[ "$status" = completed ] && [ "$percent" = 100 ]
