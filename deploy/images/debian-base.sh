#!/usr/bin/env bash
# Builds the image every local image starts from when no image registry is reachable: Debian
# bookworm (minbase) made by debootstrap from the Debian archive this machine's apt already uses,
# imported into the engine as $DEBIAN_IMAGE. Skips the work when the image exists.
set -euo pipefail
image=${DEBIAN_IMAGE:-guanwei/debian:bookworm}
if docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
# The archive apt is configured with (deb822 or one-line sources); named here by no file of ours.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v security | head -n1)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { echo "no Debian archive in the apt sources of this machine" >&2; exit 1; }
rootfs=$(mktemp -d /var/tmp/guanwei-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm from $mirror (a few minutes)" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
# Security updates from where the host takes them, when it does.
security=$(sed -n 's/^URIs: *\([^ ]*security[^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | head -n1)
if [ -z "$security" ]; then
  security=$(awk '$1 == "deb" && $2 ~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
if [ -n "$security" ]; then
  echo "deb $security bookworm-security main" >>"$rootfs/etc/apt/sources.list"
fi
# Images built on top install what they need and clean up; ship no caches.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/var/log/*.log
tar -C "$rootfs" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$image" >/dev/null
echo "built $image" >&2
