#!/usr/bin/env python3
"""make bench: sqlite-okta against the Okta Node.js SDK on the same fake orgs.

For each org size and injected latency, each workload runs once per side in
its own process; the fake org counts the requests, wait4() gives the
process's CPU time and peak RSS. Results go to tests/bench/RESULTS.md.

    python3 bench.py [--sizes 10000,100000] [--latencies 0,50] [--quick]

The mirror (okta_sync), with --sync: per org size, the requests and wall
time of sql/snapshot.sql (today's full pull, for comparison), of the first
sync, of an incremental sync after 1% of the users' worth of changes of
every kind (the fake's POST /__fake/mutate, which writes the System Log
events), of an incremental sync with nothing changed, and the time the
graph takes to be rebuilt from the mirror. Its section of RESULTS.md is
replaced, the rest kept (and kept by the other mode).

    python3 bench.py --sync [--sizes 10000,100000] [--latencies 0] [--limits '{"default_rate_limit": 600}']

Under Okta's rate limits, with --real-limits: the fake enforces Okta's
per-bucket limits (REAL_LIMITS: shared buckets, fixed windows, 429 when a
bucket is spent) at --latency ms a request, and for each org size the whole
access graph, users JOIN factors and the mfa-coverage and effective-access
reports run with the default reserve; each next to its floor, the requests
of each bucket over what the bucket allows (its limit less the reserve) per
window. --window compresses the minute (default 6 s: the limits per window
stay Okta's per-minute ones, ten times as fast as a real org); its section
of RESULTS.md is replaced, the rest kept.

    python3 bench.py --real-limits [--sizes 10000] [--window 6] [--latency 50]
"""

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
from conftest import start_fake  # noqa: E402

EXT = os.environ.get("OKTA_EXT") or os.path.join(ROOT, "build", "okta")
CONCURRENCY = 16
COLUMNS = ("id status login email first_name last_name user_type created activated status_changed last_login "
           "last_updated password_changed transitioning_to_status type_id profile credentials").split()

SQL = {
    "count": "SELECT count(*) FROM okta_users",
    "columns": "SELECT count(*) FROM okta_users WHERE %s >= 0" % " + ".join(
        "length(coalesce(%s, ''))" % c for c in COLUMNS),
    "factors": "SELECT count(*) FROM okta_user_factors",
    "join": "SELECT count(*) FROM okta_users u JOIN okta_user_factors f ON f.user_id = u.id",
    "graph": "SELECT count(*) FROM okta_relationships",
}
TITLES = {
    "count": "count(*) of users",
    "columns": "every column of every user",
    "factors": "factors of every user",
    "join": "users JOIN factors",
    "graph": "the whole okta_relationships",
}


def plan(sizes, latencies):
    """(users, latency, workload, side, options). Sequential peers and 50 ms
    fan-outs at 100k users are left out: hours of waiting on one socket."""
    out = []
    for n in sizes:
        for lat in latencies:
            for w in ("count", "columns"):
                out.append((n, lat, w, "sqlite-okta", {}))
                if w == "columns" and n >= 100000:
                    out.append((n, lat, w, "sqlite-okta", {"cache": "off"}))
                out.append((n, lat, w, "node-sdk", {"concurrency": 1}))
            if n >= 100000 and lat > 0:
                continue
            for w in ("factors", "join", "graph"):
                out.append((n, lat, w, "sqlite-okta", {}))
                if lat == 0 and n < 100000:
                    out.append((n, lat, w, "node-sdk", {"concurrency": 1}))
                out.append((n, lat, w, "node-sdk", {"concurrency": CONCURRENCY}))
    return out


def control(fake, path, payload=None, timeout=120):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(fake.url + path, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def measure(cmd, env, stdin=None):
    """Runs cmd; returns (stdout, wall s, cpu s, peak rss MiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE if stdin else None, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if stdin:
        p.stdin.write(stdin)
        p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], err[-2000:]))
    return out, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def run_one(fake, workload, side, opts):
    control(fake, "/__fake/reset", {})
    control(fake, "/__fake/config", {"latency_ms": fake.latency})
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token, OKTA_SQLITE_PROGRESS="off")
    if side == "sqlite-okta":
        env["OKTA_SQLITE_CONCURRENCY"] = str(CONCURRENCY)
        if opts.get("cache") == "off":
            env["OKTA_SQLITE_CACHE"] = "false"
        out, wall, cpu, rss = measure(["sqlite3", ":memory:", "-cmd", ".load " + EXT, SQL[workload]], env)
        rows = int(out.strip().splitlines()[-1])
    else:
        out, wall, cpu, rss = measure(["node", os.path.join(HERE, "peer.js"), workload, str(opts["concurrency"])],
                                      env)
        rows = json.loads(out)["rows"]
    counts = control(fake, "/__fake/count")
    return {"requests": counts["requests"], "rate_limited": counts["rate_limited"], "wall": wall, "cpu": cpu,
            "rss": rss, "rows": rows}


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    sdk = json.load(open(os.path.join(HERE, "node_modules", "@okta", "okta-sdk-nodejs", "package.json")))["version"]
    sq = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    return "%s, %d cores, %s; SQLite %s; Node %s with @okta/okta-sdk-nodejs %s" % (
        model, os.cpu_count(), platform.platform(), sq, node, sdk)


def side_name(side, opts):
    if side == "sqlite-okta":
        return "sqlite-okta (c=%d%s)" % (CONCURRENCY, ", cache off" if opts.get("cache") == "off" else "")
    return "node-sdk (%s)" % ("sequential" if opts["concurrency"] == 1 else "c=%d" % opts["concurrency"])


# Okta's per-minute limits of the buckets the benchmark uses (Workforce
# orgs; https://developer.okta.com/docs/reference/rl-global-mgmt/ and issue
# 14): /api/v1/users* 600, GET /api/v1/users/{id} 2000, /api/v1/apps* 100,
# /api/v1/logs 120. /api/v1/groups* 500 and 600 for the other management
# paths (the catch-all bucket of ext/ratelimit.c) are assumptions.
REAL_LIMITS = {"/api/v1/users*": 600, "GET /api/v1/users/{id}": 2000, "/api/v1/groups*": 500,
               "/api/v1/apps*": 100, "/api/v1/logs": 120, "/api/v1/*": 600}
RESERVE = 20  # rateLimit.reserve's default, percent
LIMIT_WORK = [
    ("graph", "the whole access graph (okta_relationships)", "SELECT count(*) FROM okta_relationships", None),
    ("join", "users JOIN factors", SQL["join"], None),
    ("mfa", "sql/mfa-coverage.sql", None, "mfa-coverage.sql"),
    ("access", "sql/effective-access.sql", None, "effective-access.sql"),
]
LIMITS_BEGIN, LIMITS_END = "<!-- real_limits -->", "<!-- /real_limits -->"


def bucket_floor(log, window):
    """(requests per bucket, floor): the seconds the busiest bucket needs for
    its requests at its usable share (limit less RESERVE) of each window."""
    per = {}
    for e in log:
        per[e["bucket"]] = per.get(e["bucket"], 0) + 1
    usable = {b: lim - math.ceil(lim * RESERVE / 100.0) for b, lim in REAL_LIMITS.items()}
    return per, max([per[b] / float(usable.get(b, 100000)) for b in per] or [0]) * window


def limits_bench(args, sizes):
    """Each workload in a fresh sqlite3 process against a fake that enforces
    REAL_LIMITS per window of args.window seconds."""
    results = []
    for n in sizes:
        print("building a fake org of %d users..." % n, file=sys.stderr, flush=True)
        fake = start_fake(users=n)
        try:
            env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token,
                       OKTA_SQLITE_PROGRESS="off", OKTA_SQLITE_CONCURRENCY=str(CONCURRENCY))
            for key, title, sql, script in LIMIT_WORK:
                control(fake, "/__fake/reset", {})
                control(fake, "/__fake/config", {"latency_ms": args.latency, "rate_limits": REAL_LIMITS,
                                                 "default_rate_limit": 100000, "rate_window_s": args.window})
                cmd = ["sqlite3", "-bail", ":memory:", "-cmd", ".load " + EXT] + ([sql] if sql else [])
                stdin = open(os.path.join(ROOT, "sql", script)).read() if script else None
                _, wall, cpu, rss = measure(cmd, env, stdin)
                log = control(fake, "/__fake/requests")
                per, floor = bucket_floor(log, args.window)
                r = {"users": n, "key": key, "title": title, "requests": len(log), "wall": wall, "cpu": cpu,
                     "rate_limited": sum(1 for e in log if e.get("status") == 429), "per_bucket": per,
                     "floor": floor}
                results.append(r)
                print("%6d users %-10s %7d req %4d 429s %8.1f s, floor %7.1f s (%.2fx) %s" % (
                    n, key, r["requests"], r["rate_limited"], wall, floor, wall / floor if floor else 0,
                    ", ".join("%s %d" % kv for kv in sorted(per.items()))), file=sys.stderr, flush=True)
        finally:
            fake.proc.terminate()
            fake.proc.wait()
        write_limits_results(args, results)


def write_limits_results(args, results):
    lines = [LIMITS_BEGIN, "## Under Okta's rate limits", "",
             "Generated by `tests/bench/bench.py --real-limits --window %g --latency %d` on %s UTC, same machine. "
             "The fake enforces Okta's per-bucket limits in fixed windows, answering 429 when a bucket is spent: "
             "%s per window, others unlimited. The window is a **scaled minute of %g s**: each window allows a "
             "minute's worth of requests, so everything runs %.0fx faster than on a real org (multiply wall times "
             "by %.0f for real minutes); X-Rate-Limit-Reset and Date keep whole seconds, so the client may lose up to "
             "a second of each window, %.0f%% of a scaled one (under 2%% of a real minute). Every request takes %d ms. "
             "sqlite-okta runs with concurrency %d and the default reserve of %d%%. Floor: the busiest bucket's "
             "requests / (its limit less the reserve) windows." % (
                 args.window, args.latency, time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                 ", ".join("%s %d" % kv for kv in REAL_LIMITS.items()), args.window, 60.0 / args.window,
                 60.0 / args.window, 100.0 / args.window, args.latency, CONCURRENCY, RESERVE), "",
             "| users | workload | requests | requests per bucket | 429s | wall s | floor s | wall / floor |",
             "|---:|---|---:|---|---:|---:|---:|---:|"]
    for r in results:
        lines.append("| %d | %s | %d | %s | %d | %.1f | %.1f | %.2f |" % (
            r["users"], r["title"], r["requests"], ", ".join("%s %d" % kv for kv in sorted(r["per_bucket"].items())),
            r["rate_limited"], r["wall"], r["floor"], r["wall"] / r["floor"] if r["floor"] else 0))
    lines += ["", "Fixed windows make the rate floor a lower bound only for long runs: a workload that needs a "
              "little more than one window's allowance of a bucket must wait for a window boundary, up to one "
              "window more than its rate floor, and short stages are bound by latency, not by the limits.",
              "", "Targets (wall time within 1.15x of the floor, zero 429s with the default reserve):", ""]
    for r in results:
        ratio = r["wall"] / r["floor"] if r["floor"] else 0
        lines.append("- %d users, %s: %.2fx the floor: %s; %d 429s: %s" % (
            r["users"], r["title"], ratio, "met" if ratio <= 1.15 else "NOT met", r["rate_limited"],
            "met" if r["rate_limited"] == 0 else "NOT met"))
    lines.append(LIMITS_END)
    replace_section(args.out, LIMITS_BEGIN, LIMITS_END, "\n".join(lines))


def replace_section(path, begin, end, section):
    """Puts a marked section into RESULTS.md, replacing its older version."""
    try:
        text = open(path).read()
    except OSError:
        text = "# Benchmark results\n"
    i, j = text.find(begin), text.find(end)
    text = text[:i].rstrip("\n") + "\n\n" + section + text[j + len(end):] if i >= 0 and j > i else \
        text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--latencies", default="0,50")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--sync", action="store_true", help="benchmark the mirror (okta_sync) instead")
    ap.add_argument("--limits", help="JSON settings for the fake org (rate_limits, default_rate_limit ...)")
    ap.add_argument("--churn", type=float, default=1.0, help="percent of the users' worth of changes (--sync)")
    ap.add_argument("--skip-snapshot", action="store_true", help="--sync without the snapshot.sql comparison")
    ap.add_argument("--snapshot-max-users", type=int, default=0,
                    help="--sync: skip the snapshot.sql comparison above this many users (0: never skip)")
    ap.add_argument("--real-limits", action="store_true", help="run under Okta's per-bucket rate limits instead")
    ap.add_argument("--window", type=float, default=6, help="--real-limits: seconds of the scaled minute")
    ap.add_argument("--latency", type=int, default=50, help="--real-limits: ms per request")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    latencies = [int(x) for x in args.latencies.split(",")]
    if args.sync:
        if args.real_limits:  # one latency, Okta's buckets scaled to a window of args.window seconds
            args.limits = json.dumps({"rate_limits": REAL_LIMITS, "default_rate_limit": 100000,
                                      "rate_window_s": args.window})
            latencies = [args.latency]
        return sync_bench(args, sizes, latencies)
    if args.real_limits:
        return limits_bench(args, sizes)
    results = []
    for n in sizes:
        print("building a fake org of %d users..." % n, file=sys.stderr, flush=True)
        fake = start_fake(users=n)
        info = control(fake, "/__fake/info")
        try:
            for lat in latencies:
                fake.latency = lat
                for (nn, ll, w, side, opts) in plan([n], [lat]):
                    r = run_one(fake, w, side, opts)
                    r.update(users=n, latency=lat, workload=w, side=side_name(side, opts), info=info, opts=opts,
                             kind=side)
                    results.append(r)
                    print("%6d users %3d ms %-8s %-28s %7d req %8.2f s %7.2f cpu %7.1f MiB %8d rows" % (
                        n, lat, w, r["side"], r["requests"], r["wall"], r["cpu"], r["rss"], r["rows"]),
                        file=sys.stderr, flush=True)
        finally:
            fake.proc.terminate()
            fake.proc.wait()
        write_results(args.out, results)  # after each size: a long run keeps what it measured


def write_results(path, results):
    lines = ["# Benchmark results", "",
             "Generated by `make bench` (tests/bench/bench.py) on %s UTC." % time.strftime("%Y-%m-%d %H:%M",
                                                                                          time.gmtime()),
             "", "Machine: %s." % machine(), "",
             "Each cell is one run in a fresh process against the fake org (tests/fakeorg), which "
             "serves every request with the injected latency. Requests are counted by the fake org; CPU "
             "(user + system) and peak RSS come from wait4() on the client process. sqlite-okta runs "
             "in the sqlite3 shell with `concurrency` %d; the peer is the Okta Node.js SDK, "
             "sequentially and with %d requests in flight. Not run: sequential fan-outs except at 10k "
             "users and 0 ms (10,000 round trips of 50 ms are over 8 minutes each), and fan-outs at "
             "100k users with 50 ms latency." % (CONCURRENCY, CONCURRENCY), ""]
    keys = sorted({(r["users"], r["latency"]) for r in results})
    for n, lat in keys:
        lines += ["## %d users, %d ms latency" % (n, lat), "",
                  "| workload | client | requests | wall s | CPU s | peak RSS MiB | rows | rows/s |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in results:
            if (r["users"], r["latency"]) != (n, lat):
                continue
            lines.append("| %s | %s | %d | %.2f | %.2f | %.1f | %d | %.0f |" % (
                TITLES[r["workload"]], r["side"], r["requests"], r["wall"], r["cpu"], r["rss"], r["rows"],
                r["rows"] / r["wall"] if r["wall"] else 0))
        lines.append("")
    lines += ["## Targets", ""] + check_targets(results)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + kept_section(path, SYNC_BEGIN, SYNC_END) +
                kept_section(path, LIMITS_BEGIN, LIMITS_END))


def check_targets(results):
    out = []

    def find(**kw):
        return [r for r in results if all(r.get(k) == v for k, v in kw.items())]

    for r in find(workload="count", kind="sqlite-okta"):
        info = r["info"]
        want = math.ceil((info["users"] - info["deprovisioned"]) / 200) + math.ceil(info["deprovisioned"] / 200)
        out.append("- List requests, %d users, %d ms: %d made, ceil(rows / 200) per listing = %d: %s" % (
            r["users"], r["latency"], r["requests"], want, "met" if r["requests"] == want else "NOT met"))
    for r in find(kind="sqlite-okta"):
        if r["latency"] and r["workload"] in ("factors", "join"):
            bound = 1.5 * r["requests"] * r["latency"] / 1000.0 / CONCURRENCY
            out.append("- Fan-out wall time, %s, %d users, %d ms: %.1f s; 1.5 x requests x latency / concurrency "
                       "= %.1f s: %s" % (r["workload"], r["users"], r["latency"], r["wall"], bound,
                                         "met" if r["wall"] <= bound else "NOT met"))
    for r in find(workload="columns", kind="sqlite-okta", latency=0):
        if r["opts"].get("cache") == "off":
            continue
        peer = find(workload="columns", kind="node-sdk", latency=0, users=r["users"])
        if peer:
            ours, theirs = r["cpu"] / r["users"] * 10000, peer[0]["cpu"] / r["users"] * 10000
            out.append("- Client CPU per 10,000 users listed (every column, 0 ms), %d users: %.3f s vs the Node SDK's "
                       "%.3f s (%.1fx less; target 5x): %s" % (r["users"], ours, theirs, theirs / ours if ours else 0,
                                                               "met" if ours * 5 <= theirs else "NOT met"))
    for r in find(workload="columns", kind="sqlite-okta", users=100000):
        limit = 64 if r["opts"].get("cache") == "off" else 64 + 64 + 16
        what = "cache off, target 64 MiB" if r["opts"].get("cache") == "off" else \
            "cache on (64 MiB budget), target budget + 64 MiB"
        out.append("- Peak RSS, 100,000-user scan, %d ms, %s: %.1f MiB: %s" % (
            r["latency"], what, r["rss"], "met" if r["rss"] <= limit else "NOT met"))
    for r in find(workload="graph", kind="sqlite-okta", latency=0):
        info = r["info"]
        j1 = info["users"] / 200 + 2 * info["users"] + info["apps"] + 2 * info["apps"]
        out.append("- Whole graph requests, %d users: %d; JupiterOne's N/200 + 2N + A + 2A = %d (%.0f%%)" % (
            r["users"], r["requests"], j1, 100.0 * r["requests"] / j1))
    return out


# ------------------------------------------------------------ the mirror

SYNC_BEGIN, SYNC_END = "<!-- okta_sync -->", "<!-- /okta_sync -->"


def kept_section(path, begin, end):
    """A marked section of an existing RESULTS.md (kept by the other modes)."""
    try:
        text = open(path).read()
    except OSError:
        return ""
    i, j = text.find(begin), text.find(end)
    return "\n" + text[i:j + len(end)] + "\n" if i >= 0 and j > i else ""


def sync_step(fake, env, sql, stdin=None):
    """Runs one statement (or a script on stdin) in a fresh sqlite3 process."""
    control(fake, "/__fake/reset", {})
    control(fake, "/__fake/config", fake.settings)
    cmd = ["sqlite3", "-bail", ":memory:", "-cmd", ".load " + EXT] + ([sql] if sql else [])
    out, wall, cpu, rss = measure(cmd, env, stdin)
    counts = control(fake, "/__fake/count")
    r = {"requests": counts["requests"], "rate_limited": counts["rate_limited"], "wall": wall, "cpu": cpu, "rss": rss}
    window = fake.settings.get("rate_window_s")
    if window:
        r["floor"] = bucket_floor(control(fake, "/__fake/requests", timeout=600), window)[1]
    if sql:
        r["sync"] = json.loads(out.strip().splitlines()[-1])
    return r


def sync_bench(args, sizes, latencies):
    results = []
    work = os.path.join(HERE, "work")
    os.makedirs(work, exist_ok=True)
    for n in sizes:
        print("building a fake org of %d users..." % n, file=sys.stderr, flush=True)
        fake = start_fake(users=n)
        try:
            info = control(fake, "/__fake/info")
            for k, lat in enumerate(latencies):
                if k:  # the last pass changed the org
                    control(fake, "/__fake/org", {"users": n}, timeout=1800)
                fake.settings = dict(json.loads(args.limits or "{}"), latency_ms=lat)
                env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_TOKEN=fake.token,
                           OKTA_SQLITE_PROGRESS="off", OKTA_SQLITE_CONCURRENCY=str(CONCURRENCY))
                mirror = os.path.join(work, "mirror-%d-%d.db" % (n, lat))
                for ext in ("", "-wal", "-shm"):
                    if os.path.exists(mirror + ext):
                        os.unlink(mirror + ext)
                row = {"users": n, "latency": lat, "info": info}
                snap = os.path.join(work, "snapshot-%d-%d.db" % (n, lat))
                if os.path.exists(snap):
                    os.unlink(snap)
                with open(os.path.join(ROOT, "sql", "snapshot.sql")) as f:
                    script = ".parameter set @file %s\n" % snap + f.read()
                if args.skip_snapshot or 0 < args.snapshot_max_users < n:
                    row["snapshot"] = {"requests": 0, "rate_limited": 0, "wall": 0, "cpu": 0, "rss": 0, "skipped": True}
                else:
                    row["snapshot"] = sync_step(fake, env, None, stdin=script)
                    os.unlink(snap)
                row["full"] = sync_step(fake, env, "SELECT okta_sync('%s')" % mirror)
                ops = max(1, int(n * args.churn / 100))
                applied = control(fake, "/__fake/mutate", {"random": {"seed": 1, "count": ops}},
                                  timeout=1800)["applied"]
                row["ops"] = sum(1 for a in applied if not a.get("skipped"))
                row["incremental"] = sync_step(fake, env, "SELECT okta_sync('%s')" % mirror)
                row["nothing"] = sync_step(fake, env, "SELECT okta_sync('%s')" % mirror)
                results.append(row)
                for k in ("snapshot", "full", "incremental", "nothing"):
                    r = row[k]
                    print("%6d users %3d ms %-12s %7d req %8.2f s %7.2f cpu %7.1f MiB%s" % (
                        n, lat, k, r["requests"], r["wall"], r["cpu"], r["rss"],
                        "  graph %.2f s, feed %.2f s" % (r["sync"]["graph_seconds"], r["sync"]["graph_apply_seconds"])
                        if "sync" in r else ""),
                        file=sys.stderr, flush=True)
                os.unlink(mirror)
        finally:
            fake.proc.terminate()
            fake.proc.wait()
        write_sync_results(args.out, results, args)


def write_sync_results(path, results, args):
    lines = [SYNC_BEGIN, "## Mirror: okta_sync", "",
             "Generated by `tests/bench/bench.py --sync%s` on %s UTC, same machine. Each step runs in a fresh "
             "sqlite3 process; requests are counted by the fake org. The churn is %s%% of the users' worth of "
             "random changes of every kind (tests/fakeorg/mutate.py, with their System Log events). Graph: the "
             "seconds okta_sync spent running the graph's arms over the mirror (the rebuild); feed: the seconds it then "
             "spent matching the new graph with the mirror's, recording the change feed and writing the rows that "
             "changed.%s" % (" --real-limits --window %g --latency %d" % (args.window, args.latency) if args.real_limits
                                       else " --limits '%s'" % args.limits if args.limits else "",
                                       time.strftime("%Y-%m-%d %H:%M", time.gmtime()), args.churn,
                                       (" Under Okta's per-bucket rate limits (listed in the rate-limit section), each minute scaled "
                                        "to %g s; floor: the seconds the busiest bucket needs at its usable share "
                                        "(limit less the %d%% reserve), so wall/floor says how close a step runs "
                                        "to the limit." % (args.window, RESERVE)) if args.real_limits else ""), "",
             "| users | latency ms | step | requests | 429s | wall s | floor s | CPU s | peak RSS MiB | graph s | feed s "
             "| changes |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    titles = {"snapshot": "sql/snapshot.sql (today)", "full": "first sync", "incremental": "incremental, %d changes",
              "nothing": "incremental, nothing changed"}
    for row in results:
        for k in ("snapshot", "full", "incremental", "nothing"):
            r = row[k]
            s = r.get("sync", {})
            lines.append("| %d | %d | %s | %d | %d | %.2f | %s | %.2f | %.1f | %s | %s | %s |" % (
                row["users"], row["latency"], titles[k] % row["ops"] if "%" in titles[k] else titles[k],
                r["requests"], r["rate_limited"], r["wall"], "%.1f" % r["floor"] if "floor" in r else "",
                r["cpu"], r["rss"],
                "%.2f" % s["graph_seconds"] if s else "", "%.2f" % s["graph_apply_seconds"] if s else "",
                s.get("changes", "") if s else ""))
    lines += ["", "Targets:", ""]
    for row in results:
        full, inc, snap = row["full"], row["incremental"], row["snapshot"]
        snap_cmp = "not run" if snap.get("skipped") else "%d: %s" % (
            snap["requests"], "met" if full["requests"] <= snap["requests"] else "NOT met")
        lines.append("- %d users, %d ms: first sync %d requests vs the snapshot's %s; incremental %d requests = "
                     "%.1f%% of the first sync's (target at most 3%%): %s; nothing changed: %d requests; graph rebuilt "
                     "in %.2f s (target under 5 s at 100,000 users): %s, then matched with the mirror and its "
                     "changes written in %.2f s" % (
                         row["users"], row["latency"], full["requests"], snap_cmp, inc["requests"],
                         100.0 * inc["requests"] / max(1, full["requests"]),
                         "met" if inc["requests"] <= 0.03 * full["requests"] else "NOT met", row["nothing"]["requests"],
                         inc["sync"]["graph_seconds"], "met" if inc["sync"]["graph_seconds"] < 5 else "NOT met",
                         inc["sync"]["graph_apply_seconds"]))
    lines.append(SYNC_END)
    replace_section(path, SYNC_BEGIN, SYNC_END, "\n".join(lines))


if __name__ == "__main__":
    main()
