#!/usr/bin/env bash
# `make compose-test`: the integration scenarios against the whole suite under docker compose,
# two replicas of each service and two gateways on one PostgreSQL and one Redis, then everything
# torn down (containers, network, volumes). Starts dockerd when none answers; uses the public
# images when they can be pulled and otherwise builds local ones from Debian's packages
# (`make images`). IMAGES=local or IMAGES=public forces the choice. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

scripts/docker-engine.sh

# Scripts and tests say `docker compose`; where only Debian's docker-compose 1 exists, a
# temporary CLI plugin stands in for the missing v2 plugin.
plugin_dir=""
if ! docker compose version >/dev/null 2>&1; then
  if ! command -v docker-compose >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  fi
  plugin_dir=$(mktemp -d)
  mkdir "$plugin_dir/cli-plugins"
  ln -s "$PWD/scripts/docker-compose-v1-plugin" "$plugin_dir/cli-plugins/docker-compose"
  export DOCKER_CONFIG=$plugin_dir
fi

images=${IMAGES:-auto}
if [ "$images" = auto ]; then
  images=public
  for image in python:3.11-slim postgres:16 redis:7; do
    if ! docker image inspect "$image" >/dev/null 2>&1 && ! timeout 120 docker pull -q "$image" >/dev/null 2>&1; then
      echo "compose-test: $image cannot be pulled: building local images from Debian's packages" >&2
      images=local
      break
    fi
  done
fi
build=()
if [ "$images" = local ]; then
  command -v debootstrap >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  PY=$PY deploy/images/build.sh
  set -a
  # shellcheck disable=SC1091 # written by deploy/images/build.sh
  . var/images.env
  set +a
else
  build=(--build)
fi

# Its own project and host ports, so it neither meets a `docker compose up` of the same checkout
# nor `make run` (8000-8010).
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-guanwei-compose-test}
first=${COMPOSE_TEST_PORT:-18000}
export GUANWEI_GATEWAY_PORTS="$first-$((first + 1))"
export GUANWEI_SANDBOX_PORT=$((first + 9))
export GUANWEI_GATEWAY_URL="http://127.0.0.1:$first"
export GUANWEI_SANDBOX_URL="http://127.0.0.1:$GUANWEI_SANDBOX_PORT"
export GUANWEI_GATEWAY_URLS="http://127.0.0.1:$first,http://127.0.0.1:$((first + 1))"
# A withdrawal's retries and its delivery after a restart fit in the scenario's seconds.
export ACCOUNTS_OUTBOX_INTERVAL_SECONDS=0.5 ACCOUNTS_OUTBOX_BACKOFF_MAX_SECONDS=2
# Sixteen containers on two shared cores: a first PDF or a readiness check can take seconds more
# than the gateway's production deadlines allow.
export GATEWAY_UPSTREAM_TIMEOUT_SECONDS=15 GATEWAY_READINESS_TIMEOUT_SECONDS=5 GATEWAY_OPENAPI_TIMEOUT_SECONDS=10
# Scheduled work the replica scenarios watch: yesterday's statistics due whatever the hour,
# looked for every second, and reconciliation every second (only orders open 5 min are touched).
export ACCOUNTS_STATISTICS_IMPORT_AT=00:00 ACCOUNTS_STATISTICS_IMPORT_CHECK_SECONDS=1
export TRAFFIC_RECONCILE_EVERY_SECONDS=1
# No 16:00 schedule: the bulletin scenario pushes today's bulletin itself, and 东莞天气 may send
# one mass message a day; a suite started after 16:00 would have pushed it already.
export WEATHER_BULLETIN_SCHEDULE=false
# Nor the reminders' schedule: it would remind the demo contact before he follows 东莞特检 (a
# reminder he cannot receive fails for good); the replica scenario sends them itself.
export INSPECTION_REMINDERS_ENABLED=false
# The host reaches the published ports through Docker's bridge: its X-Forwarded-For is believed,
# so the rate-limit scenarios can speak for clients of their own across both gateways.
export GATEWAY_RATE_LIMIT_TRUSTED_PROXIES='["172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8"]'

teardown() {
  docker compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  left+=$(docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  left+=$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  if [ -n "$plugin_dir" ]; then
    rm -rf "$plugin_dir"
  fi
  if [ -n "$left" ]; then
    echo "compose-test: left behind: $left" >&2
    exit 1
  fi
}
trap teardown EXIT
# What an interrupted run may have left.
docker compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true

# Waits until every container is healthy (or, for the one-shot migrate, exited 0): what
# `up --wait` of compose 2 does, which compose 1 lacks.
wait_healthy() {
  local deadline=$((SECONDS + ${COMPOSE_TEST_WAIT_SECONDS:-600})) pending state id
  while :; do
    pending=0
    for id in $(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"); do
      state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' "$id")
      case "$state" in
        *" running healthy "* | *" exited - 0") ;;
        *" exited "* | *" dead "* | *" running unhealthy "*)
          echo "compose-test: $state" >&2
          docker compose logs --no-color --tail 50 >&2 || true
          return 1
          ;;
        *) pending=1 ;;
      esac
    done
    [ "$pending" = 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      echo "compose-test: not healthy in time" >&2
      docker compose ps >&2 || true
      return 1
    fi
    sleep 2
  done
}

start=$SECONDS
scale=()
for part in accounts traffic weather socialsec inspection gateway; do
  scale+=(--scale "$part=2")
done
docker compose up --detach "${build[@]}" "${scale[@]}"
wait_healthy
echo "compose-test: the suite is up in $((SECONDS - start)) s" >&2

# A fresh replica's first OpenAPI document, and traffic's first map (matplotlib), take seconds
# on two busy cores, past the gateway's deadlines: made once in every replica, as a rollout's
# warm-up would, so the scenarios meet the suite as it runs, not as it starts.
warm() { # warm <service> <port> <path>...
  local service=$1 port=$2 index
  shift 2
  for index in 1 2; do
    docker compose exec -T --index="$index" "$service" python -c '
import sys, urllib.request
for path in sys.argv[2:]:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{path}", timeout=120).read()
' "$port" "$@"
  done
}
warm accounts 8001 /openapi.json
warm traffic 8002 /openapi.json /v1/road-conditions/map.png
warm weather 8003 /openapi.json
warm socialsec 8004 /openapi.json
warm inspection 8005 /openapi.json
echo "compose-test: warmed up at $((SECONDS - start)) s" >&2

# test_procfile runs `make run`'s processes itself; every other scenario runs on compose.
GUANWEI_COMPOSE=1 PYTHONDONTWRITEBYTECODE= "$PY" -m pytest -p no:cacheprovider \
  tests/integration --deselect tests/integration/test_procfile.py "$@"
