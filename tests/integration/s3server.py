"""A private S3-compatible server for tests: versitygw (Versity S3 Gateway).

An S3Server is a throwaway versitygw with its posix backend in a temp dir:
one account (the gateway's root access key / secret, random per server), one
bucket created through the S3 API, listening on 127.0.0.1 with a free port
that it keeps across stop()/start(), so clients configured once reconnect to
the same endpoint after an outage, and the objects (plain files under
<root>/data, metadata in a sidecar dir <root>/meta) survive a restart.

versitygw checks AWS Signature Version 4 on every request (a wrong secret is
403 SignatureDoesNotMatch, an unsigned request 403 AccessDenied; an unknown
access key id is 404 XAdminUserNotFound, not AWS's 403 InvalidAccessKeyId), and
supports conditional puts (If-None-Match: * -> 412 PreconditionFailed on an
existing key, also on CompleteMultipartUpload), ranged GETs, ListObjectsV2 with
continuation tokens and delimiters, DeleteObject(s), multipart uploads. HTTP
keep-alive is on (--keep-alive; versitygw's default closes every connection).
It has no fault injection of its own: put an s3proxy.S3FaultProxy in front of it.

By default it serves plain http with path-style addressing
(http://127.0.0.1:PORT/bucket/key). Options:
  tls=make_tls_files(...)     https with a certificate from a throwaway CA
                              (env() and boto3_client() then trust that CA;
                              hudirs_storage_options() and spark_options() do not)
  virtual_domain="localhost"  virtual-hosted buckets too: Host bucket.localhost:PORT
                              (curl resolves every *.localhost name to loopback by
                              itself, so no DNS is needed; Python's resolver does not)
  endpoint_host="localhost"   the host name in `endpoint` (default 127.0.0.1)
  debug_log=True              versitygw --log-level debug: every request's URL and
                              headers (Host, X-Amz-Content-Sha256, ...; the
                              signature masked) in the log: request_headers_since()

The binary comes from scripts/install-deps.sh ($SLUICE_VERSITYGW overrides;
else /var/cache/sluice/go/bin/versitygw, ~/.cache/sluice/go/bin/versitygw,
then PATH).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass

VERSITYGW_VERSION = "v1.8.0"
DEFAULT_REGION = "us-east-1"


class S3ServerError(Exception):
    """The server could not be found, started or stopped (message says why)."""


def versitygw_bin() -> str:
    """Path of the versitygw binary (see the module docstring for the order)."""
    candidates = []
    if os.environ.get("SLUICE_VERSITYGW"):
        candidates.append(os.environ["SLUICE_VERSITYGW"])
    candidates.append("/var/cache/sluice/go/bin/versitygw")
    candidates.append(os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                   "sluice", "go", "bin", "versitygw"))
    on_path = shutil.which("versitygw")
    if on_path:
        candidates.append(on_path)
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise S3ServerError(f"versitygw not found (looked at {', '.join(candidates)}): run scripts/install-deps.sh")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a throwaway CA and of one server certificate it signed."""
    ca_cert: str
    cert: str
    key: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]


def make_tls_files(directory: str, dns_names=("localhost",), ip_addresses=("127.0.0.1",),
                   days: int = 2) -> TlsFiles:
    """Makes a CA and a server certificate for dns_names and ip_addresses (the
    subjectAltNames; TLS clients match host names against these only) in
    directory, with the openssl CLI. EC P-256 keys: quick to make."""
    os.makedirs(directory, exist_ok=True)
    path = {name: os.path.join(directory, name)
            for name in ("ca.pem", "ca.key", "server.pem", "server.key", "server.csr", "server.ext")}
    sans = [f"DNS:{n}" for n in dns_names] + [f"IP:{a}" for a in ip_addresses]
    if not sans:
        raise ValueError("a server certificate needs at least one name or address")
    with open(path["server.ext"], "w") as f:
        f.write(f"subjectAltName={','.join(sans)}\n"
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", path["ca.key"], "-out", path["ca.pem"],
         "-days", str(days), "-subj", "/CN=sluice test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", *ec, "-keyout", path["server.key"], "-out", path["server.csr"],
         "-subj", f"/CN={(list(dns_names) + list(ip_addresses))[0]}"],
        ["openssl", "x509", "-req", "-in", path["server.csr"], "-CA", path["ca.pem"], "-CAkey", path["ca.key"],
         "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")), "-days", str(days),
         "-extfile", path["server.ext"], "-out", path["server.pem"]],
    ]
    for argv in steps:
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise S3ServerError("the openssl command is needed to make test certificates") from None
        if result.returncode != 0:
            raise S3ServerError(f"{' '.join(argv[:3])} failed: {result.stderr.strip()}")
    return TlsFiles(ca_cert=path["ca.pem"], cert=path["server.pem"], key=path["server.key"],
                    dns_names=tuple(dns_names), ip_addresses=tuple(ip_addresses))


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
DEBUG_HEADER_LINE = re.compile(r"^│\s*([A-Za-z0-9-]+)\s*:\s(.*?)\s*│$")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class S3Server:
    """A running (after start()) versitygw with one identity and one bucket.

    Attributes: endpoint ("http://127.0.0.1:PORT"; https with tls), host, port,
    region, access_key, secret_key, bucket, root (temp dir), logfile, tls,
    virtual_domain, endpoint_host.
    """

    def __init__(self, name: str = "s3", bucket: str = "sluice-test", region: str = DEFAULT_REGION,
                 access_key: str | None = None, secret_key: str | None = None,
                 tls: TlsFiles | None = None, virtual_domain: str | None = None,
                 endpoint_host: str | None = None, debug_log: bool = False):
        self.name = name
        self.tls = tls
        self.virtual_domain = virtual_domain
        self.debug_log = debug_log
        self.bucket = bucket
        self.region = region
        # AWS-shaped keys: 20 upper-case alphanumerics, 40 characters of secret
        self.access_key = access_key or "AKIA" + secrets.token_hex(8).upper()
        self.secret_key = secret_key or secrets.token_urlsafe(30)[:40]
        self.host = "127.0.0.1"
        self.endpoint_host = endpoint_host or self.host
        self.port: int | None = None
        self.root: str | None = None
        self.proc: subprocess.Popen | None = None
        self._bucket_created = False

    # ------------------------------------------------------------ paths, URLs
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def endpoint(self) -> str:
        return self.url()

    def url(self, host: str | None = None) -> str:
        """The endpoint URL with another host name for the same listener, e.g.
        "localhost" or "other.localhost" (curl takes any *.localhost as loopback)."""
        return f"{self.scheme}://{host or self.endpoint_host}:{self.port}"

    @property
    def datadir(self) -> str:
        return os.path.join(self.root, "data")

    @property
    def metadir(self) -> str:
        return os.path.join(self.root, "meta")

    @property
    def logfile(self) -> str:
        return os.path.join(self.root, "versitygw.log")

    def uri(self, key: str = "", scheme: str = "s3") -> str:
        """s3://bucket/key (or s3a://... with scheme="s3a")."""
        return f"{scheme}://{self.bucket}/{key.lstrip('/')}"

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 30) -> "S3Server":
        """Starts the server (again, after stop(): same port, same data) and waits
        until it answers HTTP; the first start also creates the bucket."""
        if self.running():
            return self
        binary = versitygw_bin()
        first = self.root is None
        if first:
            self.root = tempfile.mkdtemp(prefix=f"sluice-s3-{self.name}-")
            os.makedirs(self.datadir)
            os.makedirs(self.metadir)
        try:
            if self.port is None:
                self.port = free_port(self.host)
            started = self._spawn(binary, timeout)
            # A first start may lose its free port to another process before it
            # binds; a restart keeps its port (clients know it), so no retry there.
            for _ in range(2 if not self._bucket_created else 0):
                if started:
                    break
                self.port = free_port(self.host)
                started = self._spawn(binary, timeout)
            if not started:
                raise S3ServerError(f"versitygw exited at start on port {self.port}:\n{self.log_tail()}")
            if not self._bucket_created:
                self.boto3_client().create_bucket(Bucket=self.bucket)
                self._bucket_created = True
        except BaseException:
            if first:  # nothing worth keeping but the log; a restart keeps its data
                kept = self.keep_log()
                self.stop()
                self.remove()
                if kept:
                    print(f"S3 server ({self.name}) log kept at {kept}")
            raise
        return self

    def _spawn(self, binary: str, timeout: float) -> bool:
        """One start on self.port; True once it answers HTTP, False if it exited
        (e.g. the port was taken meanwhile)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VGW_", "ROOT_ACCESS", "ROOT_SECRET", "AWS_"))}
        env["ROOT_ACCESS_KEY_ID"] = self.access_key
        env["ROOT_SECRET_ACCESS_KEY"] = self.secret_key  # not on the command line (ps)
        argv = [binary, "--port", f"{self.host}:{self.port}", "--region", self.region,
                "--keep-alive"]
        if self.tls:  # absolute paths: versitygw changes its working directory
            argv += ["--cert", os.path.abspath(self.tls.cert), "--key", os.path.abspath(self.tls.key)]
        if self.virtual_domain:
            argv += ["--virtual-domain", self.virtual_domain]
        if self.debug_log:
            argv += ["--log-level", "debug"]
        argv += ["posix", "--sidecar", self.metadir, self.datadir]
        with open(self.logfile, "ab") as log:
            log.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        self.stop()
        raise S3ServerError(f"versitygw did not answer on {self.endpoint} within {timeout} s:\n{self.log_tail()}")

    def _answers(self) -> bool:
        """Any HTTP response (an unsigned GET / is 403) means it serves S3. The
        certificate is not checked here: clients do that."""
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=1, context=context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=1)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        """Stops the server (SIGTERM, then SIGKILL); the data stays for start()."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Stops the server at once (SIGKILL), like a crash; the data stays."""
        self._signal(signal.SIGKILL, 10)

    def _signal(self, sig: int, timeout: float) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def restart(self) -> "S3Server":
        self.stop()
        return self.start()

    def remove(self) -> None:
        """Deletes the temp dir (stop() first)."""
        if self.root and not self.running():
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def keep_log(self, dest_dir: str = "/tmp/sluice-test-logs") -> str | None:
        """Copies the server log out of the temp dir; returns the copy's path."""
        if not self.root or not os.path.exists(self.logfile):
            return None
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self.name}-versitygw.log")
        shutil.copyfile(self.logfile, dest)
        return dest

    def log_size(self) -> int:
        """The log's length now: a mark for log_since()."""
        try:
            return os.path.getsize(self.logfile)
        except (OSError, TypeError):
            return 0

    def log_since(self, mark: int) -> str:
        """The log written after log_size() returned mark, colours removed."""
        with open(self.logfile, "rb") as f:
            f.seek(mark)
            return ANSI_ESCAPE.sub("", f.read().decode("utf-8", "replace"))

    def request_headers_since(self, mark: int, name: str) -> list[str]:
        """With debug_log: the values of request header `name` (case-insensitive)
        of every request logged after mark, in log order. versitygw prints one
        header per line (a box per request, lines of parallel requests may
        interleave), so values are found line by line, not per request."""
        if not self.debug_log:
            raise S3ServerError("request headers are logged only with debug_log=True")
        values = []
        for line in self.log_since(mark).splitlines():
            m = DEBUG_HEADER_LINE.match(line.strip())
            if m and m.group(1).lower() == name.lower():
                values.append(m.group(2))
        return values

    def request_urls_since(self, mark: int) -> list[str]:
        """With debug_log: the URL of every request logged after mark, as the
        client sent it (virtual-hosted: the bucket is in the host name)."""
        if not self.debug_log:
            raise S3ServerError("request URLs are logged only with debug_log=True")
        return re.findall(r"^\[URL\]: (\S+)$", self.log_since(mark), re.MULTILINE)

    def log_tail(self, nbytes: int = 4000) -> str:
        try:
            with open(self.logfile, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - nbytes))
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.remove()

    # ------------------------------------------------------------ client settings
    def env(self, endpoint: str | None = None) -> dict:
        """The AWS_* variables an S3 client (sluice, the AWS CLI, boto3, hudi-rs'
        object_store) reads to reach this server: keys, region, endpoint. Plain
        http is allowed because the endpoint URL says http:// (and, for
        object_store, AWS_ALLOW_HTTP=true); with tls, AWS_CA_BUNDLE names the
        test CA. Files and instance metadata are switched off so nothing from
        the machine leaks in. `endpoint`: another URL, e.g. an S3FaultProxy's."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL_S3": endpoint or self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        if self.tls:
            env["AWS_CA_BUNDLE"] = self.tls.ca_cert
        return env

    def boto3_client(self, endpoint: str | None = None, access_key: str | None = None,
                     secret_key: str | None = None, max_attempts: int = 1, **config):
        """A boto3 S3 client for this server: path-style, SigV4, max_attempts
        attempts in all (default 1: no retries, tests see every error), the
        certificate checked against the test CA with tls.
        endpoint: another URL (an S3FaultProxy's); keyword args go to
        botocore's Config (e.g. read_timeout)."""
        import boto3
        from botocore.config import Config
        cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                     retries={"total_max_attempts": max_attempts, "mode": "standard"}, **config)
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint or self.endpoint, region_name=self.region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key, config=cfg,
            verify=self.tls.ca_cert if self.tls else None)

    def hudirs_storage_options(self, endpoint: str | None = None) -> dict:
        """hudi-rs (object_store) storage options for hudi_oracles.hudirs_*. Over
        https hudi-rs checks the certificate against the CAs in $SSL_CERT_FILE
        (rustls), not against AWS_CA_BUNDLE."""
        endpoint = endpoint or self.endpoint
        options = {
            "aws_endpoint": endpoint,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "aws_region": self.region,
        }
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
        return options

    def spark_options(self, endpoint: str | None = None) -> dict:
        """The s3 argument of hudi_oracles.spark_session / spark_bundle_run."""
        return {"endpoint": endpoint or self.endpoint, "access_key": self.access_key,
                "secret_key": self.secret_key, "region": self.region, "path_style": True}

    # ------------------------------------------------------------ object helpers
    def upload_tree(self, local_dir: str, prefix: str) -> list[str]:
        """Uploads every file under local_dir to bucket/prefix/<relative path>;
        returns the keys, sorted."""
        client = self.boto3_client()
        keys = []
        for dirpath, _, files in os.walk(local_dir):
            for name in files:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, local_dir).replace(os.sep, "/")
                key = f"{prefix.strip('/')}/{rel}" if prefix.strip("/") else rel
                client.upload_file(path, self.bucket, key)
                keys.append(key)
        return sorted(keys)

    def download_tree(self, prefix: str, local_dir: str) -> list[str]:
        """Downloads every object under bucket/prefix/ into local_dir (relative
        paths kept); returns the keys, sorted."""
        client = self.boto3_client()
        keys = self.list_keys(prefix)
        base = prefix.strip("/")
        for key in keys:
            rel = key[len(base):].lstrip("/") if base else key
            dest = os.path.join(local_dir, *rel.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            client.download_file(self.bucket, key, dest)
        return keys

    def list_keys(self, prefix: str = "") -> list[str]:
        """All keys under prefix (a trailing / is added to a non-empty prefix)."""
        client = self.boto3_client()
        p = prefix.strip("/")
        p = p + "/" if p else ""
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=p):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every object under prefix/; returns how many."""
        client = self.boto3_client()
        keys = self.list_keys(prefix)
        for i in range(0, len(keys), 1000):
            client.delete_objects(Bucket=self.bucket,
                                  Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
        return len(keys)
