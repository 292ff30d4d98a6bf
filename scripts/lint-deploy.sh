#!/usr/bin/env bash
# deploy/ checked by machines (issue 13 item 5), run by `make lint`:
#  - every manifest in deploy/*.yaml with kubernetes-validate --strict (offline JSON schemas; unknown fields
#    fail) against each Kubernetes version given;
#  - deploy/datadist.service with `systemd-analyze verify`, alone and with each drop-in of deploy/datadist.service.d/.
#    verify exits 0 on warnings such as an unknown key, so any line it prints fails here.
# Usage: scripts/lint-deploy.sh KUBERNETES_VALIDATE K8S_VERSION...
set -euo pipefail
cd "$(dirname "$0")/.."
validator=$1
shift
[ $# -gt 0 ] || { echo "lint-deploy.sh: name at least one Kubernetes version" >&2; exit 2; }

status=0
for version in "$@"; do
    "$validator" --strict --quiet --kubernetes-version "$version" deploy/*.yaml || status=1
done
[ $status = 0 ] && echo "deploy/*.yaml: valid for Kubernetes $* (kubernetes-validate --strict)"

# verify resolves ExecStart= and the units the service is ordered after, so it runs under a root of its own:
# the system's unit directory, the unit (and drop-ins) where an operator installs them, and a stand-in for the
# binary at the ExecStart path (verify only checks that it is executable; lint does not build the node).
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
units=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/usr/local/bin"
cp -r "$units" "$root/usr/lib/systemd/system"
cp deploy/datadist.service "$root/etc/systemd/system/"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/local/bin/datadist"
chmod 755 "$root/usr/local/bin/datadist"

verify() { # label
    local out
    out=$(systemd-analyze verify --root="$root" --man=no datadist.service 2>&1) || { echo "$out" >&2; return 1; }
    if [ -n "$out" ]; then echo "$out" >&2; return 1; fi
    echo "deploy/datadist.service$1: systemd-analyze verify clean"
}
verify "" || status=1
for dropin in deploy/datadist.service.d/*.conf; do
    [ -e "$dropin" ] || continue
    rm -rf "$root/etc/systemd/system/datadist.service.d"
    mkdir -p "$root/etc/systemd/system/datadist.service.d"
    cp "$dropin" "$root/etc/systemd/system/datadist.service.d/"
    verify " + $dropin" || status=1
done
exit $status
