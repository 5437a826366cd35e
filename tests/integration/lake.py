"""A lake for `sluice apply --lake` on local disk or on the test S3 server,
so one Hudi table test runs on both (fixture `lake` in conftest.py).

  Lake        the lake root: .uri for --lake, .env for sluice, .sub(name)
              for another lake beside it, .table(schema, name)
  LakeTable   one table: .uri (sluice cat/timeline), .spark_uri (s3a:// on
              S3), the hudi-rs reads with the right storage options, and
              file access relative to the table's base path -- .files(),
              .read_text(), .write_text()/.write_bytes(), .exists() -- as
              os/pathlib calls locally and boto3 calls on S3.

Paths given to the file helpers are relative to the table ("." for the base
path, ".hoodie", "region=eu/.hoodie_partition_metadata") and use "/".
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid

import hudi_oracles as oracles
from pgcluster import sluice_bin

KINDS = ("local", "s3")


def prefix_for(node_name: str) -> str:
    """A key prefix of its own for one test (node name made key-safe, plus a
    random suffix so re-runs and parallel sessions never share objects)."""
    base = re.sub(r"[^A-Za-z0-9]+", "-", node_name).strip("-").lower()[:60].rstrip("-")
    return f"{base}-{uuid.uuid4().hex[:8]}"


class Lake:
    """A lake root: a local directory (s3=None) or bucket/prefix on `s3`
    (an s3server.S3Server)."""

    def __init__(self, kind: str, root: str, s3=None):
        if kind not in KINDS:
            raise ValueError(f"unknown lake kind {kind!r}")
        self.kind = kind
        self.root = root.strip("/") if kind == "s3" else root  # a key prefix on S3, else a path
        self.s3 = s3
        self._client = None

    def __repr__(self) -> str:
        return f"Lake({self.uri})"

    @property
    def uri(self) -> str:
        """What `sluice apply --lake` takes."""
        return self.s3.uri(self.root) if self.kind == "s3" else str(self.root)

    @property
    def env(self) -> dict:
        """Environment additions for sluice (the AWS_* settings on S3)."""
        return self.s3.env() if self.kind == "s3" else {}

    @property
    def storage_options(self) -> dict | None:
        """hudi-rs storage options (None on local disk)."""
        return self.s3.hudirs_storage_options() if self.kind == "s3" else None

    def sub(self, name: str) -> "Lake":
        """Another lake inside this one's prefix / directory (not created yet)."""
        if self.kind == "s3":
            return Lake("s3", f"{self.root}/{name}", self.s3)
        return Lake("local", os.path.join(self.root, name))

    def table(self, schema: str, name: str) -> "LakeTable":
        return LakeTable(self, f"{schema}/{name}")

    def client(self):
        if self._client is None:
            self._client = self.s3.boto3_client(max_attempts=3)
        return self._client

    def cleanup(self) -> None:
        """Deletes the lake's objects on S3 (a local lake lives in tmp_path)."""
        if self.kind == "s3":
            self.s3.delete_prefix(self.root)

    def run(self, *argv: str, stdin: str | None = None, env: dict | None = None, timeout: float = 300):
        """Runs `sluice <argv>` with this lake's environment; returns the CompletedProcess."""
        return subprocess.run([sluice_bin(), *argv], input=stdin, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, **self.env, **(env or {})})


class LakeTable:
    """One table of a Lake (its base path is <lake>/<schema>/<name>)."""

    def __init__(self, lake: Lake, rel: str):
        self.lake = lake
        self.rel = rel

    def __repr__(self) -> str:
        return f"LakeTable({self.uri})"

    @property
    def uri(self) -> str:
        """The base path as sluice and hudi-rs take it (s3://... on S3)."""
        if self.lake.kind == "s3":
            return f"{self.lake.uri}/{self.rel}"
        return os.path.join(self.lake.root, *self.rel.split("/"))

    @property
    def spark_uri(self) -> str:
        """The base path as Spark takes it (s3a://... on S3)."""
        if self.lake.kind == "s3":
            return self.lake.s3.uri(f"{self.lake.root}/{self.rel}", scheme="s3a")
        return self.uri

    # ------------------------------------------------------------ hudi-rs
    def snapshot(self, **kw):
        return oracles.hudirs_snapshot(self.uri, storage_options=self.lake.storage_options, **kw)

    def as_of(self, instant: str, **kw):
        return oracles.hudirs_as_of(self.uri, instant, storage_options=self.lake.storage_options, **kw)

    def incremental(self, start_exclusive: str, end_inclusive: str | None = None, **kw):
        return oracles.hudirs_incremental(self.uri, start_exclusive, end_inclusive,
                                          storage_options=self.lake.storage_options, **kw)

    def commits(self) -> list[str]:
        return oracles.hudirs_commits(self.uri, storage_options=self.lake.storage_options)

    # ------------------------------------------------------------ Spark
    def spark_snapshot(self, spark, **kw):
        """Spark + Hudi 0.15 in the session's JVM (fixture hudi_spark, which has s3a)."""
        return oracles.spark_snapshot(spark, self.spark_uri, **kw)

    # ------------------------------------------------------------ files
    def _key(self, path: str) -> str:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        return "/".join([self.lake.root, self.rel, *parts])

    def _path(self, path: str) -> str:
        return os.path.join(self.uri, *[p for p in path.split("/") if p not in ("", ".")])

    def files(self, path: str = ".") -> dict[str, int]:
        """The files directly in `path` (not in its subdirectories), name -> size."""
        if self.lake.kind == "local":
            directory = self._path(path)
            out = {}
            for name in os.listdir(directory):
                full = os.path.join(directory, name)
                if os.path.isfile(full):
                    out[name] = os.path.getsize(full)
            return out
        prefix = self._key(path) + "/"
        out = {}
        pages = self.lake.client().get_paginator("list_objects_v2").paginate(
            Bucket=self.lake.s3.bucket, Prefix=prefix, Delimiter="/")
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix):]
                if name:  # not a "directory" marker object
                    out[name] = obj["Size"]
        if not out and not self.exists_dir(path):
            raise FileNotFoundError(f"no such directory: {self.lake.s3.uri(prefix)}")
        return out

    def exists_dir(self, path: str) -> bool:
        if self.lake.kind == "local":
            return os.path.isdir(self._path(path))
        page = self.lake.client().list_objects_v2(Bucket=self.lake.s3.bucket,
                                                  Prefix=self._key(path) + "/", MaxKeys=1)
        return page.get("KeyCount", 0) > 0

    def exists(self, path: str) -> bool:
        """Whether the file `path` exists."""
        if self.lake.kind == "local":
            return os.path.isfile(self._path(path))
        from botocore.exceptions import ClientError
        try:
            self.lake.client().head_object(Bucket=self.lake.s3.bucket, Key=self._key(path))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def read_bytes(self, path: str) -> bytes:
        if self.lake.kind == "local":
            with open(self._path(path), "rb") as f:
                return f.read()
        obj = self.lake.client().get_object(Bucket=self.lake.s3.bucket, Key=self._key(path))
        return obj["Body"].read()

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8")

    def write_bytes(self, path: str, data: bytes) -> None:
        """Writes (replaces) the file `path`, as a crashed or foreign writer would."""
        if self.lake.kind == "local":
            with open(self._path(path), "wb") as f:
                f.write(data)
            return
        self.lake.client().put_object(Bucket=self.lake.s3.bucket, Key=self._key(path), Body=data)

    def write_text(self, path: str, text: str) -> None:
        self.write_bytes(path, text.encode("utf-8"))
