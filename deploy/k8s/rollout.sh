#!/usr/bin/env bash
# Rolls an overlay out in order: first everything but the servers (namespace, config, secrets,
# policies, CronJobs and, in dev, the databases), then each service's migration Job to the new
# release's head, then the servers. Run again for every release. Usage: rollout.sh dev|prod
set -euo pipefail
overlay=${1:?usage: rollout.sh dev|prod}
here=$(cd "$(dirname "$0")" && pwd)
namespace=$(sed -n 's/^namespace: *//p' "$here/overlays/$overlay/kustomization.yaml")
manifests=$(mktemp)
trap 'rm -f "$manifests"' EXIT
kubectl kustomize "$here/overlays/$overlay" >"$manifests"

# A Job's pod template cannot change: the last release's finished Jobs make way for this one's.
kubectl -n "$namespace" delete job -l app.kubernetes.io/component=migrate --ignore-not-found
kubectl apply -f "$manifests" -l 'app.kubernetes.io/component!=server'
kubectl -n "$namespace" wait job -l app.kubernetes.io/component=migrate \
  --for=condition=complete --timeout=15m
# The servers roll one pod at a time; a new pod is ready once its schema is at its head.
kubectl apply -f "$manifests"
servers=$(kubectl -n "$namespace" get deployment -l app.kubernetes.io/component=server -o name)
for deployment in $servers; do
  kubectl -n "$namespace" rollout status "$deployment" --timeout=10m
done
