#!/usr/bin/env bash
# Installs the Debian programs the real-software tests start inside fresh pid
# namespaces (nginx, redis), when they are missing. Needs root, like the tests.
set -euo pipefail

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v unshare >/dev/null || missing+=(util-linux)
command -v setpriv >/dev/null || missing+=(util-linux)
[ ${#missing[@]} -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
