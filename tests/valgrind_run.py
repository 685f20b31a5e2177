#!/usr/bin/env python3
"""Runs the SQL scenarios in tests/sql/ in the sqlite3 shell under valgrind,
against the fake org. A scenario fails on any valgrind error (invalid read or
write, use of uninitialised memory, a definite or indirect leak) or when its
output does not contain what its "-- expect:" lines say.

Scenario header lines:
    -- fault: {json fault rule}      installed before the run
    -- fake: {json fake config}      fake org settings
    -- env: NAME=value               extra environment
    -- expect: text                  must appear in stdout+stderr
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conftest import start_fake  # noqa: E402

EXT = os.environ.get("OKTA_EXT") or os.path.join(HERE, "..", "build", "okta")
SQLITE3 = os.environ.get("SQLITE3", "sqlite3")


def main():
    fake = start_fake()
    passed = failed = 0
    try:
        for name in sorted(os.listdir(os.path.join(HERE, "sql"))):
            if not name.endswith(".sql"):
                continue
            path = os.path.join(HERE, "sql", name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            fake.reset()
            env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token,
                       OKTA_SQLITE_BACKOFF_BASE="0.01", OKTA_SQLITE_PROGRESS="off")
            expects = []
            for line in text.splitlines():
                if line.startswith("-- fault:"):
                    fake.faults(json.loads(line[len("-- fault:"):]))
                elif line.startswith("-- fake:"):
                    fake.config(**json.loads(line[len("-- fake:"):]))
                elif line.startswith("-- env:"):
                    k, _, v = line[len("-- env:"):].strip().partition("=")
                    env[k] = v
                elif line.startswith("-- expect:"):
                    expects.append(line[len("-- expect:"):].strip())
            cmd = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
                   SQLITE3, "-bail", ":memory:", "-cmd", ".load " + EXT]
            p = subprocess.run(cmd, input=text, env=env, capture_output=True, text=True, timeout=900)
            out = p.stdout + p.stderr
            problems = []
            if p.returncode == 99 or "==" in p.stderr and ("Invalid" in p.stderr or "definitely lost" in p.stderr
                                                          or "uninitialised" in p.stderr):
                problems.append("valgrind reported errors")
            for e in expects:
                if e not in out:
                    problems.append("missing expected output: %r" % e)
            if problems:
                failed += 1
                print("FAIL %s: %s\n%s" % (name, "; ".join(problems), out[-4000:]))
            else:
                passed += 1
                print("ok   %s" % name)
    finally:
        fake.proc.terminate()
        fake.proc.wait()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
