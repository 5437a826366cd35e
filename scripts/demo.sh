#!/usr/bin/env bash
# A first look at sluice: a throwaway PostgreSQL cluster, two tables, and
# `sluice tail` printing their initial snapshot and then every change of a
# small workload as JSON lines. Everything lives in a temp dir that is removed
# on exit. Run it with `make demo` (which installs and builds first).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SLUICE=${SLUICE_BIN:-build/sluice}
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

[[ -x "$SLUICE" ]] || { echo "demo: $SLUICE not found; run 'make' first" >&2; exit 1; }
[[ -x "$PG_BINDIR/initdb" ]] || { echo "demo: PostgreSQL 15 not found in $PG_BINDIR; run 'make deps'" >&2; exit 1; }

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

# PostgreSQL refuses to run as root: run the server as `postgres` then.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
    as_pg=(runuser -u postgres --)
fi

tmp=$(mktemp -d /tmp/sluice-demo.XXXXXX)
chmod 755 "$tmp"
tail_pid=""
cleanup() {
    if [[ -n "$tail_pid" ]] && kill -0 "$tail_pid" 2>/dev/null; then
        kill -INT "$tail_pid" 2>/dev/null || true
        wait "$tail_pid" 2>/dev/null || true
    fi
    if [[ -f "$tmp/data/postmaster.pid" ]]; then
        "${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/sock"
[[ ${#as_pg[@]} -eq 0 ]] || chown postgres: "$tmp" "$tmp/sock"

say "starting a private PostgreSQL 15 on 127.0.0.1:$port (in $tmp)"
"${as_pg[@]}" "$PG_BINDIR/initdb" -D "$tmp/data" -U postgres --auth=trust --no-locale --encoding=UTF8 \
    --no-sync --no-instructions >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log"; exit 1; }
"${as_pg[@]}" tee -a "$tmp/data/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$tmp/sock'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
fsync = off
timezone = 'UTC'
EOF
"${as_pg[@]}" "$PG_BINDIR/pg_ctl" -D "$tmp/data" -l "$tmp/postgresql.log" -w start >/dev/null

dsn="host=127.0.0.1 port=$port user=postgres dbname=shop"
psql=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)
sql() {
    printf '   %s\n' "$1"
    "${psql[@]}" "$dsn" -c "$1"
}

"${psql[@]}" "host=127.0.0.1 port=$port user=postgres dbname=postgres" -c "CREATE DATABASE shop"

say "two tables with a few rows"
sql "CREATE TABLE customers (id int8 PRIMARY KEY, name text NOT NULL, email text)"
sql "CREATE TABLE orders (id int8 PRIMARY KEY, customer_id int8 REFERENCES customers, total numeric(10,2), placed_at timestamptz DEFAULT now())"
sql "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Grace', NULL)"
sql "INSERT INTO orders (id, customer_id, total) VALUES (100, 1, 25.50)"

say "sluice tail --create-slot --snapshot (in the background)"
out="$tmp/changes.jsonl"
"$SLUICE" tail --dsn "$dsn" --slot demo_slot --publication demo_pub --create-slot --snapshot \
    >"$out" 2>"$tmp/sluice.log" &
tail_pid=$!

# Wait until the slot exists and is consistent: changes from here on are streamed.
for _ in $(seq 1 300); do
    ready=$("${psql[@]}" "$dsn" -tAc "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'demo_slot' AND confirmed_flush_lsn IS NOT NULL")
    [[ "$ready" == 1 ]] && break
    kill -0 "$tail_pid" 2>/dev/null || { cat "$tmp/sluice.log" >&2; exit 1; }
    sleep 0.1
done
[[ "$ready" == 1 ]] || { echo "demo: the slot was not created" >&2; cat "$tmp/sluice.log" >&2; exit 1; }

say "a small workload while sluice listens"
sql "INSERT INTO customers VALUES (3, 'Linus', 'linus@example.com')"
sql "BEGIN; INSERT INTO orders (id, customer_id, total) VALUES (101, 3, 9.99), (102, 2, 120); UPDATE customers SET email = 'grace@example.com' WHERE id = 2; COMMIT"
sql "UPDATE orders SET total = total * 0.9 WHERE customer_id = 1"
sql "DELETE FROM orders WHERE id = 102"
sql "TRUNCATE orders"

# 3 snapshot rows + 1 + 3 + 1 + 1 + 1 truncate line = 10 change lines.
expected=10
for _ in $(seq 1 300); do
    got=$(grep -c '"op":"[cudtr]"' "$out" || true)
    [[ "$got" -ge "$expected" ]] && break
    kill -0 "$tail_pid" 2>/dev/null || break
    sleep 0.1
done

say "stopping sluice with SIGINT"
kill -INT "$tail_pid"
status=0
wait "$tail_pid" || status=$?
tail_pid=""

say "what sluice printed (one JSON object per line: schema lines, r = snapshot row, c/u/d = insert/update/delete, t = truncate)"
cat "$out"

if [[ $status -ne 0 ]]; then
    echo "demo: sluice exited with status $status:" >&2
    cat "$tmp/sluice.log" >&2
    exit 1
fi
got=$(grep -c '"op":"[cudtr]"' "$out" || true)
if [[ "$got" -lt "$expected" ]]; then
    echo "demo: expected $expected change lines, got $got; sluice's log:" >&2
    cat "$tmp/sluice.log" >&2
    exit 1
fi
lake="$tmp/lake"
say "sluice apply --lake $lake --batch-rows 1 < changes.jsonl (one Hudi commit per transaction)"
"$SLUICE" apply --lake "$lake" --batch-rows 1 --log-level warn <"$out"
find "$lake" -name '*.parquet' | sed "s|$lake/|   |" | sort

say "sluice timeline $lake/public/orders"
"$SLUICE" timeline "$lake/public/orders"

say "sluice cat $lake/public/customers"
"$SLUICE" cat "$lake/public/customers"

first=$("$SLUICE" timeline "$lake/public/orders" | head -1 | sed 's/.*"instant":"\([0-9]*\)".*/\1/')
say "sluice cat --as-of $first $lake/public/orders (time travel: before the update, delete and truncate)"
"$SLUICE" cat --as-of "$first" "$lake/public/orders"

# The same changes into a lake on S3: a private S3-compatible server (versitygw,
# checking SigV4 signatures) started with the tests' harness, tests/integration/s3server.py.
say "the same changes into a lake on S3: sluice apply --lake s3://<bucket>/lake (a private versitygw on 127.0.0.1)"
SLUICE="$SLUICE" CHANGES="$out" LOCAL_LAKE="$lake" .venv/bin/python - <<'PYEOF'
import os, subprocess, sys
sys.path.insert(0, "tests/integration")
from s3server import S3Server, S3ServerError

sluice, changes, local_lake = os.environ["SLUICE"], os.environ["CHANGES"], os.environ["LOCAL_LAKE"]
try:
    server = S3Server("demo-s3", bucket="demo-lake").start()
except S3ServerError as e:
    sys.exit(f"demo: cannot start the S3 server: {e}")
try:
    env = {**os.environ, **server.env()}  # AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ... as a user would set
    print(f"   AWS_ENDPOINT_URL_S3={server.endpoint} AWS_REGION={server.region} (keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)")
    lake = f"s3://{server.bucket}/lake"
    with open(changes) as f:
        subprocess.run([sluice, "apply", "--lake", lake, "--batch-rows", "1", "--log-level", "warn"],
                       stdin=f, env=env, check=True)
    for key in server.list_keys("lake"):
        if key.endswith(".parquet"):
            print("  ", key)
    table = f"{lake}/public/customers"
    print(f"\n== sluice cat {table}")
    on_s3 = subprocess.run([sluice, "cat", table], env=env, check=True, capture_output=True, text=True).stdout
    print(on_s3, end="")
    local = subprocess.run([sluice, "cat", f"{local_lake}/public/customers"], check=True, capture_output=True,
                           text=True).stdout
    if on_s3 != local:
        sys.exit("demo: the table on S3 differs from the one on local disk")
    print("   (the same rows as the lake on local disk)")
finally:
    server.stop()
    server.remove()
PYEOF

say "done: $got changes captured and applied as Hudi tables on local disk and on S3; the cluster, the server and the lakes are removed on exit"
