"""The table reference in docs/tables.md is generated from the descriptors:
fail when the committed file says something the code does not."""

import os

import gen_docs
from conftest import EXT


def test_docs_match_the_descriptors():
    gen_docs.EXT = EXT
    want = gen_docs.render(gen_docs.schema())
    with open(gen_docs.OUT, encoding="utf-8") as f:
        got = f.read()
    assert got == want, "docs/tables.md is out of date: run `make docs` and commit it"


def test_readme_links_every_table():
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), encoding="utf-8").read()
    from test_tables import TABLES
    for t in TABLES:
        assert "docs/tables.md#%s" % t in readme, t
