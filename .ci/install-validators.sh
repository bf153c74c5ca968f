#!/usr/bin/env bash
# Install the external validators opsteam runs on bundles (see docs/validators.md).
# Idempotent: installs only what is missing, then prints every version.
#   - promtool: Debian package `prometheus` (needs root or sudo for apt-get).
#   - checkov: its own venv (its pins clash with ours) at
#     ${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}/checkov.
# python-hcl2, kubernetes-validate, ansible-core and ansible-lint come from the project's
# `validators` extra (pip install -e '.[validators]'), not from here.
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
TOOLS_HOME="${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}"
CHECKOV_VENV="$TOOLS_HOME/checkov"
PYTHON="${PYTHON:-python3}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_promtool() {
  if command -v promtool >/dev/null 2>&1; then
    return 0
  fi
  echo "installing promtool (Debian package prometheus)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus
}

install_checkov() {
  if [ -x "$CHECKOV_VENV/bin/checkov" ]; then
    return 0
  fi
  echo "installing checkov $CHECKOV_VERSION into $CHECKOV_VENV"
  rm -rf "$CHECKOV_VENV"
  mkdir -p "$TOOLS_HOME"
  "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/python" -m pip install --quiet --upgrade pip
  "$CHECKOV_VENV/bin/python" -m pip install --quiet "checkov==$CHECKOV_VERSION"
}

install_promtool
install_checkov

echo "promtool: $(promtool --version 2>&1 | head -n 1)"
echo "checkov:  $("$CHECKOV_VENV/bin/checkov" --version) ($CHECKOV_VENV/bin/checkov)"
