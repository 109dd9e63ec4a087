#!/bin/sh
# Installs the Debian packages lockstep needs when they are missing: `run` for building and
# running, `test` for the whole test suite too. As root it runs apt-get; otherwise it prints the
# one apt-get line to run. An entry PACKAGE:COMMAND counts as present when COMMAND is on the
# PATH (however it got there, e.g. a Node.js that ships its own npm); a plain PACKAGE is asked of
# dpkg.
set -eu
run_pkgs="meson:meson ninja-build:ninja pkg-config:pkg-config gcc:gcc libc6-dev
libncurses-dev libcjson-dev"
test_pkgs="$run_pkgs libcmocka-dev tmux:tmux nodejs:node npm:npm python3:python3 clang:clang"
case "${1:-run}" in
run) entries=$run_pkgs ;;
test) entries=$test_pkgs ;;
*) echo "usage: deps.sh run|test" >&2; exit 2 ;;
esac
missing=""
for entry in $entries; do
        pkg=${entry%%:*}
        cmd=${entry#*:}
        if [ "$cmd" != "$entry" ] && command -v "$cmd" >/dev/null 2>&1; then
                continue
        fi
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
                missing="$missing $pkg"
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
