#!/usr/bin/env bash
# Installs what building and testing sluice needs on Debian 12, idempotently:
#   - Debian packages (apt-get update + install only when one is missing);
#   - a Java 17 runtime for Spark (pyspark) when `java -version` fails;
#   - a Python venv at .venv with tests/requirements.txt (pip's download
#     cache lives outside the clone, in /var/cache/sluice/pip).
# Safe to run again and again; the second run does nothing but check.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# ------------------------------------------------------------ Debian packages
packages=(
    build-essential cmake pkg-config libpq-dev
    libsnappy-dev libzstd-dev zlib1g-dev
    postgresql-15 postgresql-contrib
    clang-14 libclang-rt-14-dev llvm-14
    python3-venv
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == installed ]] || missing+=("$pkg")
done

# Spark (tests/integration/test_parquet_spark.py) needs Java 17; any working
# `java` on PATH will do, otherwise Debian's headless runtime is installed.
if ! java -version >/dev/null 2>&1; then
    missing+=(openjdk-17-jre-headless)
fi

if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { log "not root and no sudo: install ${missing[*]} by hand"; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
    log "Debian packages present"
fi

# ------------------------------------------------------------ Python venv
venv=.venv
requirements=tests/requirements.txt

# Debian's interpreter is preferred (python3-venv above guarantees its venv
# and ensurepip modules); any python3 on PATH (e.g. a pyenv build) that has
# both works too.
pick_python() {
    local candidate
    for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
        [[ -n "$candidate" && -x "$candidate" ]] || continue
        if "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# A venv whose interpreter vanished or broke (its base python was removed or
# upgraded) is rebuilt rather than patched.
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "existing $venv is broken; recreating it"
    rm -rf "$venv"
fi

if [[ ! -x "$venv/bin/python" ]]; then
    python=$(pick_python) || { log "no python3 with the venv and ensurepip modules"; exit 1; }
    log "creating $venv with $python ($("$python" --version 2>&1))"
    "$python" -m venv "$venv"
fi

# Reinstall only when the requirements (or the interpreter) changed.
stamp="$venv/.sluice-requirements.sha256"
want=$({ cat "$requirements"; "$venv/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ "$want" != "$have" ]] || ! "$venv/bin/python" -c 'import pytest, psycopg, pyarrow, pyspark' >/dev/null 2>&1; then
    cache=/var/cache/sluice/pip
    if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w "$cache" ]]; then
        cache="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/pip"
        mkdir -p "$cache"
    fi
    log "installing $requirements into $venv (pip cache $cache)"
    export PIP_CACHE_DIR="$cache" PIP_DISABLE_PIP_VERSION_CHECK=1
    "$venv/bin/python" -m pip install -q -r "$requirements" </dev/null
    echo "$want" >"$stamp"
else
    log "$venv up to date"
fi
