#!/usr/bin/env bash
# Installs what building and testing sluice needs on Debian 12, idempotently:
#   - Debian packages (apt-get update + install only when one is missing);
#   - a Java 17 runtime for Spark (pyspark) when `java -version` fails;
#   - a Python venv at .venv with tests/requirements.txt (pip's download
#     cache lives outside the clone, in /var/cache/sluice/pip);
#   - the Apache Hudi Spark bundle jars the Hudi oracle tests load into Spark
#     (tests/integration/hudi_oracles.py), from Maven Central into
#     /var/cache/sluice/jars, each checked against the .sha1 Maven publishes.
# The caches fall back to ${XDG_CACHE_HOME:-~/.cache}/sluice/ when
# /var/cache/sluice is not writable.
# Safe to run again and again; the second run does nothing but check.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# ------------------------------------------------------------ Debian packages
packages=(
    build-essential cmake pkg-config libpq-dev
    libsnappy-dev libzstd-dev zlib1g-dev libjansson-dev libyaml-dev
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

# /var/cache/sluice/<name>, or the user's cache when that is not writable.
cache_dir() {
    local dir=/var/cache/sluice/$1
    if ! mkdir -p "$dir" 2>/dev/null || [[ ! -w "$dir" ]]; then
        dir="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/$1"
        mkdir -p "$dir"
    fi
    echo "$dir"
}

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
if [[ "$want" != "$have" ]] || ! "$venv/bin/python" -c 'import pytest, psycopg, pyarrow, pyspark, hudi' >/dev/null 2>&1; then
    cache=$(cache_dir pip)
    log "installing $requirements into $venv (pip cache $cache)"
    export PIP_CACHE_DIR="$cache" PIP_DISABLE_PIP_VERSION_CHECK=1
    "$venv/bin/python" -m pip install -q -r "$requirements" </dev/null
    echo "$want" >"$stamp"
else
    log "$venv up to date"
fi

# ------------------------------------------------------------ Hudi bundle jars
# Spark with Apache Hudi reads (and writes) the tables in the Hudi oracle
# tests: 0.15.0 in the pytest session's Spark, 1.0.2 in a second JVM for the
# forward-compatibility checks. A jar is kept as <name>.jar beside <name>.jar.sha1
# (the digest Maven Central publishes); a later run only re-hashes it.
maven=https://repo1.maven.org/maven2
jars=$(cache_dir jars)
jar_artifacts=(
    org.apache.hudi:hudi-spark3.5-bundle_2.12:0.15.0
    org.apache.hudi:hudi-spark3.5-bundle_2.12:1.0.2
)

jar_tmp=
trap 'rm -f "${jar_tmp:-}" "${jar_tmp:+$jar_tmp.sha1}"' EXIT

fetch_jar() {
    local group artifact version
    IFS=: read -r group artifact version <<<"$1"
    local name="$artifact-$version.jar"
    local jar="$jars/$name" sum="$jars/$name.sha1"
    if [[ -f "$jar" && -f "$sum" ]] &&
        [[ "$(sha1sum "$jar" | cut -d' ' -f1)" == "$(cut -d' ' -f1 "$sum")" ]]; then
        log "$name present ($jars)"
        return 0
    fi
    local url="$maven/${group//.//}/$artifact/$version/$name"
    local tmp
    tmp=$(mktemp "$jars/.$name.XXXXXX")
    jar_tmp=$tmp  # removed by the EXIT trap if the script dies mid-download
    log "downloading $url"
    local want
    if ! want=$(curl -fsSL --retry 3 "$url.sha1" | cut -d' ' -f1) ||
        [[ ! "$want" =~ ^[0-9a-f]{40}$ ]] ||
        ! curl -fsSL --retry 3 -o "$tmp" "$url"; then
        rm -f "$tmp"
        log "download of $url failed"
        return 1
    fi
    local have
    have=$(sha1sum "$tmp" | cut -d' ' -f1)
    if [[ "$have" != "$want" ]]; then
        rm -f "$tmp"
        log "$name: SHA-1 $have does not match Maven's $want"
        return 1
    fi
    chmod 644 "$tmp"
    echo "$want" >"$tmp.sha1"
    mv -f "$tmp.sha1" "$sum"
    mv -f "$tmp" "$jar"
    jar_tmp=
    log "$name verified (sha1 $want) into $jars"
}

for artifact in "${jar_artifacts[@]}"; do
    fetch_jar "$artifact"
done
