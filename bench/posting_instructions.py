"""What a posting costs PostgreSQL in instructions, counted by callgrind (issue 16, 1).

    .venv/bin/python bench/posting_instructions.py --db dd_apiperf --pgbench-db dd_apiperf_pgbench \
        [--scripts post,writes,api,api@other_db] [--small 40] [--large 240] [--profile api]

bench/posting_cost.py prices a script in CPU seconds of the backends, which move with whatever
else runs on this 2-core machine (test suites, other benchmarks: the same script priced 1.5× to
2.3× tpcb-like within one loaded run). Here the same scripts are priced in **instructions**, which
do not: each database is copied into a throwaway cluster (bench/fault_env.py), the cluster is
stopped, and each script is run by one single-user backend (`postgres --single`) under
`valgrind --tool=callgrind`. A script is run twice, `--small` and `--large` transactions, and
the difference divided by the difference in transactions is its cost per transaction, without
the backend's start, the catalog cache's warming and the first planning of each statement.
`tpcb-like` (pgbench's built-in transaction, scale of `--pgbench-db`) is priced the same way.

Instructions are not time: they do not see cache misses, locks waited on or WAL flushed to disk,
and a single-user backend prints its rows instead of sending them. They are a repeatable measure
of the work each statement does, and the ratio to tpcb-like in instructions sits beside the
ratio in CPU time from posting_cost.py (docs/benchmarks.md compares them). `--profile NAME`
keeps that script's callgrind file and prints the functions with the most inclusive
instructions (callgrind_annotate), which shows where a posting's work goes.

Scripts are bench/posting_cost/*.sql, `name@db` as there. pgbench's `\\set x random(a, b)` is
expanded with a fixed seed, `:shop` is the shop of account 12 of that database.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_bench import PG, run  # noqa: E402
from fault_env import PG_BIN, ThrowawayPostgres, free_port  # noqa: E402
from posting_cost import shop_of  # noqa: E402

TPCB_LIKE = """\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
    VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
"""
SET = re.compile(r"^\\set (\w+) random\((.+), (.+)\)$")


def expand(script: str, transactions: int, variables: dict[str, str], seed: int = 16) -> str:
    """The script's statements `transactions` times, one per line, variables filled in."""
    sets: list[tuple[str, str, str]] = []
    statements: list[str] = []
    pending: list[str] = []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        match = SET.match(stripped)
        if match:
            sets.append(match.groups())  # type: ignore[arg-type]
            continue
        pending.append(stripped)
        if stripped.endswith(";"):
            statements.append(" ".join(pending))
            pending = []
    if pending:
        statements.append(" ".join(pending))

    def value(expression: str, known: dict[str, str]) -> int:
        for name, text in known.items():
            expression = expression.replace(f":{name}", text)
        return int(eval(expression, {"__builtins__": {}}))  # noqa: S307 - our own scripts

    rng = random.Random(seed)
    lines = []
    for _ in range(transactions):
        known = dict(variables)
        for name, low, high in sets:
            known[name] = str(rng.randint(value(low, known), value(high, known)))
        for statement in statements:
            text = statement
            # Longest names first, so that :aid never eats the start of :aid2.
            for name in sorted(known, key=len, reverse=True):
                text = re.sub(rf":{name}\b", known[name], text)
            lines.append(text)
    return "\n".join(lines) + "\n"


def copy_database(source: str, cluster: ThrowawayPostgres, target: str) -> None:
    cluster.createdb(target)
    dump = subprocess.Popen(["pg_dump", *PG, "--no-owner", source], stdout=subprocess.PIPE)
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(cluster.port),
         "-U", "postgres", "-d", target],
        stdin=dump.stdout, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    if dump.wait() != 0:
        raise SystemExit(f"pg_dump {source} failed")


def instructions(cluster: ThrowawayPostgres, database: str, statements: str, out: Path) -> int:
    """Instructions one single-user backend executes for `statements` (callgrind's total)."""
    sql = out.with_suffix(".sql")
    sql.write_text(statements)
    command = [
        *cluster._as, "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
        str(PG_BIN / "postgres"), "--single", "-D", str(cluster.data), "-c", "fsync=off",
        database,
    ]  # fmt: skip
    with sql.open() as stdin:
        done = subprocess.run(command, stdin=stdin, capture_output=True, text=True)
    if done.returncode != 0 or "ERROR:" in done.stdout + done.stderr:
        errors = [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line]
        raise SystemExit(f"{database}: the backend failed: {errors[:3] or done.returncode}")
    summary = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if not summary:
        raise SystemExit(f"no total in {out}")
    return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--pgbench-db", required=True)
    parser.add_argument("--scripts", default="post,writes,api")
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--large", type=int, default=240)
    parser.add_argument("--profile", default="", help="scripts whose callgrind profile to print")
    parser.add_argument("--keep", default="", help="a directory to keep the callgrind files in")
    args = parser.parse_args()
    scripts = [s for s in args.scripts.split(",") if s]
    profiled = {s for s in args.profile.split(",") if s}

    sources = {"tpcb-like": args.pgbench_db}
    for name in scripts:
        sources[name] = name.partition("@")[2] or args.db
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dd-callgrind-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = ThrowawayPostgres(free_port(5461))
    try:
        cluster.init()
        copies: dict[str, str] = {}
        for source in dict.fromkeys(sources.values()):
            copies[source] = f"copy_{len(copies)}"
            copy_database(source, cluster, copies[source])
        scale = run(["psql", *PG, "-At", "-c", "SELECT count(*) FROM pgbench_branches",
                     args.pgbench_db]).strip()  # fmt: skip
        cluster.stop()
        if cluster._as:
            subprocess.run(["chown", "-R", "postgres:postgres", str(workdir)], check=True)

        per_transaction: dict[str, float] = {}
        for name in ["tpcb-like", *scripts]:
            source = sources[name]
            if name == "tpcb-like":
                text, variables = TPCB_LIKE, {"scale": scale}
            else:
                text = (HERE / "posting_cost" / f"{name.partition('@')[0]}.sql").read_text()
                variables = {"shop": shop_of(source)}
            counts = []
            for n in (args.small, args.large):
                out = workdir / f"{name.replace('@', '_at_')}.{n}.callgrind"
                counts.append(
                    instructions(cluster, copies[source], expand(text, n, variables), out)
                )
            per_transaction[name] = (counts[1] - counts[0]) / (args.large - args.small)
            print(f"{name}: {per_transaction[name]:,.0f} instructions per transaction "
                  f"({counts[0]:,} for {args.small}, {counts[1]:,} for {args.large})",
                  flush=True)  # fmt: skip

        reference = per_transaction["tpcb-like"]
        print(f"\ncallgrind, single-user backends, {args.large - args.small} transactions")
        print("| transaction | instructions per transaction | / tpcb-like |")
        print("| --- | ---: | ---: |")
        for name, count in per_transaction.items():
            print(f"| {name} | {count:,.0f} | {count / reference:.2f}× |")

        for name in scripts:
            if name in profiled:
                out = workdir / f"{name.replace('@', '_at_')}.{args.large}.callgrind"
                report = run(["callgrind_annotate", "--inclusive=yes", str(out)])
                print(f"\n## {name}: inclusive instructions, {args.large} transactions\n")
                print("\n".join(report.splitlines()[:80]))
        print(f"\ncallgrind files: {workdir}")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
