#!/usr/bin/env python3
"""make test-tsan: runs tests/threads.c (connections in threads) under
ThreadSanitizer against the fake org. Fails on any data race report."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [os.path.abspath(a) for a in sys.argv[1:3]]  # conftest changes the directory
sys.path.insert(0, HERE)
from conftest import start_fake  # noqa: E402


def main():
    binary, ext = ARGS
    fake = start_fake(users=500)
    try:
        env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off",
                   TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1")
        p = subprocess.run([binary, ext, "4"], env=env, capture_output=True, text=True, timeout=600)
    finally:
        fake.proc.terminate()
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr[-6000:])
    races = p.stderr.count("WARNING: ThreadSanitizer")
    ok = p.returncode == 0 and races == 0
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
