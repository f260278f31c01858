#!/usr/bin/env bash
# Debian packages the tests use: chromium (browser tests), fonts-noto-cjk (Korean text in screenshots),
# bubblewrap (grading sandbox). Installed with apt-get when missing and we may (root or password-less sudo).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else
  echo "Note: could not install ${missing[*]} (needs root); tests that need them will say so." >&2
  exit 0
fi
echo "Installing ${missing[*]} with apt-get ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
