#!/bin/sh
# Installs the system tools mobilec's tests need, when they are missing.
# As root with apt-get it installs them; otherwise it names what is missing.
# Under CI=true a missing tool is a failure, never a skip.
set -eu

# command (or absolute path of a file) -> Debian package (llvm-mca: test/cross/a53-loops; chromium:
# test/report, which drives /usr/bin/chromium through playwright-core). The cross C
# libraries are only "Recommends" of the cross compilers, and apt-get below
# skips recommends, so static linking needs them named explicitly.
HOST="cc:gcc c++:g++ cmake:cmake make:make"
NEED="$HOST clang:clang
qemu-aarch64:qemu-user qemu-arm:qemu-user
aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf
/usr/aarch64-linux-gnu/lib/libc.a:libc6-dev-arm64-cross /usr/arm-linux-gnueabihf/lib/libc.a:libc6-dev-armhf-cross
arm-none-eabi-gcc:gcc-arm-none-eabi qemu-system-arm:qemu-system-arm /usr/lib/arm-none-eabi/newlib/libc_nano.a:libnewlib-arm-none-eabi
llvm-mca:llvm /usr/bin/chromium:chromium"

# `ensure-tools.sh host`: only what the host path (compile, verify, run on
# this machine) needs, for the demo; the tests need everything.
[ "${1:-}" = "host" ] && NEED=$HOST

missing=""
for pair in $NEED; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  case "$cmd" in
    /*) [ -e "$cmd" ] && continue ;;
    *) command -v "$cmd" >/dev/null 2>&1 && continue ;;
  esac
  case " $missing " in
    *" $pkg "*) ;;
    *) missing="$missing $pkg" ;;
  esac
done

# clang's sanitizer runtimes (test/sanitize: -fsanitize=address,undefined) are a
# package of their own, named after clang's major version: known only once clang is.
clang_rt() {
  [ "${1:-}" != "host" ] && command -v clang >/dev/null 2>&1 &&
    ! [ -e "$(clang -print-resource-dir)/lib/linux/libclang_rt.asan-$(uname -m).a" ] &&
    echo "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
  return 0
}
rt=$(clang_rt "${1:-}")
[ -n "$rt" ] && missing="$missing $rt"

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # clang may have come just now: then its sanitizer runtime comes next.
  rt=$(clang_rt "${1:-}")
  # shellcheck disable=SC2086
  [ -n "$rt" ] && apt-get install -y -qq --no-install-recommends $rt >/dev/null
  exit 0
fi

echo "ensure-tools: missing Debian packages:$missing (install them, e.g. sudo apt-get install$missing)" >&2
if [ "${CI:-}" = "true" ]; then
  exit 3
fi
exit 0
