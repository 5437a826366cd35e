"""The S3 test harness itself: the versitygw server of fixture `s3`
(s3server.py), the fault proxy of fixture `s3_proxy` (s3proxy.py), and both
Hudi oracles reading tables on it (hudi-rs via storage options, Spark via
s3a://). boto3 is the reference client. Nothing here runs sluice.

What the server does and does not check, pinned so a server upgrade that
changes it is noticed:
  - SigV4 signatures: wrong secret -> 403 SignatureDoesNotMatch, a signed
    header changed after signing -> 403, a body that does not match
    x-amz-content-sha256 -> 400 XAmzContentSHA256Mismatch, unsigned -> 403
    AccessDenied, unknown access key id -> 404 XAdminUserNotFound (AWS: 403
    InvalidAccessKeyId);
  - NOT checked: the region in the credential scope (a request signed for
    another region succeeds; AWS answers 400 AuthorizationHeaderMalformed);
  - PutObject with Transfer-Encoding: chunked and no Content-Length is refused
    (400; AWS: 411 MissingContentLength), so clients must send Content-Length.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import http.client
import io
import os
import subprocess
import sys
import time
import uuid

import pytest

import hudi_oracles as H

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hudi-spark-tables")
MiB = 1024 * 1024


def status_code(excinfo):
    e = excinfo.value
    return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code")


@pytest.fixture
def prefix():
    """A key prefix of this test's own in the shared bucket."""
    return f"t-{uuid.uuid4().hex[:12]}"


def signed_raw(s3, method, key, body, headers=None, payload_hash=None, send_body=None,
               send_headers=None, chunked=False, endpoint=None):
    """Signs a request with botocore's SigV4 signer, then sends it with
    http.client, optionally with another body / changed headers / chunked, and
    returns (status, body)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    base = endpoint or s3.endpoint
    host, port = base.removeprefix("http://").split(":")
    path = f"/{s3.bucket}/{key}"
    h = dict(headers or {})
    h["x-amz-content-sha256"] = payload_hash or hashlib.sha256(body).hexdigest()
    req = AWSRequest(method=method, url=base + path, data=body, headers=h)
    SigV4Auth(Credentials(s3.access_key, s3.secret_key), "s3", s3.region).add_auth(req)
    sent = dict(req.headers.items())
    sent.update(send_headers or {})
    data = body if send_body is None else send_body
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        if chunked:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in sent.items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            conn.send(b"%x\r\n%b\r\n0\r\n\r\n" % (len(data), data))
        else:
            conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# ---------------------------------------------------------------- signatures

def test_signatures_are_checked(s3, prefix):
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import ClientError
    good = s3.boto3_client()
    key = f"{prefix}/secret.txt"
    good.put_object(Bucket=s3.bucket, Key=key, Body=b"payload")

    with pytest.raises(ClientError) as e:
        s3.boto3_client(secret_key=s3.secret_key[:-1] + ("A" if s3.secret_key[-1] != "A" else "B")).get_object(
            Bucket=s3.bucket, Key=key)
    assert status_code(e) == (403, "SignatureDoesNotMatch")

    with pytest.raises(ClientError) as e:
        s3.boto3_client(access_key="AKIANOSUCHKEY0000000").get_object(Bucket=s3.bucket, Key=key)
    assert status_code(e) == (404, "XAdminUserNotFound")  # AWS: 403 InvalidAccessKeyId

    import boto3
    unsigned = boto3.client("s3", endpoint_url=s3.endpoint, region_name=s3.region,
                            config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))
    for call in (lambda: unsigned.get_object(Bucket=s3.bucket, Key=key),
                 lambda: unsigned.put_object(Bucket=s3.bucket, Key=f"{prefix}/anon", Body=b"x"),
                 lambda: unsigned.list_objects_v2(Bucket=s3.bucket)):
        with pytest.raises(ClientError) as e:
            call()
        assert status_code(e) == (403, "AccessDenied")
    assert s3.list_keys(prefix) == [key]

    # raw signed requests: intact ones pass; a changed signed header or body fails
    assert signed_raw(s3, "PUT", f"{prefix}/raw", b"hello", headers={"x-amz-meta-a": "1"})[0] == 200
    status, body = signed_raw(s3, "PUT", f"{prefix}/raw2", b"hello", headers={"x-amz-meta-a": "1"},
                              send_headers={"x-amz-meta-a": "2"})
    assert status == 403 and b"SignatureDoesNotMatch" in body
    status, body = signed_raw(s3, "PUT", f"{prefix}/raw3", b"hello", send_body=b"HELLO")
    assert status == 400 and b"XAmzContentSHA256Mismatch" in body
    assert signed_raw(s3, "PUT", f"{prefix}/raw4", b"hello", payload_hash="UNSIGNED-PAYLOAD")[0] == 200
    assert s3.list_keys(prefix) == [f"{prefix}/raw", f"{prefix}/raw4", key]
    assert good.get_object(Bucket=s3.bucket, Key=f"{prefix}/raw")["Metadata"] == {"a": "1"}


def test_known_gaps_of_the_server(s3, prefix):
    """Things versitygw does not refuse that AWS would: tests of sluice cannot
    rely on the server to catch them."""
    import boto3
    from botocore.config import Config
    other_region = boto3.client("s3", endpoint_url=s3.endpoint, region_name="eu-west-1",
                                aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret_key,
                                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    other_region.put_object(Bucket=s3.bucket, Key=f"{prefix}/region", Body=b"x")  # AWS: 400
    status, body = signed_raw(s3, "PUT", f"{prefix}/chunked", b"hello", payload_hash="UNSIGNED-PAYLOAD",
                              chunked=True)
    assert status == 400, body  # chunked transfer encoding without Content-Length is refused
    assert s3.list_keys(prefix) == [f"{prefix}/region"]


def test_env_is_all_a_client_needs(s3, prefix):
    """boto3 in a clean process with only s3.env() (+PATH) reaches the server:
    the same AWS_* variables sluice reads."""
    s3.boto3_client().put_object(Bucket=s3.bucket, Key=f"{prefix}/env.txt", Body=b"from env")
    code = ("import boto3,sys; c=boto3.client('s3'); "
            "sys.stdout.write(c.get_object(Bucket=sys.argv[1], Key=sys.argv[2])['Body'].read().decode())")
    env = dict(s3.env(), PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    out = subprocess.run([sys.executable, "-c", code, s3.bucket, f"{prefix}/env.txt"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "from env"
    assert env["AWS_ENDPOINT_URL_S3"] == s3.endpoint and env["AWS_ALLOW_HTTP"] == "true"


# ---------------------------------------------------------------- operations

def test_conditional_put(s3, prefix):
    from botocore.exceptions import ClientError
    c = s3.boto3_client()
    key = f"{prefix}/.hoodie/20240101000000000.commit"
    c.put_object(Bucket=s3.bucket, Key=key, Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=s3.bucket, Key=key, Body=b"second", IfNoneMatch="*")
    assert status_code(e) == (412, "PreconditionFailed")
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"first"

    # also on CompleteMultipartUpload: the loser's upload does not land
    mp = c.create_multipart_upload(Bucket=s3.bucket, Key=key)
    part = c.upload_part(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"], PartNumber=1, Body=b"third")
    with pytest.raises(ClientError) as e:
        c.complete_multipart_upload(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"], IfNoneMatch="*",
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert status_code(e)[0] == 412
    c.abort_multipart_upload(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"])
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"first"

    # If-Match with a stale ETag fails too; the right one passes
    etag = c.head_object(Bucket=s3.bucket, Key=key)["ETag"]
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=s3.bucket, Key=key, Body=b"x", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert status_code(e) == (412, "PreconditionFailed")
    c.put_object(Bucket=s3.bucket, Key=key, Body=b"fourth", IfMatch=etag)
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"fourth"


def test_ranged_get_and_head(s3, prefix):
    from botocore.exceptions import ClientError
    c = s3.boto3_client()
    data = bytes(range(256)) * 40  # 10240 bytes
    key = f"{prefix}/base.parquet"
    put = c.put_object(Bucket=s3.bucket, Key=key, Body=data)
    head = c.head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    for rng, want, content_range in (("bytes=100-199", data[100:200], "bytes 100-199/10240"),
                                     ("bytes=-8", data[-8:], "bytes 10232-10239/10240"),  # a footer read
                                     ("bytes=10000-", data[10000:], "bytes 10000-10239/10240"),
                                     ("bytes=10200-99999", data[10200:], "bytes 10200-10239/10240")):
        r = c.get_object(Bucket=s3.bucket, Key=key, Range=rng)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206, rng
        assert r["ContentRange"] == content_range
        assert r["Body"].read() == want, rng
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=s3.bucket, Key=key, Range="bytes=20000-20010")
    assert status_code(e) == (416, "InvalidRange")
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket=s3.bucket, Key=f"{prefix}/missing")
    assert status_code(e)[0] == 404
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=s3.bucket, Key=f"{prefix}/missing")
    assert status_code(e) == (404, "NoSuchKey")


def test_list_pagination_and_delimiter(s3, prefix):
    c = s3.boto3_client()
    keys = sorted([f"{prefix}/.hoodie/{i:017d}.commit" for i in range(12)]
                  + [f"{prefix}/p={p}/f{i}.parquet" for p in ("a", "b") for i in range(5)]
                  + [f"{prefix}/top.txt"])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: c.put_object(Bucket=s3.bucket, Key=k, Body=k.encode()), keys))

    got, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = c.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/", MaxKeys=5, **kw)
        pages += 1
        assert r["KeyCount"] == len(r.get("Contents", [])) <= 5
        got += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert got == keys  # ascending, nothing lost or repeated
    assert pages == 5  # 23 keys

    r = c.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/", Delimiter="/")
    assert sorted(p["Prefix"] for p in r["CommonPrefixes"]) == [f"{prefix}/.hoodie/", f"{prefix}/p=a/",
                                                                 f"{prefix}/p=b/"]
    assert [o["Key"] for o in r["Contents"]] == [f"{prefix}/top.txt"]

    r = c.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/.hoodie/", StartAfter=keys[9])
    assert [o["Key"] for o in r["Contents"]] == keys[10:12]
    r = c.list_objects_v2(Bucket=s3.bucket, Prefix=f"{prefix}/nothing/")
    assert r["KeyCount"] == 0 and "Contents" not in r


def test_delete_objects(s3, prefix):
    c = s3.boto3_client()
    keys = [f"{prefix}/d/{i}" for i in range(30)]
    for k in keys:
        c.put_object(Bucket=s3.bucket, Key=k, Body=b"x")
    r = c.delete_objects(Bucket=s3.bucket, Delete={"Objects": [{"Key": k} for k in keys[:20]]
                                                   + [{"Key": f"{prefix}/d/never-existed"}]})
    assert not r.get("Errors")
    assert len(r["Deleted"]) == 21  # S3 reports a missing key as deleted
    assert c.delete_object(Bucket=s3.bucket, Key=keys[20])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert c.delete_object(Bucket=s3.bucket, Key=keys[20])["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_keys(f"{prefix}/d") == sorted(keys[21:])
    assert s3.delete_prefix(prefix) == 9
    assert s3.list_keys(prefix) == []


def test_multipart_upload(s3, prefix):
    from botocore.exceptions import ClientError
    c = s3.boto3_client()
    key = f"{prefix}/big.parquet"
    parts_data = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    mp = c.create_multipart_upload(Bucket=s3.bucket, Key=key)

    def upload(n):
        return c.upload_part(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"], PartNumber=n,
                             Body=parts_data[n - 1])["ETag"]

    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # parts in parallel, out of order
        etags = dict(zip((3, 1, 2), pool.map(upload, (3, 1, 2))))
    listed = c.list_parts(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"])["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 5 * MiB), (2, 5 * MiB), (3, 1234)]
    with pytest.raises(ClientError):  # not visible before completion
        c.head_object(Bucket=s3.bucket, Key=key)
    done = c.complete_multipart_upload(Bucket=s3.bucket, Key=key, UploadId=mp["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]})
    want_etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts_data)).hexdigest() + "-3"
    assert done["ETag"] == f'"{want_etag}"'
    body = b"".join(parts_data)
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == body
    r = c.get_object(Bucket=s3.bucket, Key=key, Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}")
    assert r["Body"].read() == body[5 * MiB - 10:5 * MiB + 10]  # across a part boundary

    # a part below 5 MiB that is not the last one is refused at completion
    small = f"{prefix}/small"
    mp2 = c.create_multipart_upload(Bucket=s3.bucket, Key=small)
    e1 = c.upload_part(Bucket=s3.bucket, Key=small, UploadId=mp2["UploadId"], PartNumber=1, Body=b"a" * 10)["ETag"]
    e2 = c.upload_part(Bucket=s3.bucket, Key=small, UploadId=mp2["UploadId"], PartNumber=2, Body=b"b" * 10)["ETag"]
    with pytest.raises(ClientError) as e:
        c.complete_multipart_upload(Bucket=s3.bucket, Key=small, UploadId=mp2["UploadId"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert status_code(e) == (400, "EntityTooSmall")

    # abort: the upload and its parts are gone, no object appears
    uploads = c.list_multipart_uploads(Bucket=s3.bucket, Prefix=prefix).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [mp2["UploadId"]]
    c.abort_multipart_upload(Bucket=s3.bucket, Key=small, UploadId=mp2["UploadId"])
    assert not c.list_multipart_uploads(Bucket=s3.bucket, Prefix=prefix).get("Uploads")
    with pytest.raises(ClientError) as e:
        c.upload_part(Bucket=s3.bucket, Key=small, UploadId=mp2["UploadId"], PartNumber=3, Body=b"c")
    assert status_code(e) == (404, "NoSuchUpload")
    assert s3.list_keys(prefix) == [key]


def test_missing_bucket(s3):
    from botocore.exceptions import ClientError
    c = s3.boto3_client()
    with pytest.raises(ClientError) as e:
        c.list_objects_v2(Bucket="no-such-bucket")
    assert status_code(e) == (404, "NoSuchBucket")
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket="no-such-bucket", Key="k", Body=b"x")
    assert status_code(e) == (404, "NoSuchBucket")


def test_restart_keeps_data_and_endpoint(s3, prefix):
    from botocore.exceptions import EndpointConnectionError
    c = s3.boto3_client()
    endpoint = s3.endpoint
    c.put_object(Bucket=s3.bucket, Key=f"{prefix}/a", Body=b"before stop")
    mp = c.create_multipart_upload(Bucket=s3.bucket, Key=f"{prefix}/mp")
    e1 = c.upload_part(Bucket=s3.bucket, Key=f"{prefix}/mp", UploadId=mp["UploadId"], PartNumber=1,
                       Body=b"p" * 100)["ETag"]

    s3.stop()
    assert not s3.running()
    with pytest.raises(EndpointConnectionError):
        c.get_object(Bucket=s3.bucket, Key=f"{prefix}/a")
    s3.start()
    assert s3.endpoint == endpoint
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/a")["Body"].read() == b"before stop"
    # an upload in progress survives too and can be completed
    c.complete_multipart_upload(Bucket=s3.bucket, Key=f"{prefix}/mp", UploadId=mp["UploadId"],
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})

    c.put_object(Bucket=s3.bucket, Key=f"{prefix}/b", Body=b"before kill")
    s3.kill()  # SIGKILL: what was acknowledged is on disk
    s3.start()
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/b")["Body"].read() == b"before kill"
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/mp")["Body"].read() == b"p" * 100
    assert s3.list_keys(prefix) == [f"{prefix}/a", f"{prefix}/b", f"{prefix}/mp"]


# ---------------------------------------------------------------- fault proxy

def test_proxy_passes_requests_through(s3, s3_proxy, prefix):
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import ClientError
    c = s3.boto3_client(endpoint=s3_proxy.endpoint)
    data = os.urandom(3 * MiB)
    c.put_object(Bucket=s3.bucket, Key=f"{prefix}/x", Body=data)
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/x")["Body"].read() == data
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/x", Range="bytes=5-9")["Body"].read() == data[5:10]
    assert c.head_object(Bucket=s3.bucket, Key=f"{prefix}/x")["ContentLength"] == len(data)
    c.upload_fileobj(io.BytesIO(data * 3), s3.bucket, f"{prefix}/mp",  # multipart via proxy
                     Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    assert s3.boto3_client().get_object(Bucket=s3.bucket, Key=f"{prefix}/mp")["Body"].read() == data * 3
    # signatures are still checked behind the proxy
    with pytest.raises(ClientError) as e:
        s3.boto3_client(endpoint=s3_proxy.endpoint, secret_key="x" * 40).get_object(Bucket=s3.bucket,
                                                                                  Key=f"{prefix}/x")
    assert status_code(e) == (403, "SignatureDoesNotMatch")
    methods = [r.method for r in s3_proxy.requests]
    assert methods[:4] == ["PUT", "GET", "GET", "HEAD"] and "POST" in methods
    assert all(r.fault is None for r in s3_proxy.requests)


def test_proxy_forwards_verbatim(tmp_path):
    """What the upstream receives through the proxy: method, path and query,
    every end-to-end header (Host included, so signatures made for the proxy
    verify), the body whether sent with Content-Length or chunked; and what the
    client receives back. The upstream is a plain recording HTTP server."""
    import http.server
    import json
    import threading

    from s3proxy import S3FaultProxy
    seen = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _any(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
                body = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    body += self.rfile.read(size)
                    self.rfile.readline()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                         "body": body})
            out = json.dumps({"n": len(seen)}).encode()
            self.send_response(201 if self.command == "PUT" else 200)
            self.send_header("Content-Length", str(len(out)))
            self.send_header("ETag", '"e"')
            self.send_header("x-amz-request-id", "R1")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        do_GET = do_PUT = do_HEAD = do_POST = _any

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with S3FaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}") as proxy:
            conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)  # one keep-alive connection
            headers = {"Host": f"127.0.0.1:{proxy.port}", "Authorization": "AWS4-HMAC-SHA256 Credential=x",
                       "x-amz-date": "20240101T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                       "Content-Type": "application/octet-stream"}
            conn.request("PUT", "/b/k%20x?partNumber=1&uploadId=u", body=b"abc" * 1000, headers=headers)
            r = conn.getresponse()
            assert (r.status, r.read(), r.getheader("ETag")) == (201, b'{"n": 1}', '"e"')
            conn.putrequest("PUT", "/b/chunked", skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.putheader("Expect", "100-continue")
            conn.endheaders()
            conn.send(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            r = conn.getresponse()
            assert (r.status, r.read()) == (201, b'{"n": 2}')
            conn.request("HEAD", "/b/k", headers={"Host": "h:1"})
            r = conn.getresponse()
            assert (r.status, r.read(), r.getheader("Content-Length")) == (200, b"", str(len(b'{"n": 3}')))
            conn.request("GET", "/b?list-type=2&prefix=a%2F", headers={"Host": "h:1"})
            r = conn.getresponse()
            assert (r.status, r.read()) == (200, b'{"n": 4}')
            conn.close()
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert [(s["method"], s["path"]) for s in seen] == [
        ("PUT", "/b/k%20x?partNumber=1&uploadId=u"), ("PUT", "/b/chunked"), ("HEAD", "/b/k"),
        ("GET", "/b?list-type=2&prefix=a%2F")]
    assert seen[0]["body"] == b"abc" * 1000 and seen[1]["body"] == b"abcde"
    for s in seen[:2]:
        for k, v in headers.items():
            assert s["headers"].get(k) == v, k
        assert "Expect" not in s["headers"]
    assert seen[2]["headers"]["Host"] == "h:1"


def test_proxy_injects_errors(s3, s3_proxy, prefix):
    from botocore.exceptions import ClientError
    key = f"{prefix}/k"
    s3.boto3_client().put_object(Bucket=s3.bucket, Key=key, Body=b"v")
    once = s3.boto3_client(endpoint=s3_proxy.endpoint)  # no retries

    s3_proxy.fail(2)  # 503 SlowDown
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            once.get_object(Bucket=s3.bucket, Key=key)
        assert status_code(e) == (503, "SlowDown")
    assert once.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"v"

    retrying = s3.boto3_client(endpoint=s3_proxy.endpoint, max_attempts=4)
    before = len(s3_proxy.requests)
    s3_proxy.fail(3, status=500, code="InternalError")
    assert retrying.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == b"v"
    assert [r.status for r in s3_proxy.requests[before:]] == [500, 500, 500, 200]

    # when="after": the PUT landed although the client saw 500
    s3_proxy.fail(1, status=500, code="InternalError", when="after", method="PUT")
    with pytest.raises(ClientError) as e:
        once.put_object(Bucket=s3.bucket, Key=f"{prefix}/landed", Body=b"yes")
    assert status_code(e) == (500, "InternalError")
    assert once.get_object(Bucket=s3.bucket, Key=f"{prefix}/landed")["Body"].read() == b"yes"
    # when="before": it never reached the server
    s3_proxy.fail(1, method="PUT")
    with pytest.raises(ClientError):
        once.put_object(Bucket=s3.bucket, Key=f"{prefix}/lost", Body=b"no")
    assert f"{prefix}/lost" not in s3.list_keys(prefix)

    # a rule narrowed by method and path leaves other requests alone
    s3_proxy.fail(None, status=503, method="PUT", path=r"/\.hoodie/")
    once.put_object(Bucket=s3.bucket, Key=f"{prefix}/data.parquet", Body=b"d")
    with pytest.raises(ClientError):
        once.put_object(Bucket=s3.bucket, Key=f"{prefix}/.hoodie/1.commit", Body=b"c")
    assert once.get_object(Bucket=s3.bucket, Key=f"{prefix}/data.parquet")["Body"].read() == b"d"
    s3_proxy.clear()
    once.put_object(Bucket=s3.bucket, Key=f"{prefix}/.hoodie/1.commit", Body=b"c")
    assert s3_proxy.faults_served("fail") == 2 + 3 + 1 + 1 + 1


def test_proxy_delays_drops_and_truncates(s3, s3_proxy, prefix):
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError, ResponseStreamingError
    key = f"{prefix}/k"
    data = os.urandom(64 * 1024)
    s3.boto3_client().put_object(Bucket=s3.bucket, Key=key, Body=data)
    c = s3.boto3_client(endpoint=s3_proxy.endpoint, read_timeout=1.0, connect_timeout=2)

    s3_proxy.delay(0.5)
    t = time.monotonic()
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == data
    assert time.monotonic() - t >= 0.5
    s3_proxy.delay(3.0, when="after")  # longer than the client's read timeout
    with pytest.raises(ReadTimeoutError):
        c.get_object(Bucket=s3.bucket, Key=key)

    s3_proxy.drop()
    with pytest.raises(ConnectionClosedError):
        c.get_object(Bucket=s3.bucket, Key=key)
    assert s3_proxy.requests[-1].status is None and s3_proxy.requests[-1].fault == "drop"
    assert c.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == data

    s3_proxy.truncate(keep=1000)
    body = c.get_object(Bucket=s3.bucket, Key=key)["Body"]
    with pytest.raises(ResponseStreamingError):
        body.read()

    s3_proxy.trickle(64 * 1024)  # 64 KiB at 64 KiB/s: about a second
    t = time.monotonic()
    slow = s3.boto3_client(endpoint=s3_proxy.endpoint, read_timeout=10)
    assert slow.get_object(Bucket=s3.bucket, Key=key)["Body"].read() == data
    assert time.monotonic() - t >= 0.8
    assert not s3_proxy.pending()


def test_proxy_with_server_down(s3, s3_proxy, prefix):
    from botocore.exceptions import ConnectionClosedError
    c = s3.boto3_client(endpoint=s3_proxy.endpoint)
    c.put_object(Bucket=s3.bucket, Key=f"{prefix}/k", Body=b"v")
    s3.stop()
    try:
        with pytest.raises(ConnectionClosedError):
            c.get_object(Bucket=s3.bucket, Key=f"{prefix}/k")
    finally:
        s3.start()
    assert c.get_object(Bucket=s3.bucket, Key=f"{prefix}/k")["Body"].read() == b"v"


# ---------------------------------------------------------------- Hudi oracles on S3

@pytest.fixture(scope="module")
def s3_table(s3, tmp_path_factory):
    """v6_nonpartitioned unzipped locally and uploaded to s3://bucket/<prefix>/v6_nonpartitioned."""
    local = H.unzip_table(os.path.join(FIXTURES, "v6_nonpartitioned.zip"), str(tmp_path_factory.mktemp("s3-hudi")))
    prefix = f"hudi-{uuid.uuid4().hex[:8]}/v6_nonpartitioned"
    keys = s3.upload_tree(local, prefix)
    assert f"{prefix}/.hoodie/hoodie.properties" in keys
    return local, prefix


def test_hudirs_reads_table_on_s3(s3, s3_table):
    local, prefix = s3_table
    opts = s3.hudirs_storage_options()
    on_s3 = H.hudirs_snapshot(s3.uri(prefix), storage_options=opts)
    on_disk = H.hudirs_snapshot(local)
    assert [r["_hoodie_record_key"] for r in on_disk] == ["1", "2", "3", "4"]
    assert H.diff_rows(on_s3, on_disk) is None
    assert H.hudirs_commits(s3.uri(prefix), storage_options=opts) == H.hudirs_commits(local)
    first = H.hudirs_commits(local)[0]
    assert H.diff_rows(H.hudirs_as_of(s3.uri(prefix), first, storage_options=opts),
                       H.hudirs_as_of(local, first)) is None
    # the read really went through the signature-checking server
    with pytest.raises(Exception, match="(?i)signature|403|forbidden"):
        H.hudirs_snapshot(s3.uri(prefix), storage_options=dict(opts, aws_secret_access_key="x" * 40))


@pytest.mark.timeout(600)
def test_spark_reads_and_writes_s3a(s3, s3_table):
    """Spark + Hudi 0.15.0 with hadoop-aws in a second JVM of its own
    (spark_bundle_run, started from nothing but the jars and s3 settings):
    reads the uploaded table through s3a://, writes a new table there; hudi-rs
    reads what Spark wrote."""
    local, prefix = s3_table
    written = f"spark-{uuid.uuid4().hex[:8]}/people"
    rows = [{"id": 1, "name": "Ada", "ts": 10}, {"id": 2, "name": "Grace", "ts": 20}]
    jobs = [
        {"kind": "snapshot", "base_uri": s3.uri(prefix, scheme="s3a")},
        {"kind": "upsert", "base_uri": s3.uri(written, scheme="s3a"), "rows": rows, "table_name": "people",
         "record_key": "id", "precombine": "ts", "schema": "id INT, name STRING, ts BIGINT",
         "options": {"hoodie.index.type": "SIMPLE"}},
        {"kind": "snapshot", "base_uri": s3.uri(written, scheme="s3a"), "meta": False},
    ]
    results = H.spark_bundle_run(jobs, bundle=H.DEFAULT_BUNDLE, s3=s3)
    for r in results:
        assert "error" not in r, r["error"]["message"] + r["error"]["java_trace"][:3000]
    assert H.diff_rows(results[0]["rows"], H.hudirs_snapshot(local)) is None
    assert results[2]["rows"] == rows
    assert f"{written}/.hoodie/hoodie.properties" in s3.list_keys(written)
    by_hudirs = H.hudirs_snapshot(s3.uri(written), storage_options=s3.hudirs_storage_options(), meta=False)
    assert by_hudirs == rows
