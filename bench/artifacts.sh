#!/usr/bin/env bash
# Release artifacts: sizes of the tarball and the OCI image (archive and compressed layer), and
# boot-to-ready of the release (`daemon` from the unpacked tarball, migrated beforehand) against
# the container (`podman run -d` of the loaded image, read-only, volume migrated beforehand),
# each until `GET /readyz` answers 200. Medians of RUNS (default 5).
#
# Usage: bench/artifacts.sh [RUNS]       after `cargo xtask release`; needs podman and runc.
# podman runs as notes/containers.md says (vfs, runc, ulimits) in a storage root of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rel=${CARGO_TARGET_DIR:-target}/rel
version=$(cat "$rel/donation_platform/releases/CURRENT")
tarball=$rel/donation_platform-$version.tar.gz
archive=$rel/donation_platform-$version-oci.tar
secret=$(printf '%064d' 0)
work=$(mktemp -d)
P=(podman --storage-driver=vfs --runtime=/usr/sbin/runc --root "$work/storage" --runroot "$work/run")
cleanup() { "${P[@]}" rm -af >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
# Milliseconds from $1 (ms since the epoch) until /readyz on port $2 answers 200.
until_ready() {
  while [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/readyz")" != 200 ]; do sleep 0.01; done
  echo $(($(now_ms) - $1))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b/1048576}'; }

release_boot() {
  local root=$work/release port start ms
  rm -rf "$root"; mkdir -p "$root"; tar -xzf "$tarball" -C "$root"
  port=$(free_port)
  export SECRET_KEY_BASE=$secret DATABASE_URL=sqlite://$root/var/donation_platform.db PORT=$port
  "$root/bin/donation_platform" migrate >/dev/null
  start=$(now_ms); "$root/bin/donation_platform" daemon >/dev/null; ms=$(until_ready "$start" "$port")
  "$root/bin/donation_platform" stop >/dev/null
  unset SECRET_KEY_BASE DATABASE_URL PORT
  echo "$ms"
}

container_boot() {
  local port start ms volume=dp-$1
  local run=(run --read-only --cap-drop=ALL --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
             -e "SECRET_KEY_BASE=$secret" -v "$volume:/var/lib/donation_platform")
  "${P[@]}" "${run[@]}" --rm "donation_platform:$version" migrate >/dev/null
  port=$(free_port)
  start=$(now_ms)
  "${P[@]}" "${run[@]}" -d --name "dp-bench-$1" -p "127.0.0.1:$port:4000" "donation_platform:$version" >/dev/null
  ms=$(until_ready "$start" "$port")
  "${P[@]}" rm -f -t 30 "dp-bench-$1" >/dev/null
  echo "$ms"
}

"${P[@]}" load -q -i "$archive" >/dev/null
layer=$(tar -xOf "$archive" index.json | python3 -c '
import json, sys, tarfile
index = json.load(sys.stdin)
archive = tarfile.open(sys.argv[1])
blob = lambda d: json.load(archive.extractfile("blobs/sha256/" + d.split(":")[1]))
manifest = blob(index["manifests"][0]["digest"])
print(manifest["layers"][0]["size"])' "$archive")
release_ms=$(for i in $(seq "$runs"); do release_boot; done | median)
container_ms=$(for i in $(seq "$runs"); do container_boot "$i"; done | median)

echo "donation_platform $version, $(date -u +%F), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), $runs runs"
echo
echo "| artifact | size |"
echo "|---|---:|"
echo "| binary (\`releases/$version/donation_platform\`) | $(mib "$(stat -c %s "$rel/donation_platform/releases/$version/donation_platform")") |"
echo "| tarball (\`donation_platform-$version.tar.gz\`) | $(mib "$(stat -c %s "$tarball")") |"
echo "| OCI archive (\`donation_platform-$version-oci.tar\`) | $(mib "$(stat -c %s "$archive")") |"
echo "| OCI image, compressed layer (what a registry stores and pulls) | $(mib "$layer") |"
echo
echo "| boot to ready (median) | ms |"
echo "|---|---:|"
echo "| release: \`bin/donation_platform daemon\` → \`/readyz\` 200 | $release_ms |"
echo "| container: \`podman run -d\` (vfs, runc, read-only) → \`/readyz\` 200 | $container_ms |"
