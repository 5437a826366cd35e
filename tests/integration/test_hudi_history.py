"""Randomized histories of >= 50 commits written by `sluice apply` and read
back by both independent Hudi readers — hudi-rs and Apache Hudi 0.15 on
Spark — for snapshot, time travel to every instant and incremental reads
between random pairs of instants, on partitioned and unpartitioned tables
with simple and composite keys, with key changes, partition moves,
re-inserts and a column added half way."""

from __future__ import annotations

import random
import subprocess

import pytest

import hudi_oracles as oracles
from hudi_model import compare_rows, expected_rows, random_history2
from pgcluster import sluice_bin

TRANSACTIONS = 52

SCENARIOS = {
    "simple_unpartitioned": dict(composite=False, partitioned=False),
    "simple_partitioned": dict(composite=False, partitioned=True),
    "composite_unpartitioned": dict(composite=True, partitioned=False),
    "composite_partitioned": dict(composite=True, partitioned=True),
}


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """Each scenario written once; shared by the hudi-rs and Spark checks."""
    out = {}
    for i, (name, kw) in enumerate(SCENARIOS.items()):
        lake = tmp_path_factory.mktemp(name)
        history, table = random_history2(seed=100 + i, transactions=TRANSACTIONS,
                                         add_column_at=TRANSACTIONS // 2, name=name, **kw)
        args = [sluice_bin(), "apply", "--lake", str(lake), "--batch-rows", "1"]
        if kw["partitioned"]:
            args += ["--partition-by", "region"]
        result = subprocess.run(args, input=history.text(), capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stderr
        base = str(lake / "public" / name)
        instants = oracles.hudirs_commits(base)
        assert len(instants) == TRANSACTIONS
        columns = [c for c, _, _ in table.columns]
        states = [expected_rows(state[name], table, columns) for _, state in history.states]
        lsns = [lsn for lsn, _ in history.states]
        out[name] = (base, instants, states, lsns)
    return out


def incremental_expected(states, lsns, i, j):
    """Rows of state j last changed by a commit in (i, j] (indexes of commits)."""
    low = lsns[i] if i >= 0 else -1
    return [r for r in states[j] if low < r["_event_lsn"] <= lsns[j]]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_hudi_rs_reads_every_instant(histories, scenario):
    base, instants, states, lsns = histories[scenario]
    problem = compare_rows(oracles.hudirs_snapshot(base, meta=False), states[-1])
    assert problem is None, f"snapshot: {problem}"
    for instant, state in zip(instants, states):
        problem = compare_rows(oracles.hudirs_as_of(base, instant, meta=False), state)
        assert problem is None, f"as of {instant}: {problem}"
    rng = random.Random(7)
    for _ in range(12):
        i, j = sorted(rng.sample(range(-1, len(instants)), 2))
        start = instants[i] if i >= 0 else "0"
        got = oracles.hudirs_incremental(base, start, instants[j], meta=False)
        problem = compare_rows(got, incremental_expected(states, lsns, i, j))
        assert problem is None, f"incremental ({start}, {instants[j]}]: {problem}"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_spark_reads_every_instant(hudi_spark, histories, scenario):
    base, instants, states, lsns = histories[scenario]
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
