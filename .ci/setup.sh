# shellcheck shell=bash
# Shared set-up for .ci/run and .ci/demo; source it, don't run it.
#
# Makes sure Bazel and the project's virtual environment (.venv, from requirements.txt)
# exist, then activates the environment: Bazel 4 takes `python3` from PATH. Each step
# is skipped when its result is already there, so a second call takes well under a second.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
# sha256 of the requirements.txt that .venv was last installed from.
STAMP="$VENV/.requirements.sha256"

die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

# apt-get as root, or through sudo where that is available.
apt_install() {
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to install: $*"
    sudo=(sudo)
  fi
  echo "setup.sh: installing $* with apt-get" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    || die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
    || die "apt-get install $* failed"
}

# Bazel 4.2.3 from Debian; third_party/ makes it work offline.
if ! command -v bazel >/dev/null; then
  apt_install bazel-bootstrap
  command -v bazel >/dev/null || die "bazel-bootstrap installed but no 'bazel' on PATH"
fi

# The virtual environment. The pinned numpy needs Python 3.11 or newer.
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
  command -v python3 >/dev/null || die "python3 not found on PATH"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "python3 is $(python3 -V 2>&1); need Python 3.11 or newer"
  # Debian's own python3 ships venv's pip bootstrap separately.
  python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  echo "setup.sh: creating $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "could not create the virtual environment $VENV"
fi

# (Re)install only when requirements.txt changed since the last successful install.
want="$(sha256sum "$REPO_ROOT/requirements.txt" | cut -d' ' -f1)"
if [[ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]]; then
  echo "setup.sh: installing requirements.txt into .venv (about a minute)" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$REPO_ROOT/requirements.txt" || die "pip install -r requirements.txt failed"
  echo "$want" >"$STAMP"
fi

# Activate: what bin/activate does, minus the prompt. Bazel reads python3 from PATH.
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
unset PYTHONHOME
cd "$REPO_ROOT"
