"""What a posting costs PostgreSQL, priced by pgbench itself beside tpcb-like (issue 16, 1).

    .venv/bin/python bench/posting_cost.py --db dd_apiperf --pgbench-db dd_apiperf_pgbench \
        [--seconds 8] [--rounds 3] [--clients 4] [--scripts post,writes,api,api_before@other_db]

bench/api_floor.py prices a deduction through the whole stack; here pgbench sends the database
work alone, so that nothing but PostgreSQL is measured and the same tool prices the reference:

- `tpcb-like`: pgbench's built-in transaction (three updates, a select, an insert), on its own
  database (`--pgbench-db`, prepared by api_floor.py).
- `post` (posting_cost/post.sql): one deduction through `deposits_post`, exactly as the API sends
  it (captured from `deposits_deduct`), on a random account of `--db`.
- `writes` (posting_cost/writes.sql): only the rows a deduction must write (balance, transaction,
  two entries, event) in one statement, with no checks: the floor under any posting function
  on this schema.
- `recorded`: the API's posting call, `deposits_post_recorded` (the posting and the idempotency
  record); `lookup`: the API's account read (`deposits_account_snapshot_v1`); `api`: both, as
  an API deduction sends them. `api_before` and `lookup_before`: the three statements they
  replaced (the health check's SELECT 1 and the join sent as SQL), for A/B runs.

A script may be priced on another database than `--db` as `name@db` (an A/B of a schema
change in one run). Lookup scripts find the shop of account 12 (`-D shop=…`).

Each is priced in CPU of the PostgreSQL backends connected to its database (sampled from /proc as
api_floor.py does) per transaction, and the ratio to tpcb-like is taken per round; medians of the
rounds are printed. Postings accumulate in `--db` (a few thousand per second): run it on a
scratch copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_bench import PG, run  # noqa: E402
from api_floor import BackendCpu  # noqa: E402


def shop_of(db: str, account_id: int = 12) -> str:
    """The public id of the shop whose account the lookup scripts find (`:shop` in them)."""
    return run(
        [
            "psql",
            *PG,
            "-At",
            "-c",
            f"SELECT s.public_id FROM shops_shop s JOIN deposits_account a ON a.shop_id = s.id "
            f"WHERE a.id = {account_id}",
            db,
        ]
    ).strip()


def priced(db: str, seconds: int, clients: int, script: str | None) -> tuple[float, float]:
    """(tps, backend CPU ms per transaction) of pgbench running `script` (None: tpcb-like)."""
    what = (
        ["-b", "tpcb-like"]
        if script is None
        else ["-n", "-f", str(HERE / script), "-D", f"shop={shop_of(db)}"]
    )
    cpu = BackendCpu(db).start()
    out = run(["pgbench", *PG, *what, "-c", str(clients), "-j", "2", "-T", str(seconds), db])
    used = cpu.stop()
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"actually processed: (\d+)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if failed and int(failed.group(1)):
        raise SystemExit(f"{script}: {failed.group(1)} transactions failed\n{out}")
    return tps, 1000 * used / max(1, done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--pgbench-db", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--scripts", default="post,writes")
    args = parser.parse_args()
    scripts = [s for s in args.scripts.split(",") if s]

    rounds = []
    for n in range(args.rounds):
        result: dict[str, float] = {"load_1min": os.getloadavg()[0]}
        result["tpcb_tps"], result["tpcb_ms"] = priced(
            args.pgbench_db, args.seconds, args.clients, None
        )
        for name in scripts:
            # "name@db" prices a script on another database: an A/B of a schema change in one
            # run (`--scripts api,api@dd_copy_with_change`).
            script, _, db = name.partition("@")
            tps, ms = priced(
                db or args.db, args.seconds, args.clients, f"posting_cost/{script}.sql"
            )
            result[f"{name}_tps"], result[f"{name}_ms"] = tps, ms
            result[f"{name}_to_tpcb"] = ms / result["tpcb_ms"]
        print(f"round {n + 1}: {json.dumps(result)}", flush=True)
        rounds.append(result)

    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    loads = [r["load_1min"] for r in rounds]
    print(
        f"\npgbench -c {args.clients} -j 2, {args.seconds} s each, {args.rounds} rounds; "
        f"load {min(loads):.1f}–{max(loads):.1f}"
    )
    print("| transaction | tps | backend CPU ms per transaction | / tpcb-like (range) |")
    print("| --- | ---: | ---: | --- |")
    print(f"| tpcb-like | {med['tpcb_tps']:.0f} | {med['tpcb_ms']:.3f} | 1.00× |")
    for name in scripts:
        ratios = [r[f"{name}_to_tpcb"] for r in rounds]
        print(
            f"| {name} | {med[f'{name}_tps']:.0f} | {med[f'{name}_ms']:.3f} | "
            f"{med[f'{name}_to_tpcb']:.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) |"
        )


if __name__ == "__main__":
    main()
