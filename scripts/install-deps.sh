#!/usr/bin/env bash
# Installs what building and testing sluice needs on Debian 12, idempotently:
#   - Debian packages (apt-get update + install only when one is missing);
#   - a Java 17 runtime for Spark (pyspark) when `java -version` fails;
#   - a Python venv at .venv with tests/requirements.txt (pip's download
#     cache lives outside the clone, in /var/cache/sluice/pip);
#   - the Apache Hudi Spark bundle jars the Hudi oracle tests load into Spark
#     (tests/integration/hudi_oracles.py), from Maven Central into
#     /var/cache/sluice/jars, each checked against the .sha1 Maven publishes,
#     and the hadoop-aws + AWS SDK bundle jars Spark needs to read s3a://;
#   - versitygw, the S3-compatible server the S3 tests start (it checks SigV4
#     signatures), built once with `go install` from the Go module proxy into
#     /var/cache/sluice/go/bin (GOPATH, build and module caches there too).
# The caches fall back to ${XDG_CACHE_HOME:-~/.cache}/sluice/ when
# /var/cache/sluice is not writable.
# Safe to run again and again; the second run does nothing but check.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# ------------------------------------------------------------ Debian packages
packages=(
    build-essential cmake pkg-config libpq-dev
    libsnappy-dev libzstd-dev zlib1g-dev libjansson-dev libyaml-dev libcurl4-openssl-dev libssl-dev
    postgresql-15 postgresql-contrib time
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
if [[ "$want" != "$have" ]] || ! "$venv/bin/python" -c 'import pytest, psycopg, pyarrow, pyspark, hudi, boto3' >/dev/null 2>&1; then
    cache=$(cache_dir pip)
    log "installing $requirements into $venv (pip cache $cache)"
    export PIP_CACHE_DIR="$cache" PIP_DISABLE_PIP_VERSION_CHECK=1
    "$venv/bin/python" -m pip install -q -r "$requirements" </dev/null
    echo "$want" >"$stamp"
else
    log "$venv up to date"
fi

# ------------------------------------------------------------ Spark jars
# Spark with Apache Hudi reads (and writes) the tables in the Hudi oracle
# tests: 0.15.0 in the pytest session's Spark, 1.0.2 in a second JVM for the
# forward-compatibility checks. hadoop-aws (the s3a:// file system) must match
# pyspark 3.5's Hadoop client (3.3.4), and the AWS SDK bundle hadoop-aws
# 3.3.4 was built against (1.12.262); hudi_oracles.spark_session(s3=...)
# puts them on the classpath. A jar is kept as <name>.jar beside <name>.jar.sha1
# (the digest Maven Central publishes); a later run only re-hashes it.
maven=https://repo1.maven.org/maven2
jars=$(cache_dir jars)
jar_artifacts=(
    org.apache.hudi:hudi-spark3.5-bundle_2.12:0.15.0
    org.apache.hudi:hudi-spark3.5-bundle_2.12:1.0.2
    org.apache.hadoop:hadoop-aws:3.3.4
    com.amazonaws:aws-java-sdk-bundle:1.12.262
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

# ------------------------------------------------------------ S3 server
# versitygw (Versity S3 Gateway, posix backend) is the S3-compatible server of
# the S3 tests (tests/integration/s3server.py): it verifies SigV4 signatures,
# and supports conditional puts (If-None-Match: *), ranged GETs, ListObjectsV2
# with pagination and delimiters, DeleteObjects and multipart uploads. It is
# built from source with the Go toolchain (Go >= 1.21 on PATH or in
# /usr/local/go; an older Go than the module wants fetches the newer toolchain
# through the Go module proxy). GOPATH, GOCACHE and GOMODCACHE live in the
# cache, so a rebuild (e.g. after a version bump) reuses what it can. The
# binary carries the version (`versitygw --version`); a run whose binary
# already reports the pinned version does nothing.
VERSITYGW_VERSION=v1.8.0
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw

go_root=$(cache_dir go)
versitygw="$go_root/bin/versitygw"

versitygw_version() {
    "$1" --version 2>/dev/null | sed -n 's/^Version *: *//p'
}

if [[ -x "$versitygw" && "$(versitygw_version "$versitygw")" == "$VERSITYGW_VERSION" ]]; then
    log "versitygw $VERSITYGW_VERSION present ($versitygw)"
else
    go=$(command -v go || true)
    [[ -n "$go" ]] || { [[ -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go; }
    if [[ -z "$go" ]]; then
        log "no Go toolchain (go on PATH or /usr/local/go/bin/go) to build versitygw; install Go >= 1.21"
        exit 1
    fi
    go_version=$("$go" env GOVERSION 2>/dev/null || true)
    if [[ ! "$go_version" =~ ^go1\.([0-9]+) ]] || ((BASH_REMATCH[1] < 21)); then
        log "$go is ${go_version:-unusable}; building versitygw needs Go >= 1.21"
        exit 1
    fi
    log "building versitygw $VERSITYGW_VERSION with $go_version (first build: about 4 minutes on 2 cores)"
    build_bin=$(mktemp -d "$go_root/.bin.XXXXXX")
    started=$SECONDS
    # -modcacherw: the module cache stays deletable with plain rm -rf
    if ! env GOPATH="$go_root" GOCACHE="$go_root/cache" GOMODCACHE="$go_root/pkg/mod" \
        GOBIN="$build_bin" GOFLAGS=-modcacherw \
        "$go" install -ldflags "-X main.Version=$VERSITYGW_VERSION -X main.Build=sluice-install-deps" \
        "$VERSITYGW_PKG@$VERSITYGW_VERSION" </dev/null 2> >(grep -v '^go: downloading ' >&2); then
        rm -rf "$build_bin"
        log "go install $VERSITYGW_PKG@$VERSITYGW_VERSION failed"
        exit 1
    fi
    mkdir -p "$go_root/bin"
    mv -f "$build_bin/versitygw" "$versitygw"
    rm -rf "$build_bin"
    have=$(versitygw_version "$versitygw")
    if [[ "$have" != "$VERSITYGW_VERSION" ]]; then
        log "built $versitygw reports version '$have', not $VERSITYGW_VERSION"
        exit 1
    fi
    log "versitygw $VERSITYGW_VERSION built in $((SECONDS - started)) s into $versitygw"
fi
