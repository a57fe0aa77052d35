#!/usr/bin/env bash
# One-command, idempotent setup of Assay on a Debian 12 machine (as root).
# Takes (environment, all optional):
#   DOCKER_HOST            use this Docker engine; nothing Docker-related is installed or started
#   REDIS_URL              use this Redis; nothing Redis-related is installed or started
#   ASSAY_REDIS_PASSWORD   password for the local Redis (generated once into .assay/env if unset)
#   ASSAY_REDIS_PORT       port of the local Redis (default 6379)
#   ASSAY_SETUP_TEST_TOOLS=1  also install what the tests need (Debian's chromium)
#   ...and every variable scripts/build-images.sh takes.
# Does: installs npm dependencies; installs docker.io and redis-server from Debian when missing;
#   starts dockerd and Redis when they are not running (Redis on 127.0.0.1 only, with a password
#   and append-only persistence in .assay/redis); creates the install network; builds the images.
# Prints: one line per step with what it did and how long it took. A second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .assay
export DEBIAN_FRONTEND=noninteractive

step_start=0
step() { step_start=$(date +%s%N); printf '[setup] %-34s ' "$1"; }
done_() { printf '%s (%d ms)\n' "$1" $(( ($(date +%s%N) - step_start) / 1000000 )); }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- npm dependencies ---------------------------------------------------------------------
step "npm dependencies"
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ -d node_modules ] && [ "$(cat node_modules/.assay-lock 2>/dev/null)" = "$lock_hash" ]; then
  done_ "up to date"
else
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_hash" > node_modules/.assay-lock
  done_ "installed"
fi

# --- Docker -------------------------------------------------------------------------------
if [ -n "${DOCKER_HOST:-}" ]; then
  step "docker engine"; done_ "using DOCKER_HOST=$DOCKER_HOST"
else
  step "docker package"
  if command -v dockerd >/dev/null; then done_ "present"; else apt_install docker.io; done_ "installed docker.io"; fi
  step "docker engine"
  if docker info >/dev/null 2>&1; then
    done_ "running"
  else
    # No init system is assumed (containers, CI): start the daemon in the background.
    nohup dockerd >/var/log/assay-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/assay-dockerd.log"; tail -20 /var/log/assay-dockerd.log; exit 1; }
    done_ "started"
  fi
fi
step "native build tools"
# The analysis image's tree-sitter parsers (similarity fingerprints) are built from source here.
if command -v g++ >/dev/null && command -v make >/dev/null; then done_ "present"; else apt_install g++ make; done_ "installed g++ and make"; fi
step "debootstrap"
if [ -n "${ASSAY_BASE_IMAGE:-}" ] || command -v debootstrap >/dev/null; then done_ "present or not needed"; else apt_install debootstrap; done_ "installed"; fi

# --- Redis --------------------------------------------------------------------------------
touch .assay/env && chmod 600 .assay/env
if [ -n "${REDIS_URL:-}" ]; then
  step "redis"; done_ "using REDIS_URL"
else
  port=${ASSAY_REDIS_PORT:-6379}
  if [ -z "${ASSAY_REDIS_PASSWORD:-}" ]; then
    # shellcheck disable=SC1091
    . ./.assay/env
  fi
  if [ -z "${ASSAY_REDIS_PASSWORD:-}" ]; then
    ASSAY_REDIS_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  fi
  printf 'REDIS_URL=redis://127.0.0.1:%s\nASSAY_REDIS_PASSWORD=%s\n' "$port" "$ASSAY_REDIS_PASSWORD" > .assay/env
  step "redis package"
  if command -v redis-server >/dev/null; then done_ "present"; else apt_install redis-server; done_ "installed redis-server"; fi
  step "redis server"
  if REDISCLI_AUTH=$ASSAY_REDIS_PASSWORD redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
    done_ "running on 127.0.0.1:$port"
  elif redis-cli -p "$port" ping 2>&1 | grep -q -i -E 'NOAUTH|PONG|WRONGPASS'; then
    echo "a Redis already listens on 127.0.0.1:$port with another password: set ASSAY_REDIS_PASSWORD (or REDIS_URL), or ASSAY_REDIS_PORT for a separate one"
    exit 1
  else
    mkdir -p .assay/redis
    conf=.assay/redis/redis.conf
    {
      echo "bind 127.0.0.1 -::1"
      echo "port $port"
      echo "protected-mode yes"
      echo "requirepass $ASSAY_REDIS_PASSWORD"
      echo "appendonly yes"
      echo "appendfsync everysec"
      echo "dir $(pwd)/.assay/redis"
      echo "maxmemory-policy noeviction"
      echo "daemonize yes"
      echo "logfile $(pwd)/.assay/redis/redis.log"
    } > "$conf"
    chmod 600 "$conf"
    redis-server "$conf"
    for _ in $(seq 1 40); do REDISCLI_AUTH=$ASSAY_REDIS_PASSWORD redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.25; done
    REDISCLI_AUTH=$ASSAY_REDIS_PASSWORD redis-cli -p "$port" ping | grep -q PONG || { echo "redis did not start"; exit 1; }
    done_ "started on 127.0.0.1:$port (append-only, password)"
  fi
fi

# --- test tools ---------------------------------------------------------------------------
if [ "${ASSAY_SETUP_TEST_TOOLS:-0}" = 1 ]; then
  step "chromium (browser tests)"
  if command -v chromium >/dev/null; then done_ "present"; else apt_install chromium; done_ "installed"; fi
fi

# --- images and network -------------------------------------------------------------------
step "sandbox images"
printf '\n'
bash scripts/build-images.sh | sed 's/^/         /'
step "install network"
net=${ASSAY_INSTALL_NETWORK:-assay-install}
bridge=assay-install0
if [ "$(docker network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$net" 2>/dev/null)" = "$bridge" ]; then
  done_ "present"
else
  docker network rm "$net" >/dev/null 2>&1 || true
  docker network create --label dev.assay.network=install -o com.docker.network.bridge.enable_icc=false \
    -o com.docker.network.bridge.name=$bridge "$net" >/dev/null
  done_ "created ($bridge)"
fi
# The install step may reach the registry, but nothing on this host (Redis, the API, published
# ports) and no other Docker network: drop what the install bridge sends to the host itself,
# and what it would forward into another bridge. Only when Docker runs here (not DOCKER_HOST).
step "install network firewall"
if [ -n "${DOCKER_HOST:-}" ]; then
  done_ "skipped (remote engine: apply the same rules on that host)"
elif ! command -v iptables >/dev/null; then
  done_ "iptables missing: the install bridge can reach host services"
else
  iptables -C INPUT -i $bridge -j DROP 2>/dev/null || iptables -I INPUT -i $bridge -j DROP
  iptables -N DOCKER-USER 2>/dev/null || true
  for out in docker0 'br+'; do
    iptables -C DOCKER-USER -i $bridge -o "$out" -j DROP 2>/dev/null || iptables -I DOCKER-USER -i $bridge -o "$out" -j DROP
  done
  done_ "host and other bridges unreachable from $bridge"
fi
echo "[setup] done. Local settings are in .assay/env (REDIS_URL and its password)."
