#!/usr/bin/env bash
# Install the external validators opsteam runs on bundles (see docs/validators.md).
# Idempotent: installs only what is missing, then prints every version.
#   - promtool: Debian package `prometheus` (needs root or sudo for apt-get); also runs
#     `promtool test rules`.
#   - kubectl (for `kubectl kustomize`): preinstalled on this machine kind; Debian has no
#     `kustomize` package and its `kubernetes-client` (1.20) bundles a kustomize too old for
#     `patches:`, so a missing kubectl is an error here, not a silent skip.
#   - checkov: its own venv (its pins clash with ours) at
#     ${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}/checkov.
#   - tf-schema: the AWS provider schema, compacted from the JSII assembly in the PyPI wheel
#     cdktf-cdktf-provider-aws (pip download, no install) into
#     ${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}/tf-schema/aws.json (~1.5 MB, ~10 s once).
#   - mmdc (optional: the plan's diagram as SVG): @mermaid-js/mermaid-cli from npm into
#     ${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}/mermaid, Puppeteer's browser download
#     skipped; it renders with the system's Chromium (Debian `chromium`). Without npm or
#     Chromium it is left out and plans keep their Mermaid source only.
#   - amtool: Debian package `prometheus-alertmanager`, downloaded and unpacked (not installed,
#     so no Alertmanager daemon) into ${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}/alertmanager.
#   - chromium: Debian package `chromium`, for the web chat's browser test (Playwright for
#     Python drives it with executable_path; `playwright install` is never run).
# python-hcl2, kubernetes-validate, ansible-core and ansible-lint come from the project's
# `validators` extra (pip install -e '.[validators]'), not from here.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
TOOLS_HOME="${OPSTEAM_TOOLS:-$HOME/.cache/opsteam-tools}"
CHECKOV_VENV="$TOOLS_HOME/checkov"
PYTHON="${PYTHON:-python3}"
PROJECT_PYTHON="${PROJECT_PYTHON:-$ROOT/.venv/bin/python}"
TF_SCHEMA_WHEEL="${TF_SCHEMA_WHEEL:-cdktf-cdktf-provider-aws==19.65.1}"  # AWS provider 5.99.1
TF_SCHEMA_CACHE="${OPSTEAM_TF_SCHEMA:-$TOOLS_HOME/tf-schema/aws.json}"
MERMAID_CLI_VERSION="${MERMAID_CLI_VERSION:-11}"

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

install_amtool() {
  # amtool only: unpacked from Debian's prometheus-alertmanager, so no daemon is installed or
  # started (apt-get download needs no root).
  local dir="$TOOLS_HOME/alertmanager" download
  if [ -x "$dir/usr/bin/amtool" ]; then
    return 0
  fi
  echo "installing amtool (Debian package prometheus-alertmanager, unpacked into $dir)"
  download="$(mktemp -d)"
  if ! (cd "$download" && apt-get download prometheus-alertmanager >/dev/null 2>&1); then
    as_root apt-get update  # empty package lists on a fresh machine
    (cd "$download" && apt-get download prometheus-alertmanager >/dev/null)
  fi
  mkdir -p "$dir"
  dpkg-deb -x "$download"/prometheus-alertmanager_*.deb "$dir"
  rm -rf "$download"
}

install_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  echo "installing chromium (Debian package) for the browser tests"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
}

check_kubectl() {
  if ! command -v kubectl >/dev/null 2>&1 || ! kubectl kustomize --help >/dev/null 2>&1; then
    echo "error: kubectl with kustomize is required for the kustomize validator" >&2
    return 1
  fi
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

install_tf_schema() {
  # The cache records the wheel it came from in its first bytes; rebuild when the pin moves.
  if [ -s "$TF_SCHEMA_CACHE" ] \
    && head -c 256 "$TF_SCHEMA_CACHE" | grep -qF "\"source\":\"$TF_SCHEMA_WHEEL\""; then
    return 0
  fi
  if [ ! -x "$PROJECT_PYTHON" ]; then
    echo "error: $PROJECT_PYTHON not found: run make setup first" >&2
    return 1
  fi
  echo "building the Terraform provider schema from $TF_SCHEMA_WHEEL"
  local download status=0
  download="$(mktemp -d)"
  "$PROJECT_PYTHON" -m pip download --quiet --no-deps --dest "$download" "$TF_SCHEMA_WHEEL" \
    && "$PROJECT_PYTHON" -m opsteam.tools.tfschema.build "$download"/*.whl "$TF_SCHEMA_CACHE" \
      --source "$TF_SCHEMA_WHEEL" \
    || status=$?
  rm -rf "$download"
  return "$status"
}

install_mermaid() {
  local dir="$TOOLS_HOME/mermaid"
  if [ -x "$dir/node_modules/.bin/mmdc" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    echo "mmdc: skipped (needs npm and chromium); plans keep their Mermaid diagram only"
    return 0
  fi
  echo "installing @mermaid-js/mermaid-cli $MERMAID_CLI_VERSION into $dir (no browser download)"
  mkdir -p "$dir"
  (cd "$dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
    "@mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION")
}

install_promtool
install_amtool
install_chromium
check_kubectl
install_checkov
install_tf_schema
install_mermaid

echo "promtool:  $(promtool --version 2>&1 | head -n 1)"
echo "amtool:    $("$TOOLS_HOME/alertmanager/usr/bin/amtool" --version 2>&1 | head -n 1)"
echo "chromium:  $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
echo "kubectl:   $(kubectl version --client 2>/dev/null | tr '\n' ' ')"
echo "checkov:   $("$CHECKOV_VENV/bin/checkov" --version) ($CHECKOV_VENV/bin/checkov)"
echo "tf-schema: $(head -c 160 "$TF_SCHEMA_CACHE" | grep -o '"provider_version":"[^"]*"') ($TF_SCHEMA_CACHE)"
if [ -x "$TOOLS_HOME/mermaid/node_modules/.bin/mmdc" ]; then
  echo "mmdc:      $("$TOOLS_HOME/mermaid/node_modules/.bin/mmdc" --version 2>/dev/null) ($TOOLS_HOME/mermaid)"
fi
