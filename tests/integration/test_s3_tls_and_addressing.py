"""The S3 backend over https and with virtual-hosted addressing, against live
versitygw servers of this module (s3server.S3Server with tls= / virtual_domain=;
the session `s3` fixture stays plain http + path-style).

  https_s3   https on 127.0.0.1 with a certificate from a throwaway CA
             (openssl CLI) for IP 127.0.0.1, localhost and <bucket>.localhost
  vhost_s3   plain http, endpoint http://localhost:PORT, versitygw
             --virtual-domain localhost: Host <bucket>.localhost:PORT names the
             bucket. libcurl resolves every *.localhost name to loopback by
             itself, so no DNS or /etc/hosts entry is needed.

Both log every request's URL and headers (versitygw --log-level debug), which
is how the tests see the Host header and x-amz-content-sha256 sluice sent.
Objects are driven by s3_store_tool ($SLUICE_BUILD_DIR), tables by
`sluice apply` / `sluice cat`; boto3 is the independent client.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
import uuid

import pytest

from hudi_model import random_history
from pgcluster import sluice_bin
from s3server import S3Server, make_tls_files

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("SLUICE_BUILD_DIR", os.path.join(ROOT, "build"))
TOOL = os.path.join(BUILD_DIR, "s3_store_tool")
LOG_DIR = "/tmp/sluice-test-logs"
BUCKET = "sluice-test"
MiB = 1 << 20


# ---------------------------------------------------------------- fixtures
def _server(request, server: S3Server):
    server.start()
    yield server
    if request.session.testsfailed:
        kept = server.keep_log(LOG_DIR)
        if kept:
            print(f"S3 server ({server.name}) log kept at {kept}")
    server.stop()
    server.remove()


@pytest.fixture(scope="module", autouse=True)
def _tool():
    if not os.access(TOOL, os.X_OK):
        pytest.fail(f"s3_store_tool not found at {TOOL} (build it, or set SLUICE_BUILD_DIR)")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(str(tmp_path_factory.mktemp("tls")),
                          dns_names=("localhost", f"{BUCKET}.localhost"), ip_addresses=("127.0.0.1",))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    """A second CA that signed nothing the servers use."""
    return make_tls_files(str(tmp_path_factory.mktemp("other-ca")))


@pytest.fixture(scope="module")
def https_s3(request, tls_files):
    yield from _server(request, S3Server("s3-tls", bucket=BUCKET, tls=tls_files, virtual_domain="localhost",
                                         debug_log=True))


@pytest.fixture(scope="module")
def vhost_s3(request):
    yield from _server(request, S3Server("s3-vhost", bucket=BUCKET, virtual_domain="localhost",
                                         endpoint_host="localhost", debug_log=True))


@pytest.fixture
def prefix():
    return f"t-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------- helpers
def client_env(server, endpoint=None, drop=(), **extra):
    """os.environ + the server's AWS_* settings, minus `drop`, plus extra."""
    env = {**os.environ, **server.env(endpoint)}
    for name in drop:
        env.pop(name, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def tool(uri, *args, env, stdin=None, check=True, timeout=120):
    result = subprocess.run([TOOL, uri, *args], input=stdin, capture_output=True, timeout=timeout, env=env)
    if check:
        assert result.returncode == 0, f"s3_store_tool {args} exited {result.returncode}:\n" \
                                       f"{result.stderr.decode(errors='replace')}"
    return result


def sluice(*argv, env, stdin=None, timeout=300):
    return subprocess.run([sluice_bin(), *argv], input=stdin, capture_output=True, text=True, env=env,
                          timeout=timeout)


def listing(uri, env, *args):
    return [tuple(line.split("\t")) for line in tool(uri, "list", *args, env=env).stdout.decode().splitlines()]


def write_aws_config(path, text):
    path.write_text(text)
    return str(path)


def assert_round_trip_of_a_table(server, env, lake_prefix, tmp_path, check_requests=None):
    """apply + cat of one history on the server and on local disk agree, and
    boto3 finds the completed commits where sluice said it wrote them.
    check_requests(mark): called after sluice's runs, before boto3's."""
    mark = server.log_size()
    history, _ = random_history(seed=11, transactions=20)
    lake = server.uri(lake_prefix)
    applied = sluice("apply", "--lake", lake, "--batch-rows", "10", env=env, stdin=history.text())
    assert applied.returncode == 0, applied.stderr
    local = sluice("apply", "--lake", str(tmp_path / "lake"), "--batch-rows", "10", env=env,
                   stdin=history.text())
    assert local.returncode == 0, local.stderr
    remote_rows = sluice("cat", f"{lake}/public/items", env=env)
    local_rows = sluice("cat", str(tmp_path / "lake" / "public" / "items"), env=env)
    assert remote_rows.returncode == 0, remote_rows.stderr
    assert local_rows.returncode == 0, local_rows.stderr
    assert remote_rows.stdout.count("\n") > 5
    # file group ids are random per run, so rows come in another file order
    assert sorted(remote_rows.stdout.splitlines()) == sorted(local_rows.stdout.splitlines())
    if check_requests is not None:
        check_requests(mark)
    commits = [k for k in server.list_keys(f"{lake_prefix}/public/items/.hoodie")
               if k.endswith(".commit")]
    assert len(commits) >= 2, commits


# ================================================================ https
def test_https_with_the_ca_bundle_puts_gets_lists_and_uploads_multipart(https_s3, prefix, tmp_path):
    env = client_env(https_s3, SLUICE_S3_PART_SIZE_MB=5)
    assert env["AWS_CA_BUNDLE"] == https_s3.tls.ca_cert and https_s3.endpoint.startswith("https://127.0.0.1:")
    uri = https_s3.uri(prefix)
    client = https_s3.boto3_client()  # checks the certificate against the test CA too

    tool(uri, "put", "a/small.txt", "-", stdin=b"over tls", env=env)
    assert tool(uri, "get", "a/small.txt", env=env).stdout == b"over tls"
    assert tool(uri, "head", "a/small.txt", env=env).stdout == b"8\n"
    assert tool(uri, "get_range", "a/small.txt", "5", "3", env=env).stdout == b"tls"
    client.put_object(Bucket=https_s3.bucket, Key=f"{prefix}/b/from-boto3", Body=b"boto3")
    assert tool(uri, "get", "b/from-boto3", env=env).stdout == b"boto3"

    # 12 MiB through a write stream with 5 MiB parts: a 3-part multipart upload
    big = os.urandom(12 * MiB)
    (tmp_path / "big").write_bytes(big)
    tool(uri, "write", "big.bin", str(tmp_path / "big"), str(MiB), env=env)
    head = client.head_object(Bucket=https_s3.bucket, Key=f"{prefix}/big.bin")
    assert head["ContentLength"] == len(big)
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # a multipart ETag, 3 parts
    assert client.get_object(Bucket=https_s3.bucket, Key=f"{prefix}/big.bin")["Body"].read() == big
    # ranged reads from 4 threads over pooled TLS connections
    assert tool(uri, "read", "big.bin", "4", str(MiB), env=env).stdout == big

    assert listing(uri, env, "", "-r") == [("a/small.txt", "8"), ("b/from-boto3", "5"),
                                           ("big.bin", str(len(big)))]
    assert listing(uri, env, "") == [("a/", "prefix"), ("b/", "prefix"), ("big.bin", str(len(big)))]
    tool(uri, "remove", "a/small.txt", env=env)
    assert "Contents" not in client.list_objects_v2(Bucket=https_s3.bucket, Prefix=f"{prefix}/a/")


def test_https_apply_and_cat_round_trip_matches_local_disk(https_s3, prefix, tmp_path):
    env = client_env(https_s3)
    assert_round_trip_of_a_table(https_s3, env, f"{prefix}/lake", tmp_path)


def test_hudi_rs_reads_a_table_sluice_wrote_over_https(https_s3, prefix, monkeypatch):
    """The independent reader over the same TLS endpoint: hudi-rs (object_store,
    rustls) trusts the test CA through SSL_CERT_FILE, and refuses the server
    with the system's CAs, so the read really went over verified https."""
    import json

    import hudi_oracles as oracles
    env = client_env(https_s3)
    history, _ = random_history(seed=23, transactions=12)
    applied = sluice("apply", "--lake", https_s3.uri(f"{prefix}/lake"), "--batch-rows", "10", env=env,
                     stdin=history.text())
    assert applied.returncode == 0, applied.stderr
    table = https_s3.uri(f"{prefix}/lake/public/items")
    cat = sluice("cat", table, env=env)
    assert cat.returncode == 0, cat.stderr
    want = sorted(json.loads(line)["id"] for line in cat.stdout.splitlines())
    assert len(want) > 5
    options = https_s3.hudirs_storage_options()
    assert options["aws_endpoint"].startswith("https://") and "aws_allow_http" not in options
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(Exception, match="error sending request"):  # rustls: unknown issuer
        oracles.hudirs_snapshot(table, storage_options=options)
    monkeypatch.setenv("SSL_CERT_FILE", https_s3.tls.ca_cert)
    rows = oracles.hudirs_snapshot(table, storage_options=options, meta=False)
    assert sorted(r["id"] for r in rows) == want


def test_https_ca_bundle_from_the_aws_profile_and_aws_ca_bundle_overrides_it(https_s3, other_ca, prefix,
                                                                            tmp_path):
    uri = https_s3.uri(prefix)
    config = write_aws_config(tmp_path / "config", f"[default]\nca_bundle = {https_s3.tls.ca_cert}\n")
    env = client_env(https_s3, drop=["AWS_CA_BUNDLE"], AWS_CONFIG_FILE=config)
    tool(uri, "put", "k", "-", stdin=b"profile ca", env=env)
    assert tool(uri, "get", "k", env=env).stdout == b"profile ca"
    # the variable wins over the profile: a CA that did not sign the server's certificate
    refused = tool(uri, "get", "k", env={**env, "AWS_CA_BUNDLE": other_ca.ca_cert}, check=False)
    assert refused.returncode == 2
    assert b"SSL certificate problem" in refused.stderr, refused.stderr


def test_https_without_the_test_ca_is_refused_naming_the_certificate_problem_and_endpoint(
        https_s3, prefix, tmp_path):
    env = client_env(https_s3, drop=["AWS_CA_BUNDLE"])  # the system CA store only
    uri = https_s3.uri(prefix)
    started = time.monotonic()
    refused = tool(uri, "put", "k", "-", stdin=b"x", env=env, check=False)
    elapsed = time.monotonic() - started
    err = refused.stderr.decode()
    assert refused.returncode == 2, err
    assert "SSL certificate problem" in err and "local issuer certificate" in err, err
    assert f"at {https_s3.endpoint}:" in err, err
    assert f"s3://{BUCKET}/{prefix}" in err, err
    assert elapsed < 20, f"a certificate error is not worth retrying, but it took {elapsed:.1f} s"

    history, _ = random_history(seed=12, transactions=3)
    applied = sluice("apply", "--lake", uri, env=env, stdin=history.text())
    assert applied.returncode != 0
    assert "SSL certificate problem" in applied.stderr and https_s3.endpoint in applied.stderr, applied.stderr
    assert https_s3.list_keys(prefix) == []


def test_https_certificate_errors_say_to_set_aws_ca_bundle(https_s3, prefix):
    env = client_env(https_s3, drop=["AWS_CA_BUNDLE"])
    refused = tool(https_s3.uri(prefix), "list", "", env=env, check=False)
    assert refused.returncode == 2
    # a setting to change (ECONFIG, not retried), and which one
    assert refused.stderr.startswith(b"error: ECONFIG: "), refused.stderr
    assert b"system CA store" in refused.stderr and b"set AWS_CA_BUNDLE" in refused.stderr, refused.stderr


def test_https_certificate_for_another_host_name_is_refused(https_s3, prefix):
    # same listener, same trusted CA: only the name differs. The certificate
    # names localhost and sluice-test.localhost, not mismatch.localhost.
    uri = https_s3.uri(prefix)
    good = tool(uri, "list", "", env=client_env(https_s3, https_s3.url("localhost")), check=False)
    assert good.returncode == 0, good.stderr
    wrong = https_s3.url("mismatch.localhost")
    refused = tool(uri, "list", "", env=client_env(https_s3, wrong), check=False)
    err = refused.stderr.decode()
    assert refused.returncode == 2, err
    assert "no alternative certificate subject name matches target host name 'mismatch.localhost'" in err, err
    assert f"at {wrong}:" in err, err


def test_a_wrong_scheme_fails_with_a_hint_or_within_the_retry_limit(https_s3, vhost_s3, prefix):
    """https:// to a plain http server is a setting to change: refused at once
    naming the endpoint and the fix. http:// to a TLS server looks like a
    server that answers nothing, which is retried, so the retry limit ends it
    and the message names the endpoint."""
    tls_endpoint_as_http = https_s3.endpoint.replace("https://", "http://")
    plain_endpoint_as_https = vhost_s3.endpoint.replace("http://", "https://")
    started = time.monotonic()
    refused = tool(vhost_s3.uri(prefix), "list", "", check=False,
                   env=client_env(vhost_s3, plain_endpoint_as_https))
    err = refused.stderr.decode()
    assert refused.returncode == 2 and err.startswith("error: ECONFIG: "), err
    assert f"at {plain_endpoint_as_https}:" in err and "write the endpoint as http://" in err, err
    assert time.monotonic() - started < 20  # not retried for the 60 s window
    gave_up = tool(https_s3.uri(prefix), "list", "", check=False,
                   env=client_env(https_s3, tls_endpoint_as_http, SLUICE_S3_RETRY_MAX_SECONDS=2))
    err = gave_up.stderr.decode()
    assert gave_up.returncode == 2 and f"at {tls_endpoint_as_http}: gave up after" in err, err


def test_https_unreadable_ca_bundle_is_reported_with_its_path(https_s3, prefix, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    refused = tool(https_s3.uri(prefix), "list", "", env=client_env(https_s3, AWS_CA_BUNDLE=missing), check=False)
    err = refused.stderr.decode()
    assert refused.returncode == 2, err
    assert missing in err and https_s3.endpoint in err, err


def test_https_payloads_are_unsigned_by_default_and_http_payloads_signed(https_s3, vhost_s3, prefix):
    body = b"payload " + uuid.uuid4().bytes
    body_hash = hashlib.sha256(body).hexdigest()

    mark = https_s3.log_size()
    tool(https_s3.uri(prefix), "put", "unsigned", "-", stdin=body, env=client_env(https_s3))
    sent = https_s3.request_headers_since(mark, "X-Amz-Content-Sha256")
    assert len(sent) >= 2 and set(sent) == {"UNSIGNED-PAYLOAD"}, sent  # the open's list + the put

    # the observation can tell the difference: signing asked for
    mark = https_s3.log_size()
    tool(https_s3.uri(prefix), "put", "signed", "-", stdin=body,
         env=client_env(https_s3, SLUICE_S3_PAYLOAD_SIGNING="always"))
    sent = https_s3.request_headers_since(mark, "X-Amz-Content-Sha256")
    assert body_hash in sent and "UNSIGNED-PAYLOAD" not in sent, sent

    # plain http signs by default
    mark = vhost_s3.log_size()
    tool(vhost_s3.uri(prefix), "put", "http", "-", stdin=body, env=client_env(vhost_s3))
    sent = vhost_s3.request_headers_since(mark, "X-Amz-Content-Sha256")
    assert body_hash in sent and "UNSIGNED-PAYLOAD" not in sent, sent


def test_https_with_virtual_hosted_addressing(https_s3, prefix):
    env = client_env(https_s3, https_s3.url("localhost"), SLUICE_S3_ADDRESSING_STYLE="virtual")
    uri = https_s3.uri(prefix)
    mark = https_s3.log_size()
    tool(uri, "put", "v/k", "-", stdin=b"virtual over tls", env=env)
    assert tool(uri, "get", "v/k", env=env).stdout == b"virtual over tls"
    assert listing(uri, env, "", "-r") == [("v/k", "16")]
    hosts = https_s3.request_headers_since(mark, "Host")
    assert len(hosts) >= 4 and set(hosts) == {f"{BUCKET}.localhost:{https_s3.port}"}, hosts
    body = https_s3.boto3_client().get_object(Bucket=BUCKET, Key=f"{prefix}/v/k")["Body"].read()
    assert body == b"virtual over tls"


# ================================================================ virtual-hosted addressing
def assert_virtual_hosted(server, mark, min_requests):
    """Every request since mark went to Host <bucket>.localhost:PORT with a path
    that does not name the bucket."""
    hosts = server.request_headers_since(mark, "Host")
    urls = server.request_urls_since(mark)
    assert len(hosts) >= min_requests and set(hosts) == {f"{BUCKET}.localhost:{server.port}"}, hosts
    base = f"http://{BUCKET}.localhost:{server.port}/"
    assert len(urls) == len(hosts) and all(u.startswith(base) for u in urls), urls
    assert not any(u[len(base):].startswith(f"{BUCKET}/") or u[len(base):].startswith(f"{BUCKET}?")
                   for u in urls), urls


def test_virtual_hosted_store_operations_name_the_bucket_in_the_host(vhost_s3, prefix):
    uri = vhost_s3.uri(prefix)
    env = client_env(vhost_s3, SLUICE_S3_ADDRESSING_STYLE="virtual")
    assert vhost_s3.endpoint.startswith("http://localhost:")
    client = vhost_s3.boto3_client()  # path-style: http://localhost:PORT/bucket/key

    mark = vhost_s3.log_size()
    tool(uri, "put", "d/one.txt", "-", stdin=b"one", env=env)
    tool(uri, "put_if_absent", "d/two.txt", "-", stdin=b"two", env=env)
    assert tool(uri, "get", "d/one.txt", env=env).stdout == b"one"
    assert tool(uri, "get_range", "d/two.txt", "1", "2", env=env).stdout == b"wo"
    assert listing(uri, env, "", "-r") == [("d/one.txt", "3"), ("d/two.txt", "3")]
    assert listing(uri, env, "") == [("d/", "prefix")]
    tool(uri, "remove", "d/one.txt", env=env)
    assert_virtual_hosted(vhost_s3, mark, min_requests=10)

    # the objects landed in the bucket at prefix/key (a bucket name left in the
    # path would have made them sluice-test/prefix/key)
    assert vhost_s3.list_keys(prefix) == [f"{prefix}/d/two.txt"]
    assert client.get_object(Bucket=BUCKET, Key=f"{prefix}/d/two.txt")["Body"].read() == b"two"
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/d/from-boto3", Body=b"boto3")
    assert tool(uri, "get", "d/from-boto3", env=env).stdout == b"boto3"

    # control: path-style against the same server puts the bucket in the path
    mark = vhost_s3.log_size()
    assert tool(uri, "get", "d/two.txt", env=client_env(vhost_s3)).stdout == b"two"
    assert set(vhost_s3.request_headers_since(mark, "Host")) == {f"localhost:{vhost_s3.port}"}
    assert all(f"localhost:{vhost_s3.port}/{BUCKET}" in u for u in vhost_s3.request_urls_since(mark))


def test_virtual_hosted_multipart_upload(vhost_s3, prefix, tmp_path):
    env = client_env(vhost_s3, SLUICE_S3_ADDRESSING_STYLE="virtual", SLUICE_S3_PART_SIZE_MB=5)
    big = os.urandom(11 * MiB)
    (tmp_path / "big").write_bytes(big)
    mark = vhost_s3.log_size()
    tool(vhost_s3.uri(prefix), "write", "big.bin", str(tmp_path / "big"), str(MiB), env=env)
    assert_virtual_hosted(vhost_s3, mark, min_requests=5)  # list, create, 3 parts, complete
    client = vhost_s3.boto3_client()
    head = client.head_object(Bucket=BUCKET, Key=f"{prefix}/big.bin")
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]
    assert client.get_object(Bucket=BUCKET, Key=f"{prefix}/big.bin")["Body"].read() == big


def test_virtual_hosted_addressing_from_the_aws_profile(vhost_s3, prefix, tmp_path):
    config = write_aws_config(tmp_path / "config", "[default]\ns3 =\n    addressing_style = virtual\n")
    env = client_env(vhost_s3, AWS_CONFIG_FILE=config)
    uri = vhost_s3.uri(prefix)
    mark = vhost_s3.log_size()
    tool(uri, "put", "p.txt", "-", stdin=b"from profile", env=env)
    assert listing(uri, env, "", "-r") == [("p.txt", "12")]
    assert_virtual_hosted(vhost_s3, mark, min_requests=4)
    assert vhost_s3.list_keys(prefix) == [f"{prefix}/p.txt"]
    # SLUICE_S3_ADDRESSING_STYLE wins over the profile
    mark = vhost_s3.log_size()
    assert tool(uri, "get", "p.txt", env={**env, "SLUICE_S3_ADDRESSING_STYLE": "path"}).stdout == b"from profile"
    assert set(vhost_s3.request_headers_since(mark, "Host")) == {f"localhost:{vhost_s3.port}"}


def test_virtual_hosted_apply_and_cat_round_trip_matches_local_disk(vhost_s3, prefix, tmp_path):
    env = client_env(vhost_s3, SLUICE_S3_ADDRESSING_STYLE="virtual")
    assert_round_trip_of_a_table(vhost_s3, env, f"{prefix}/lake", tmp_path,
                                 check_requests=lambda mark: assert_virtual_hosted(vhost_s3, mark, 20))
