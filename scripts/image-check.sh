#!/usr/bin/env bash
# Builds Facelog's container image with podman and checks that it works, end to end:
#
#   scripts/image-check.sh                 # the CPU image, facelog:cpu
#   IMAGE_CHECK_VARIANT=gpu scripts/image-check.sh   # the GPU image (TensorFlow + CUDA wheels)
#
# 1. Tools: installs podman, runc, mmdebstrap and catatonit (podman run --init) with apt-get when they are missing.
# 2. Base: uses python:3.11-slim-bookworm when it is present or can be pulled; otherwise builds
#    a stand-in from the same Debian release with mmdebstrap (the host's apt mirrors, the host's
#    CA certificates trusted, so pip and apt work behind a TLS-inspecting proxy).
# 3. Build: podman build --network=host --pull=never (podman's layer cache is reused when it is
#    there; nothing depends on it).
# 4. Checks (scripts/image_check.py): `demo` and `analyze` on the bundled selfie, no TensorFlow
#    in the CPU image, not root, the compose files, then `run` against the fake Telegram Bot API
#    on the host with a data volume: a person onboards, posts the selfie, gets the emotion; the
#    health check; after a restart the entry is still there. Prints the image size.
#
# Containers use the host's network only: this script never creates a container network.
# Every container and volume it starts carries a label and is removed on exit, failure included.
#
# Environment:
#   IMAGE_CHECK_VARIANT      cpu (default) or gpu
#   IMAGE_CHECK_TAG          the tag to build (default localhost/facelog:$VARIANT)
#   IMAGE_CHECK_BUILD=0      check an image already built, do not build
#   IMAGE_CHECK_OPTIONAL=1   exit 0 with a notice when this machine cannot run containers
#                            (tools missing without root/apt, podman info fails, a trivial
#                            container does not start); any failure of the image still fails
#   IMAGE_CHECK_HOST_RSS=1   also run the same conversation with the bot outside the
#                            container (.venv) and print both peak RSS figures
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

variant=${IMAGE_CHECK_VARIANT:-cpu}
image=${IMAGE_CHECK_TAG:-localhost/facelog:$variant}
work=${IMAGE_CHECK_WORK:-$root/.cache/image-check}
mkdir -p "$work"
run_id="$(date +%s)-$$"
label="io.facelog.image-check=$run_id"
started=$(date +%s)

say() { printf '\n== %s (%ds)\n' "$*" "$(($(date +%s) - started))"; }
fail() { echo "image-check: $*" >&2; exit 1; }

unavailable() {
  # podman cannot run containers on this machine: a missing capability of the machine, not a
  # fault of the image. With IMAGE_CHECK_OPTIONAL=1 that is a loud notice, not a failure; CI
  # leaves it unset, so there it fails (docs/deploy.md says why).
  echo "image-check: cannot run containers here: $*" >&2
  if [ "${IMAGE_CHECK_OPTIONAL:-0}" = 1 ]; then
    echo "image-check: SKIPPED (IMAGE_CHECK_OPTIONAL=1); the image was not checked" >&2
    exit 0
  fi
  exit 1
}

# -- 1. tools ---------------------------------------------------------------------------------
missing=()
for tool in podman runc mmdebstrap catatonit; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    unavailable "${missing[*]} missing and cannot be installed (needs root and apt-get)"
  fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      podman runc mmdebstrap catatonit uidmap fuse-overlayfs ca-certificates >/dev/null; } \
    || unavailable "apt-get could not install ${missing[*]}"
fi

# podman's settings for these machines, in a file of our own (/etc/containers is left alone):
# runc, because crun refuses cgroup v1 and v2 mounted side by side; the limits this shell
# already has, because root here cannot raise them (podman's defaults would); the host network.
# The limits: the values these machines were found to accept, lowered to this shell's own.
limit() { local v; v=$(ulimit "$1"); if [ "$v" = unlimited ] || [ "$v" -gt "$2" ]; then v=$2; fi; echo "$v"; }
if [ -z "${CONTAINERS_CONF:-}" ]; then
  nofile=$(limit -Hn 20000) nproc=$(limit -Hu 32768)
  cat > "$work/containers.conf" <<EOF
[containers]
netns = "host"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$work/containers.conf"
fi
podman info >/dev/null 2>"$work/podman-info.err" \
  || unavailable "podman info failed: $(tail -1 "$work/podman-info.err")"

# Everything started below carries $label; this removes it whatever happens.
cleanup() {
  local ids
  ids=$(podman ps -aq --filter "label=$label" 2>/dev/null || true)
  [ -z "$ids" ] || podman rm -f -t 5 $ids >/dev/null 2>&1 || true
  ids=$(podman volume ls -q --filter "label=$label" 2>/dev/null || true)
  [ -z "$ids" ] || podman volume rm -f $ids >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- 2. base image ----------------------------------------------------------------------------
base=$(sed -n 's/^FROM python:\${PYTHON_VERSION}-\([a-z-]*\) AS .*$/\1/p' Dockerfile | head -1)
python_version=$(sed -n 's/^ARG PYTHON_VERSION=//p' Dockerfile)
[ -n "$base" ] && [ -n "$python_version" ] || fail "cannot read the base image from Dockerfile"
release=${base##*-}                                   # slim-bookworm -> bookworm
base_ref="docker.io/library/python:$python_version-$base"
if podman image exists "$base_ref"; then
  say "base $base_ref: present"
elif timeout 60 podman pull -q "$base_ref" >/dev/null 2>&1; then
  say "base $base_ref: pulled"
else
  say "base $base_ref: no registry, building a stand-in from Debian $release"
  # The host's Debian mirrors (deb822 .sources and one-line lists), suites of $release.
  mirrors=$(
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2) } $1 == "URIs:" { print $2 }' "$f"
    done | grep -E '/debian(-security)?/?$' | sed 's:/*$::' | sort -u || true
  )
  [ -n "$mirrors" ] || mirrors=$'http://deb.debian.org/debian\nhttp://deb.debian.org/debian-security'
  args=()
  while read -r uri; do
    case "$uri" in
      *-security) args+=("deb $uri $release-security main") ;;
      *) args+=("deb $uri $release main" "deb $uri $release-updates main") ;;
    esac
  done <<< "$mirrors"
  # Extra CA certificates of the host (a TLS-inspecting proxy's), trusted inside the image.
  certs="$work/ca-certificates"
  rm -rf "$certs" && mkdir -p "$certs"
  cp /usr/local/share/ca-certificates/*.crt "$certs/" 2>/dev/null || true
  # As in Debian's official images: apt keeps no downloaded .deb files in a layer.
  cat > "$work/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  rootfs="$work/rootfs-$release.tar"
  # merged /usr the way Debian's own images are, without the usrmerge package (and its perl).
  mmdebstrap --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="cp $certs/*.crt \"\$1/usr/local/share/ca-certificates/\" 2>/dev/null || true" \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
    --customize-hook='ln -sf /usr/bin/python3 "$1/usr/local/bin/python"' \
    --customize-hook='ln -sf /usr/bin/pip3 "$1/usr/local/bin/pip"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    --customize-hook="cp $work/docker-clean \"\$1/etc/apt/apt.conf.d/docker-clean\"" \
    "$release" "$rootfs" "${args[@]}"
  podman import -q \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'LABEL io.facelog.stand-in=mmdebstrap' \
    --change 'CMD ["python3"]' \
    "$rootfs" "localhost/python:$python_version-$base" >/dev/null
  podman tag "localhost/python:$python_version-$base" "$base_ref"
  rm -f "$rootfs"
fi

# Can this machine start a container at all? A failure here is the machine's (runtime, cgroups,
# limits), not the image's: the one case IMAGE_CHECK_OPTIONAL may skip.
podman run --rm --network=host --label "$label" "$base_ref" true 2>"$work/smoke.err" \
  || unavailable "podman cannot start a container: $(tail -1 "$work/smoke.err")"

# -- 3. build ---------------------------------------------------------------------------------
if [ "${IMAGE_CHECK_BUILD:-1}" != 0 ]; then
  say "building $image (VARIANT=$variant)"
  build_start=$(date +%s)
  # --format docker keeps the HEALTHCHECK (the OCI format drops it).
  if ! podman build --network=host --pull=never --format docker --layers \
      --build-arg "VARIANT=$variant" -t "$image" . 2>&1 | tee "$work/build.log" \
      | { grep -E 'STEP [0-9]|COMMIT|Successfully|rror' || true; }; then
    fail "podman build failed (log: $work/build.log)"
  fi
  echo "build: $(($(date +%s) - build_start)) s"
fi
podman image exists "$image" || fail "no image $image"

# -- 4. checks --------------------------------------------------------------------------------
# The host side: fakebotapi needs aiohttp (pinned as in pyproject.toml), the compose files are
# read with PyYAML and resolved with podman-compose (Debian's 1.0.3 has no `config`). A small
# venv of its own, kept between runs, so the check needs nothing from scripts/setup.sh.
tools="$work/venv"
want="$(grep -o '"aiohttp==[^"]*"' pyproject.toml | tr -d '"') pyyaml==6.0.4 podman-compose==1.6.0"
if [ "$(cat "$tools/.installed" 2>/dev/null)" != "$want" ]; then
  say "installing the check's tools: $want"
  rm -rf "$tools"
  python3 -m venv "$tools"
  # shellcheck disable=SC2086  # $want is a list of requirements
  "$tools/bin/python" -m pip install -q --disable-pip-version-check $want
  echo "$want" > "$tools/.installed"
fi
say "checking $image"
host_rss=()
[ "${IMAGE_CHECK_HOST_RSS:-0}" = 1 ] && host_rss=(--host-rss)
PYTHONPATH="$root" "$tools/bin/python" scripts/image_check.py --image "$image" --variant "$variant" \
  --label "$label" "${host_rss[@]}"
say "image check passed"
