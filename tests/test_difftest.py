"""The differential test in make test: a few hundred seeded random queries,
each compared with the same query over plain copies of the full scans
(tests/difftest.py; `make difftest SEED=n QUERIES=n` runs as many as you
ask)."""

import difftest
from conftest import EXT


def test_random_queries_agree_with_plain_tables(fake_server):
    fake_server.reset()
    vt = difftest.connect_vt(EXT, fake_server.url, fake_server.token)
    plain = difftest.materialize(vt, difftest.Schema(vt))
    failures = difftest.run(vt, plain, seed=20261126, n=300, out=None)
    assert failures == [], "\n".join(failures[:5])
