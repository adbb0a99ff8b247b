#!/usr/bin/env bash
# `make images`: every image compose needs, built from Debian's packages alone (no image
# registry): a debootstrap base, Python 3.11 on it, the suite on that (from a wheelhouse the host
# fills from the hash-checked lock, as the build may not reach the package index), and PostgreSQL
# and Redis. Writes var/images.env, the compose variables that select them.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export DEBIAN_IMAGE=${DEBIAN_IMAGE:-guanwei/debian:bookworm}
python_image=guanwei/python:3.11-bookworm
suite_image=${GUANWEI_IMAGE:-guanwei:dev}
postgres_image=guanwei/postgres:15-bookworm
redis_image=guanwei/redis:7-bookworm
members="servicekit wechat accounts traffic weather socialsec inspection gateway sandbox"

build() { # build <tag> <dockerfile> <context> [args...]
  local tag=$1 file=$2 context=$3
  shift 3
  echo "images: $tag" >&2
  docker build --quiet --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -t "$tag" -f "$file" "$@" "$context" >/dev/null
}

deploy/images/debian-base.sh
build "$python_image" deploy/images/python.Dockerfile deploy/images

# The wheels for the image's Python (its markers, e.g. python_full_version, decide the pins).
echo "images: wheelhouse var/wheels" >&2
mkdir -p var/wheels
docker run --rm -i "$python_image" python3 - --environment \
  <deploy/images/runtime_requirements.py >var/wheels/environment.json
# shellcheck disable=SC2086 # the member names are words
"$PY" deploy/images/runtime_requirements.py --for var/wheels/environment.json requirements.lock \
  $members >var/wheels/runtime.lock
# Wheels are named <name>-<version>-...; the pins the image needs, in the same spelling.
wanted=$(sed -n 's/^\([A-Za-z0-9._-]*\)==\([^ ;]*\).*/\1-\2/p' var/wheels/runtime.lock | tr 'A-Z.-' 'a-z__')
have=$(for wheel in var/wheels/*.whl; do basename "$wheel" | cut -d- -f1-2 | tr 'A-Z.-' 'a-z__'; done)
# Download only what is missing; the image's install checks every wheel's hash either way.
if [ -n "$(comm -23 <(sort <<<"$wanted") <(sort <<<"$have"))" ]; then
  if ! python3 -m pip download --quiet --disable-pip-version-check --require-hashes --no-deps \
    --only-binary=:all: -r var/wheels/runtime.lock -d var/wheels >var/wheels-download.log 2>&1; then
    cat var/wheels-download.log >&2
    exit 1
  fi
fi
# Wheels of pins that have since changed would only swell the build context.
for wheel in var/wheels/*.whl; do
  name=$(basename "$wheel" | cut -d- -f1-2 | tr 'A-Z.-' 'a-z__')
  grep -qx "$name" <<<"$wanted" || rm -f "$wheel"
done

build "$suite_image" Dockerfile . --build-arg BASE_IMAGE="$python_image"
build "$postgres_image" deploy/images/postgres.Dockerfile deploy/images
build "$redis_image" deploy/images/redis.Dockerfile deploy/images

cat >var/images.env <<ENV
GUANWEI_IMAGE=$suite_image
GUANWEI_BASE_IMAGE=$python_image
POSTGRES_IMAGE=$postgres_image
REDIS_IMAGE=$redis_image
ENV
echo "images: built; compose uses them with the variables in var/images.env" >&2
