#!/bin/sh
# Installs the system tools mobilec's tests need, when they are missing.
# As root with apt-get it installs them; otherwise it names what is missing.
# Under CI=true a missing tool is a failure, never a skip.
set -eu

# command -> Debian package
NEED="cc:gcc c++:g++ cmake:cmake make:make clang:clang"

missing=""
for pair in $NEED; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi

echo "ensure-tools: missing Debian packages:$missing (install them, e.g. sudo apt-get install$missing)" >&2
if [ "${CI:-}" = "true" ]; then
  exit 3
fi
exit 0
