"""Randomized histories of >= 50 commits written by `sluice apply` and read
back by both independent Hudi readers — hudi-rs and Apache Hudi 0.15 on
Spark — for snapshot, time travel to every instant and incremental reads
between random pairs of instants, on partitioned and unpartitioned tables
with simple and composite keys, with key changes, partition moves,
re-inserts and a column added half way. Every scenario runs on a local lake
and on an S3 lake (the session's versitygw; hudi-rs with S3 storage options,
Spark through s3a://)."""

from __future__ import annotations

import random

import pytest

import hudi_oracles as oracles
from hudi_model import compare_rows, expected_rows, random_history2
from lake import KINDS, Lake, prefix_for

TRANSACTIONS = 52

SCENARIOS = {
    "simple_unpartitioned": dict(composite=False, partitioned=False),
    "simple_partitioned": dict(composite=False, partitioned=True),
    "composite_unpartitioned": dict(composite=True, partitioned=False),
    "composite_partitioned": dict(composite=True, partitioned=True),
}


def write_history(lake, index, name, kw):
    """Writes scenario `name` (seed 100 + index) into `lake`, one commit per
    transaction; returns (table, instants, expected states, commit LSNs)."""
    history, table = random_history2(seed=100 + index, transactions=TRANSACTIONS,
                                     add_column_at=TRANSACTIONS // 2, name=name, **kw)
    args = ["apply", "--lake", lake.uri, "--batch-rows", "1"]
    if kw["partitioned"]:
        args += ["--partition-by", "region"]
    result = lake.run(*args, stdin=history.text(), timeout=600)
    assert result.returncode == 0, result.stderr
    written = lake.table("public", name)
    instants = written.commits()
    assert len(instants) == TRANSACTIONS
    columns = [c for c, _, _ in table.columns]
    states = [expected_rows(state[name], table, columns) for _, state in history.states]
    lsns = [lsn for lsn, _ in history.states]
    return written, instants, states, lsns


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """Each (lake kind, scenario) written once, on first use, and shared by
    the hudi-rs and Spark checks; the S3 lakes are deleted after the module."""
    made = {}
    lakes = []

    def get(kind, scenario, s3=None):
        if (kind, scenario) not in made:
            if kind == "local":
                lake = Lake("local", str(tmp_path_factory.mktemp(scenario)))
            else:
                lake = Lake("s3", prefix_for(f"history-{scenario}"), s3)
            lakes.append(lake)
            made[kind, scenario] = write_history(lake, list(SCENARIOS).index(scenario), scenario,
                                                 SCENARIOS[scenario])
        return made[kind, scenario]

    yield get
    for lake in lakes:
        if lake.kind == "local" or lake.s3.running():
            lake.cleanup()


@pytest.fixture
def history(request, histories, lake_kind, scenario):
    """The written scenario of this test's (lake_kind, scenario) parameters."""
    s3 = request.getfixturevalue("s3") if lake_kind == "s3" else None
    return histories(lake_kind, scenario, s3)


def incremental_expected(states, lsns, i, j):
    """Rows of state j last changed by a commit in (i, j] (indexes of commits)."""
    low = lsns[i] if i >= 0 else -1
    return [r for r in states[j] if low < r["_event_lsn"] <= lsns[j]]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("lake_kind", KINDS)
def test_hudi_rs_reads_every_instant(history, lake_kind, scenario):
    table, instants, states, lsns = history
    problem = compare_rows(table.snapshot(meta=False), states[-1])
    assert problem is None, f"snapshot: {problem}"
    for instant, state in zip(instants, states):
        problem = compare_rows(table.as_of(instant, meta=False), state)
        assert problem is None, f"as of {instant}: {problem}"
    rng = random.Random(7)
    for _ in range(12):
        i, j = sorted(rng.sample(range(-1, len(instants)), 2))
        start = instants[i] if i >= 0 else "0"
        got = table.incremental(start, instants[j], meta=False)
        problem = compare_rows(got, incremental_expected(states, lsns, i, j))
        assert problem is None, f"incremental ({start}, {instants[j]}]: {problem}"


# All four scenarios on S3 for Spark too: the S3 half of this module (writes,
# hudi-rs and Spark reads) measured ~2.7 min on 2 cores, Spark's share ~1.4
# min -- about what Spark takes on the local lakes; s3a itself adds little.
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("lake_kind", KINDS)
def test_spark_reads_every_instant(hudi_spark, history, lake_kind, scenario):
    table, instants, states, lsns = history
    base = table.spark_uri
    problem = compare_rows(oracles.spark_snapshot(hudi_spark, base, meta=False), states[-1])
    assert problem is None, f"snapshot: {problem}"
    for instant, state in zip(instants, states):
        problem = compare_rows(oracles.spark_as_of(hudi_spark, base, instant, meta=False), state)
        assert problem is None, f"as of {instant}: {problem}"
    rng = random.Random(8)
    for _ in range(8):
        i, j = sorted(rng.sample(range(0, len(instants)), 2))
        got = oracles.spark_incremental(hudi_spark, base, instants[i], instants[j], meta=False)
        problem = compare_rows(got, incremental_expected(states, lsns, i, j))
        assert problem is None, f"incremental ({instants[i]}, {instants[j]}]: {problem}"
