#!/bin/sh
# Installs the Debian packages lockstep needs when they are missing: `run` for building and
# running, `test` for the whole test suite too. As root it runs apt-get; otherwise it prints the
# one apt-get line to run.
set -eu
run_pkgs="meson ninja-build pkg-config gcc libc6-dev libncurses-dev libcjson-dev"
test_pkgs="$run_pkgs libcmocka-dev tmux nodejs npm python3 clang"
case "${1:-run}" in
run) pkgs=$run_pkgs ;;
test) pkgs=$test_pkgs ;;
*) echo "usage: deps.sh run|test" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
        echo "installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing
else
        echo "lockstep needs these Debian packages:$missing"
        echo "install them with:  sudo apt-get install -y$missing"
        exit 1
fi
