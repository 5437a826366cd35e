"""Hudi tables on S3: the same randomized history as test_hudi_history,
written by `sluice apply --lake s3://...` to the private versitygw (SigV4
checked), read back by hudi-rs over S3 (snapshot, time travel to every
instant, incremental) and by `sluice cat` / `sluice timeline` on s3://, and
a crash at storage steps of an S3 commit recovered by the next run."""

from __future__ import annotations

import json
import os
import random
import subprocess
import uuid

import hudi_oracles as oracles
from hudi_model import compare_rows, expected_rows, random_history2
from pgcluster import sluice_bin



def run(s3, *argv, stdin=None, extra_env=None, check=True):
    env = {**os.environ, **s3.env(), **(extra_env or {})}
    result = subprocess.run([sluice_bin(), *argv], input=stdin, capture_output=True, text=True,
                            timeout=600, env=env)
    if check:
        assert result.returncode == 0, f"sluice {argv[0]} exited {result.returncode}:\n{result.stderr}"
    return result


def test_a_partitioned_composite_key_history_on_s3_reads_back_in_hudi_rs_and_sluice_cat(s3):
    prefix = f"lake-{uuid.uuid4().hex[:8]}"
    lake = f"s3://{s3.bucket}/{prefix}"
    name = "hist_s3"
    history, table = random_history2(seed=300, transactions=25, composite=True, partitioned=True,
                                     add_column_at=12, name=name)
    run(s3, "apply", "--lake", lake, "--batch-rows", "1", "--partition-by", "region",
        stdin=history.text())
    base = f"{lake}/public/{name}"
    opts = s3.hudirs_storage_options()
    instants = oracles.hudirs_commits(base, storage_options=opts)
    assert len(instants) == 25
    columns = [c for c, _, _ in table.columns]
    states = [expected_rows(state[name], table, columns) for _, state in history.states]
    lsns = [lsn for lsn, _ in history.states]
    assert compare_rows(oracles.hudirs_snapshot(base, storage_options=opts, meta=False), states[-1]) is None
    for instant, state in zip(instants, states):
        problem = compare_rows(oracles.hudirs_as_of(base, instant, storage_options=opts, meta=False), state)
        assert problem is None, f"as of {instant}: {problem}"
    rng = random.Random(3)
    for _ in range(5):
        i, j = sorted(rng.sample(range(len(instants)), 2))
        got = oracles.hudirs_incremental(base, instants[i], instants[j], storage_options=opts,
                                         meta=False)
        want = [r for r in states[j] if lsns[i] < r["_event_lsn"] <= lsns[j]]
        assert compare_rows(got, want) is None
    # sluice's own reader over S3 agrees with hudi-rs
    cat = run(s3, "cat", base)
    rows = [json.loads(line) for line in cat.stdout.splitlines()]
    assert len(rows) == len(states[-1])
    timeline = [json.loads(line) for line in run(s3, "timeline", base).stdout.splitlines()]
    assert [t["instant"] for t in timeline if t["state"] == "completed"] == instants
    assert all(t["checkpoint"] for t in timeline)
    # running the same input again changes nothing
    run(s3, "apply", "--lake", lake, "--batch-rows", "1", "--partition-by", "region",
        stdin=history.text())
    assert oracles.hudirs_commits(base, storage_options=opts) == instants


def test_a_crash_during_an_s3_commit_is_rolled_back_by_the_next_run(s3):
    lake = f"s3://{s3.bucket}/crash-{uuid.uuid4().hex[:8]}"
    name = "crash_s3"
    history, table = random_history2(seed=301, transactions=8, composite=False, partitioned=False,
                                     name=name)
    lines = history.lines
    half = len(lines) // 2
    while json.loads(lines[half]).get("commit_lsn") == json.loads(lines[half - 1]).get("commit_lsn"):
        half += 1
    first = "".join(line + "\n" for line in lines[:half])
    columns = [c for c, _, _ in table.columns]
    new = expected_rows(history.states[-1][1][name], table, columns)
    opts = s3.hudirs_storage_options()
    for n in (3, 6, 9, 12):
        sub = f"{lake}-{n}"
        run(s3, "apply", "--lake", sub, stdin=first)
        crashed = run(s3, "apply", "--lake", sub, stdin=history.text(), check=False,
                      extra_env={"SLUICE_FAULT_INJECT": f"op=any,nth={n},crash"})
        assert crashed.returncode == 1 and "injected fault" in crashed.stderr, crashed.stderr
        run(s3, "apply", "--lake", sub, stdin=history.text())
        base = f"{sub}/public/{name}"
        got = oracles.hudirs_snapshot(base, storage_options=opts, meta=False)
        assert compare_rows(got, new) is None, (n, compare_rows(got, new))
        keys = s3.list_keys(f"{sub.split('/', 3)[3]}/public/{name}/.hoodie/")
        pending = [k for k in keys if k.endswith(".inflight")
                   and k[:-len(".inflight")] + ".commit" not in keys]
        assert pending == [], (n, pending)
