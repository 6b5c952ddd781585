#!/usr/bin/env bash
# Installs what the test suite needs beyond npm: socat (real pseudo-terminals for simulated serial boards), mosquitto
# (a real broker with persistence for the fault tests), chromium (the explorer test drives it through playwright-core),
# g++ (the C++ framing code is compiled against the shared vectors) and avr-gcc with the Arduino AVR core (the
# board sketch is built for a real Uno). Debian packages, installed only where missing; then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v avr-g++ >/dev/null 2>&1 || need+=(gcc-avr avr-libc)
[ -f /usr/share/arduino/hardware/arduino/avr/cores/arduino/Arduino.h ] || need+=(arduino-core-avr)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "setup: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# npm install, not npm ci: npm 11.19 writes a lockfile without biome's other-platform optional packages and then
# refuses it in `npm ci` ("Missing: @biomejs/cli-android-arm64"). install keeps the locked versions all the same.
npm install --no-audit --no-fund
