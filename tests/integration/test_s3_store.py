"""The S3 object-store backend (src/storage/s3_*.c) against a real
S3-compatible server that checks SigV4 (versitygw, fixture `s3`), with boto3
as the independent client, and through the fault-injecting proxy
(fixture `s3_proxy`) for retries, timeouts and outages.

Every operation of struct sl_object_store is driven by s3_store_tool (a thin
command-line wrapper over sl_object_store_open, tests/unit/s3_store_tool.c),
and whole tables by `sluice apply --lake s3://...` / `sluice cat s3://...`.
The tool is found in $SLUICE_BUILD_DIR (default: build/ in the repository).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import threading
import time
import uuid

import pytest

import hudi_oracles as oracles
from hudi_model import random_history
from pgcluster import sluice_bin

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD_DIR, "s3_store_tool")
MiB = 1 << 20


@pytest.fixture(scope="module", autouse=True)
def _tool():
    if not os.access(TOOL, os.X_OK):
        pytest.fail(f"s3_store_tool not found at {TOOL} (build it, or set SLUICE_BUILD_DIR)")


@pytest.fixture
def prefix():
    return f"s3test-{uuid.uuid4().hex[:10]}"


def tool_env(s3, endpoint=None, **extra):
    env = {**os.environ, **s3.env(endpoint)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def tool(s3, uri, *args, endpoint=None, stdin=None, check=True, env=None, timeout=180):
    result = subprocess.run([TOOL, uri, *args], input=stdin, capture_output=True, timeout=timeout,
                            env=tool_env(s3, endpoint, **(env or {})))
    if check:
        assert result.returncode == 0, f"s3_store_tool {args} exited {result.returncode}:\n" \
                                       f"{result.stderr.decode(errors='replace')}"
    return result


def store(s3, prefix):
    return s3.uri(prefix)


def put_bytes(s3, prefix, key, data: bytes, **kw):
    return tool(s3, store(s3, prefix), "put", key, "-", stdin=data, **kw)


def listing(s3, prefix, list_prefix="", recursive=True, **kw):
    out = tool(s3, store(s3, prefix), "list", list_prefix, *(["-r"] if recursive else []), **kw)
    rows = []
    for line in out.stdout.decode().splitlines():
        key, what = line.split("\t")
        rows.append((key, "prefix" if what == "prefix" else int(what)))
    return rows


# ---------------------------------------------------------------- every operation


def test_every_operation_round_trips_and_boto3_agrees(s3, prefix):
    uri = store(s3, prefix)
    client = s3.boto3_client()
    put_bytes(s3, prefix, "a/one.txt", b"hello")
    put_bytes(s3, prefix, "a/b/two.bin", bytes(range(256)) * 4)
    put_bytes(s3, prefix, "z", b"")
    put_bytes(s3, prefix, "key with space+plus~é", b"odd name")
    client.put_object(Bucket=s3.bucket, Key=f"{prefix}/from-boto3.txt", Body=b"written by boto3")

    # sluice's writes as boto3 sees them, and boto3's as sluice sees them
    assert client.get_object(Bucket=s3.bucket, Key=f"{prefix}/a/one.txt")["Body"].read() == b"hello"
    assert client.get_object(Bucket=s3.bucket, Key=f"{prefix}/key with space+plus~é")["Body"].read() \
        == b"odd name"
    assert tool(s3, uri, "get", "from-boto3.txt").stdout == b"written by boto3"
    assert tool(s3, uri, "get", "key with space+plus~é").stdout == b"odd name"
    assert tool(s3, uri, "get", "z").stdout == b""
    assert tool(s3, uri, "head", "a/b/two.bin").stdout == b"1024\n"
    assert tool(s3, uri, "get_range", "a/b/two.bin", "250", "10").stdout == bytes(range(250, 256)) + bytes(range(4))
    assert tool(s3, uri, "get_range", "a/one.txt", "5", "0").stdout == b""

    assert listing(s3, prefix) == sorted([("a/b/two.bin", 1024), ("a/one.txt", 5), ("from-boto3.txt", 16),
                                          ("key with space+plus~é", 8), ("z", 0)])
    # non-recursive: objects directly below plus one prefix entry per "directory", sorted
    assert listing(s3, prefix, recursive=False) == [("a/", "prefix"), ("from-boto3.txt", 16),
                                                    ("key with space+plus~é", 8), ("z", 0)]
    assert listing(s3, prefix, "a/", recursive=False) == [("a/b/", "prefix"), ("a/one.txt", 5)]
    assert listing(s3, prefix, "a/o") == [("a/one.txt", 5)]  # a prefix may end inside a name
    assert listing(s3, prefix, "nothing/") == []

    tool(s3, uri, "remove", "a/one.txt")
    tool(s3, uri, "remove", "a/one.txt")  # missing: still success
    missing = tool(s3, uri, "get", "a/one.txt", check=False)
    assert missing.returncode == 2 and b"ENOTFOUND" in missing.stderr and b"a/one.txt" in missing.stderr
    missing = tool(s3, uri, "head", "a/one.txt", check=False)
    assert b"ENOTFOUND" in missing.stderr
    past = tool(s3, uri, "get_range", "a/b/two.bin", "1020", "10", check=False)
    assert past.returncode == 2 and b"past the end" in past.stderr
    bad_key = tool(s3, uri, "put", "../escape", "-", stdin=b"x", check=False)
    assert b"EINVAL" in bad_key.stderr


def test_put_if_absent_is_exclusive_and_logs_its_guarantee(s3, prefix):
    uri = store(s3, prefix)
    first = tool(s3, uri, "put_if_absent", "instant.commit", "-", stdin=b"first")
    assert b"mode=if-none-match" in first.stderr  # versitygw honours If-None-Match
    second = tool(s3, uri, "put_if_absent", "instant.commit", "-", stdin=b"second", check=False)
    assert second.returncode == 2 and b"EEXIST" in second.stderr
    assert tool(s3, uri, "get", "instant.commit").stdout == b"first"
    # the probe object is hidden from listings and removed
    assert listing(s3, prefix) == [("instant.commit", 5)]
    keys = [o["Key"] for o in s3.boto3_client().list_objects_v2(Bucket=s3.bucket, Prefix=prefix)["Contents"]]
    assert keys == [f"{prefix}/instant.commit"]


def test_put_if_absent_falls_back_to_head_then_put_when_the_server_refuses_the_header(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    # the probe PUT is told "not implemented": the store falls back and says so
    s3_proxy.fail(count=1, status=501, code="NotImplemented", method="PUT")
    first = tool(s3, uri, "put_if_absent", "k", "-", stdin=b"1", endpoint=s3_proxy.endpoint)
    err = first.stderr.decode()
    assert "mode=head-then-put" in err and "not atomic" in err and "level=warn" in err
    again = tool(s3, uri, "put_if_absent", "k", "-", stdin=b"2", endpoint=s3_proxy.endpoint, check=False)
    assert b"EEXIST" in again.stderr
    forced = tool(s3, uri, "put_if_absent", "k2", "-", stdin=b"3",
                  env={"SLUICE_S3_CONDITIONAL_PUT": "head-then-put"})
    assert b"set by SLUICE_S3_CONDITIONAL_PUT" in forced.stderr


def test_large_write_stream_goes_multipart_and_reads_back_in_parallel(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    data = os.urandom(23 * MiB + 12345)
    tool(s3, uri, "write", "big.parquet", "-", "100000", stdin=data, endpoint=s3_proxy.endpoint,
         env={"SLUICE_S3_PART_SIZE_MB": 5, "SLUICE_S3_UPLOAD_PARALLELISM": 3})
    parts = [r for r in s3_proxy.requests if r.method == "PUT" and "partNumber=" in r.path]
    assert len(parts) == 5 and all(r.status == 200 for r in parts)
    assert any(r.method == "POST" and "uploads" in r.path for r in s3_proxy.requests)
    head = s3.boto3_client().head_object(Bucket=s3.bucket, Key=f"{prefix}/big.parquet")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-5")  # assembled from 5 parts
    got = s3.boto3_client().get_object(Bucket=s3.bucket, Key=f"{prefix}/big.parquet")["Body"].read()
    assert got == data
    # open_read + read_at from 8 threads at once, 1 MiB ranges
    assert tool(s3, uri, "read", "big.parquet", "8", str(MiB)).stdout == data
    assert tool(s3, uri, "get", "big.parquet").stdout == data
    # a small stream is one PutObject
    tool(s3, uri, "write", "small", "-", stdin=b"x" * 1000)
    assert tool(s3, uri, "get", "small").stdout == b"x" * 1000


# ---------------------------------------------------------------- checksums

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C written from the polynomial, independent of sluice's C code."""
    crc, table = 0xFFFFFFFF, CRC32C_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def crc32c_b64(data: bytes) -> str:
    import base64
    return base64.b64encode(crc32c(data).to_bytes(4, "big")).decode()


def test_objects_and_parts_carry_a_crc32c_that_the_server_checked(s3, prefix):
    import base64
    uri = store(s3, prefix)
    client = s3.boto3_client()
    assert crc32c(b"123456789") == 0xE3069283
    small = os.urandom(300_000)
    put_bytes(s3, prefix, "small", small)
    tool(s3, uri, "put_if_absent", "once", "-", stdin=small[:1000])
    for key, data in (("small", small), ("once", small[:1000])):
        head = client.head_object(Bucket=s3.bucket, Key=f"{prefix}/{key}", ChecksumMode="ENABLED")
        assert head.get("ChecksumCRC32C") == crc32c_b64(data), head
    # multipart: each part's CRC-32C, and the object's composite "crc(crcs)-N"
    big = os.urandom(11 * MiB + 777)
    tool(s3, uri, "write", "big", "-", stdin=big, env={"SLUICE_S3_PART_SIZE_MB": 5})
    parts = [big[i:i + 5 * MiB] for i in range(0, len(big), 5 * MiB)]
    composite = b"".join(crc32c(p).to_bytes(4, "big") for p in parts)
    want = base64.b64encode(crc32c(composite).to_bytes(4, "big")).decode() + f"-{len(parts)}"
    head = client.head_object(Bucket=s3.bucket, Key=f"{prefix}/big", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32C") == want, head
    # SLUICE_S3_CHECKSUM=none sends none (for servers that refuse the headers)
    put_bytes(s3, prefix, "plain", small, env={"SLUICE_S3_CHECKSUM": "none"})
    head = client.head_object(Bucket=s3.bucket, Key=f"{prefix}/plain", ChecksumMode="ENABLED")
    assert "ChecksumCRC32C" not in head
    bad = put_bytes(s3, prefix, "x", b"x", env={"SLUICE_S3_CHECKSUM": "md5"}, check=False)
    assert bad.returncode == 2 and b'SLUICE_S3_CHECKSUM="md5": use crc32c or none' in bad.stderr


def test_a_body_damaged_in_transit_is_refused_by_its_checksum_and_sent_again(s3, s3_proxy, prefix):
    """Unsigned payloads (https's default) are guarded by the CRC-32C alone:
    a flipped bit on the way is refused (BadDigest) and the intact buffer is
    sent again, for a PutObject and for a part of a multipart upload."""
    uri = store(s3, prefix)
    client = s3.boto3_client()
    unsigned = {"SLUICE_S3_PAYLOAD_SIGNING": "never"}
    data = os.urandom(200_000)
    s3_proxy.corrupt(1, method="PUT")
    put_bytes(s3, prefix, "one", data, endpoint=s3_proxy.endpoint, env=unsigned)
    puts = [r for r in s3_proxy.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [400, 200] and puts[0].fault == "corrupt"
    assert client.get_object(Bucket=s3.bucket, Key=f"{prefix}/one")["Body"].read() == data

    big = os.urandom(12 * MiB)
    s3_proxy.requests.clear()
    s3_proxy.corrupt(1, method="PUT", path=r"partNumber=2")
    tool(s3, uri, "write", "big", "-", stdin=big, endpoint=s3_proxy.endpoint,
         env={**unsigned, "SLUICE_S3_PART_SIZE_MB": 5})
    part2 = [r.status for r in s3_proxy.requests if "partNumber=2" in r.path]
    assert part2 == [400, 200]
    assert client.get_object(Bucket=s3.bucket, Key=f"{prefix}/big")["Body"].read() == big

    # the control: with neither checksum nor signed payload the damage lands
    s3_proxy.corrupt(1, method="PUT")
    put_bytes(s3, prefix, "unguarded", data, endpoint=s3_proxy.endpoint,
              env={**unsigned, "SLUICE_S3_CHECKSUM": "none"})
    landed = client.get_object(Bucket=s3.bucket, Key=f"{prefix}/unguarded")["Body"].read()
    assert len(landed) == len(data) and landed != data
    # a signed payload alone also catches it (XAmzContentSHA256Mismatch)
    s3_proxy.requests.clear()
    s3_proxy.corrupt(1, method="PUT")
    put_bytes(s3, prefix, "signed", data, endpoint=s3_proxy.endpoint,
              env={"SLUICE_S3_PAYLOAD_SIGNING": "always", "SLUICE_S3_CHECKSUM": "none"})
    assert [r.status for r in s3_proxy.requests if r.method == "PUT"] == [400, 200]
    assert client.get_object(Bucket=s3.bucket, Key=f"{prefix}/signed")["Body"].read() == data


def test_aborted_and_failed_multipart_uploads_leave_nothing(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    client = s3.boto3_client()
    data = os.urandom(12 * MiB)
    env = {"SLUICE_S3_PART_SIZE_MB": 5}
    tool(s3, uri, "write_abort", "aborted", "-", stdin=data, env=env)
    # a part refused for good (a 400 is not retried): the stream fails and aborts the upload
    s3_proxy.fail(count=1, status=400, code="InvalidArgument", method="PUT", path=r"partNumber=2")
    failed = tool(s3, uri, "write", "failed", "-", stdin=data, endpoint=s3_proxy.endpoint, env=env,
                  check=False)
    err = failed.stderr.decode()
    assert failed.returncode == 2 and "InvalidArgument" in err and "part 2" in err, err
    assert any(r.method == "DELETE" and "uploadId=" in r.path for r in s3_proxy.requests)
    assert listing(s3, prefix) == []
    uploads = client.list_multipart_uploads(Bucket=s3.bucket, Prefix=prefix)
    assert uploads.get("Uploads", []) == []


def test_remove_many_deletes_in_batches_of_1000_and_leaves_other_keys(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    client = s3.boto3_client()
    odd = ["a&b <c>.parquet", "quote\"s and 'apostrophes'", "ünïcødé/ключ", "tab\there", "sp ace/x=1"]
    doomed = [f"d/{i:05d}" for i in range(2100)] + [f"odd/{k}" for k in odd] + ["d/never-existed"]
    kept = ["d0/keep", "d/00001x", "keep/a&b"]
    for key in doomed[:-1] + kept:
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{key}", Body=b"x")
    tool(s3, uri, "remove_many", "-", stdin="\n".join(doomed).encode(), endpoint=s3_proxy.endpoint)
    posts = [r for r in s3_proxy.requests if r.method == "POST" and "delete" in r.path]
    assert len(posts) == 3 and all(r.status == 200 for r in posts)  # 1000 + 1000 + 106
    assert not [r for r in s3_proxy.requests if r.method == "DELETE"]
    assert sorted(s3.list_keys(prefix)) == sorted(f"{prefix}/{k}" for k in kept)


def test_remove_many_falls_back_to_single_deletes_where_delete_objects_is_missing(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    client = s3.boto3_client()
    keys = [f"f/{i}" for i in range(5)]
    for key in keys + ["f/keep"]:
        client.put_object(Bucket=s3.bucket, Key=f"{prefix}/{key}", Body=b"x")
    s3_proxy.fail(None, status=501, code="NotImplemented", method="POST", path=r"[?&]delete")
    out = tool(s3, uri, "remove_many", "-", stdin="\n".join(keys).encode(), endpoint=s3_proxy.endpoint)
    assert b"s3_delete_objects_unsupported" in out.stderr and b"one request each" in out.stderr
    assert len([r for r in s3_proxy.requests if r.method == "DELETE"]) == 5
    assert s3.list_keys(prefix) == [f"{prefix}/f/keep"]
    # a refused batch (here: the server says the caller may not) fails naming code and message
    s3_proxy.clear()
    s3_proxy.fail(None, status=403, code="AccessDenied", method="POST", path=r"[?&]delete")
    out = tool(s3, uri, "remove_many", "-", stdin=b"f/keep", endpoint=s3_proxy.endpoint, check=False)
    assert out.returncode == 2 and b"AccessDenied" in out.stderr and b"remove_many" in out.stderr
    assert s3.list_keys(prefix) == [f"{prefix}/f/keep"]


def test_listings_follow_continuation_tokens(s3, s3_proxy, prefix):
    client = s3.boto3_client()
    keys = [f"{prefix}/d/{i:05d}" for i in range(1105)] + [f"{prefix}/d/sub/{i}" for i in range(3)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=s3.bucket, Key=k, Body=b"."), keys))
    got = listing(s3, prefix, "d/", endpoint=s3_proxy.endpoint)
    assert [k for k, _ in got] == sorted(k[len(prefix) + 1:] for k in keys)
    pages = [r for r in s3_proxy.requests if r.method == "GET" and "list-type=2" in r.path
             and "max-keys=1" not in r.path]
    assert len(pages) == 2 and "continuation-token=" in pages[1].path
    flat = listing(s3, prefix, "d/", recursive=False)
    assert len(flat) == 1106 and flat[-1] == ("d/sub/", "prefix")


# ---------------------------------------------------------------- clear errors


def test_wrong_secret_fails_at_open_with_s3s_code_and_no_secret(s3, prefix):
    secret = "Wrong" + "x" * 35
    result = tool(s3, store(s3, prefix), "list", "", check=False, env={"AWS_SECRET_ACCESS_KEY": secret})
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "ECONFIG" in err and "403" in err and "SignatureDoesNotMatch" in err and "secret access key" in err
    assert secret not in err and s3.secret_key not in err


def test_unknown_access_key_is_named(s3, prefix):
    result = tool(s3, store(s3, prefix), "list", "", check=False, env={"AWS_ACCESS_KEY_ID": "AKIANOSUCHKEY0000000"})
    err = result.stderr.decode()
    assert result.returncode == 2 and "ECONFIG" in err and "AKIANOSUCHKEY0000000" in err and "not known" in err


def test_missing_bucket_is_a_clear_error(s3):
    result = tool(s3, "s3://no-such-bucket-here/lake", "list", "", check=False)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert 'bucket "no-such-bucket-here" does not exist' in err and "NoSuchBucket" in err


def test_missing_credentials_name_the_variables(s3, prefix):
    env = {**os.environ, **s3.env()}
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    result = subprocess.run([TOOL, store(s3, prefix), "list", ""], capture_output=True, env=env, timeout=60)
    assert result.returncode == 2 and b"AWS_ACCESS_KEY_ID" in result.stderr


def test_a_403_is_not_retried_and_shows_code_and_message(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    tool(s3, uri, "put", "k", "-", stdin=b"v")
    s3_proxy.fail(count=1, status=403, code="AccessDenied", method="GET", path=r"/k$")
    result = tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint, check=False)
    err = result.stderr.decode()
    assert result.returncode == 2 and "403 AccessDenied: AccessDenied" in err and "get of k" in err
    assert len([r for r in s3_proxy.requests if r.path.endswith("/k")]) == 1


# ---------------------------------------------------------------- retries and faults


@pytest.mark.parametrize("status,code", [(500, "InternalError"), (503, "SlowDown"), (429, "SlowDown"),
                                         (502, "BadGateway")])
def test_transient_errors_are_retried(s3, s3_proxy, prefix, status, code):
    uri = store(s3, prefix)
    s3_proxy.fail(count=3, status=status, code=code, method="PUT")
    result = tool(s3, uri, "put", "k", "-", stdin=b"value", endpoint=s3_proxy.endpoint)
    assert result.stderr.decode().count("event=s3_retry") == 3
    assert s3_proxy.faults_served("fail") == 3
    assert tool(s3, uri, "get", "k").stdout == b"value"


def test_dropped_connections_and_cut_bodies_are_retried(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    data = os.urandom(300000)
    tool(s3, uri, "put", "k", "-", stdin=data)
    s3_proxy.drop(count=2, method="GET")
    s3_proxy.truncate(count=1, method="GET")
    assert tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint).stdout == data
    assert s3_proxy.faults_served() == 3
    s3_proxy.drop(count=1, method="PUT", when="after")  # the PUT happened, its answer was lost
    tool(s3, uri, "put", "k2", "-", stdin=data, endpoint=s3_proxy.endpoint)
    assert tool(s3, uri, "get", "k2").stdout == data


def test_put_if_absent_whose_answer_was_lost_still_succeeds(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    tool(s3, uri, "put_if_absent", "warmup", "-", stdin=b"w", endpoint=s3_proxy.endpoint)  # probe done
    s3_proxy.drop(count=1, method="PUT", path=r"/c\.commit$", when="after")
    result = tool(s3, uri, "put_if_absent", "c.commit", "-", stdin=b"mine", endpoint=s3_proxy.endpoint)
    assert b"s3_put_if_absent_recovered" in result.stderr
    assert tool(s3, uri, "get", "c.commit").stdout == b"mine"


def test_slow_answers_are_waited_for_and_stalls_are_cut_and_retried(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    data = os.urandom(200000)
    tool(s3, uri, "put", "k", "-", stdin=data)
    s3_proxy.delay(3, count=1, method="GET")
    s3_proxy.trickle(100000, count=1, method="GET")  # ~2 s for the body
    started = time.monotonic()
    assert tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint).stdout == data
    assert tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint).stdout == data
    assert time.monotonic() - started >= 4
    # an answer that never comes is cut after the stall timeout and retried
    s3_proxy.delay(20, count=1, method="GET", when="after")
    started = time.monotonic()
    result = tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint, env={"SLUICE_S3_STALL_TIMEOUT_SECONDS": 2})
    assert result.stdout == data and b"event=s3_retry" in result.stderr
    assert time.monotonic() - started < 15


def test_retrying_stops_at_the_time_bound_with_a_message_naming_the_last_status(s3, s3_proxy, prefix):
    uri = store(s3, prefix)
    tool(s3, uri, "put", "k", "-", stdin=b"v")
    s3_proxy.fail(count=None, status=503, code="SlowDown", method="GET", path=r"/k$")
    started = time.monotonic()
    result = tool(s3, uri, "get", "k", endpoint=s3_proxy.endpoint, check=False,
                  env={"SLUICE_S3_RETRY_MAX_SECONDS": 3})
    elapsed = time.monotonic() - started
    err = result.stderr.decode()
    assert result.returncode == 2 and elapsed < 10
    assert "get of k" in err and "gave up after" in err and "HTTP 503 SlowDown" in err, err


def test_store_rides_out_a_server_that_is_down_for_a_few_seconds(s3, prefix, tmp_path):
    uri = store(s3, prefix)
    data = os.urandom(100000)
    (tmp_path / "data").write_bytes(data)
    s3.stop()
    proc = subprocess.Popen([TOOL, uri, "put", "k", str(tmp_path / "data")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=tool_env(s3))
    time.sleep(4)
    assert proc.poll() is None  # still retrying
    s3.start()
    assert proc.wait(60) == 0, proc.stderr.read().decode()
    assert b"Couldn't connect" in proc.stderr.read()
    assert tool(s3, uri, "get", "k").stdout == data


# ---------------------------------------------------------------- Hudi tables on S3


def run_sluice(args, env, text=None, timeout=300):
    return subprocess.run([sluice_bin(), *args], input=text, capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_apply_and_cat_on_s3_match_local_disk_and_hudi_rs(s3, prefix, tmp_path):
    history, _ = random_history(seed=5, transactions=60)
    env = tool_env(s3)
    lake = s3.uri(f"{prefix}/lake")
    result = run_sluice(["apply", "--lake", lake, "--batch-rows", "20"], env, history.text())
    assert result.returncode == 0, result.stderr
    local = run_sluice(["apply", "--lake", str(tmp_path), "--batch-rows", "20"], env, history.text())
    assert local.returncode == 0, local.stderr

    s3_rows = run_sluice(["cat", f"{lake}/public/items"], env)
    local_rows = run_sluice(["cat", str(tmp_path / "public" / "items")], env)
    assert s3_rows.returncode == 0, s3_rows.stderr
    # file group ids are random per run, so rows come in another file order
    assert sorted(s3_rows.stdout.splitlines()) == sorted(local_rows.stdout.splitlines())
    assert s3_rows.stdout.count("\n") > 10
    timeline = run_sluice(["timeline", f"{lake}/public/items"], env)
    commits = [json.loads(line) for line in timeline.stdout.splitlines()]
    assert len(commits) >= 2 and all(c["state"] == "completed" for c in commits)

    # an independent reader of the S3 table
    got = oracles.hudirs_snapshot(f"{lake}/public/items", storage_options=s3.hudirs_storage_options(),
                                  meta=False)
    want = oracles.hudirs_snapshot(str(tmp_path / "public" / "items"), meta=False)
    assert oracles.diff_rows(got, want) is None, oracles.diff_rows(got, want)


@pytest.mark.timeout(400)
def test_apply_survives_the_server_stopped_for_30_seconds_mid_run(s3, prefix, tmp_path):
    history, _ = random_history(seed=7, transactions=200)
    env = tool_env(s3)
    lake = s3.uri(f"{prefix}/lake")
    client = s3.boto3_client()
    proc = subprocess.Popen([sluice_bin(), "apply", "--lake", lake, "--batch-rows", "1"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    feeder = threading.Thread(target=lambda: (proc.stdin.write(history.text()), proc.stdin.close()))
    feeder.start()

    def commits():
        resp = client.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/lake/public/items/.hoodie/")
        return [o["Key"] for o in resp.get("Contents", []) if o["Key"].endswith(".commit")]

    deadline = time.monotonic() + 120
    while len(commits()) < 3:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no commits appeared"
        time.sleep(0.05)
    s3.stop()
    time.sleep(30)
    assert proc.poll() is None, "apply gave up during the outage:\n" + proc.stderr.read()
    s3.start()
    feeder.join(60)
    assert proc.wait(300) == 0, proc.stderr.read()
    err = proc.stderr.read()
    assert "event=s3_retry" in err

    local = run_sluice(["apply", "--lake", str(tmp_path), "--batch-rows", "1"], env, history.text())
    assert local.returncode == 0, local.stderr
    s3_rows = run_sluice(["cat", f"{lake}/public/items"], env)
    local_rows = run_sluice(["cat", str(tmp_path / "public" / "items")], env)
    assert s3_rows.returncode == 0, s3_rows.stderr
    assert sorted(s3_rows.stdout.splitlines()) == sorted(local_rows.stdout.splitlines())


@pytest.mark.timeout(600)
def test_spark_reads_the_s3_table_through_s3a(s3, prefix, tmp_path):
    history, _ = random_history(seed=9, transactions=30)
    env = tool_env(s3)
    lake = f"{prefix}/lake"
    result = run_sluice(["apply", "--lake", s3.uri(lake), "--batch-rows", "10"], env, history.text())
    assert result.returncode == 0, result.stderr
    local = run_sluice(["apply", "--lake", str(tmp_path), "--batch-rows", "10"], env, history.text())
    assert local.returncode == 0, local.stderr
    results = oracles.spark_bundle_run(
        [{"kind": "snapshot", "base_uri": s3.uri(f"{lake}/public/items", scheme="s3a"), "meta": False}],
        bundle=oracles.DEFAULT_BUNDLE, s3=s3)
    assert "rows" in results[0], results[0]
    want = oracles.hudirs_snapshot(str(tmp_path / "public" / "items"), meta=False)
    assert len(want) > 5
    assert oracles.diff_rows(results[0]["rows"], want) is None, oracles.diff_rows(results[0]["rows"], want)
