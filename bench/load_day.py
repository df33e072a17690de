"""A marketplace's day under locust (issue 16, 3): the mix of bench/locust_day.py against
gunicorn with a real Celery worker and beat, then the ledger checked and every 2xx matched
against what the database holds.

    .venv/bin/python bench/load_day.py --users 40 --run-time 10m
    .venv/bin/python bench/load_day.py --users 10@0.25,10@0.5,20 --run-time 2m  # calibration

locust is not a dependency of the product (the `bench` extra; it only speaks HTTP to the
server): the script runs `--locust` (default: `locust` next to this Python, else on PATH, e.g.
a venv made with `python3 -m venv /tmp/locust-venv && /tmp/locust-venv/bin/pip install locust`).

What it does:
  1. DROPS and recreates the scratch database (--db, default dd_bench_load_day), migrates it,
     seeds SHOPS funded shops and the marketplace's key (bench/api_bench_setup.py), then a
     payment provider's key, an insurer for `perf-bond`, MERCHANTS signed-in merchant owners,
     an ops user, and every beat job every BEAT_EVERY seconds (bench/load_day_setup.py)
  2. starts gunicorn as bench/api_bench.py does (4 sync workers, DEBUG off, a real secret,
     Redis cache) under bench/locust_settings.py (the product's settings and one bench-only
     ops endpoint), a Celery worker (2 processes, acks late as configured) and beat
  3. for each --users step: locust headless for --run-time with --csv (var/bench/load_day/)
  4. stops them all (the worker last, after its queue is empty), runs `ledger_check`, counts
     postings, claims, decisions and quotes in the database and compares them with the 2xx
     answers locust counted; prints a Markdown table per step and the match
Use a Redis database of your own (--redis, also the broker); the script flushes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import OUT as BENCH_OUT  # noqa: E402
from api_bench import PG, ROOT, VENV, bench_env, recreate, run, wait_for  # noqa: E402

OUT = BENCH_OUT / "load_day"

# locust's request names (bench/locust_day.py) -> what each success must have left behind.
MATCHES = [
    ("API top-up", "top-ups posted (TOP_UP, api key)"),
    ("API deduction", "deductions posted (DEDUCTION, api key)"),
    ("API claim file", "claims filed"),
    ("API claim escalate", "claims escalated (in review or decided)"),
    ("API claim decision + ops claim decision (admin service)", "claims decided"),
    ("API insurance quote", "insurance quotes stored"),
]

COUNT_SCRIPT = """
import json, django
django.setup()
from django.db.models import Count
from deposits.models import LedgerTransaction as T
from claims.models import Claim
from insurance.models import InsuranceQuote
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult
api = T.objects.filter(idempotency_key__startswith="api:")
print(json.dumps({
    "top-ups posted (TOP_UP, api key)": api.filter(kind="TOP_UP").count(),
    "deductions posted (DEDUCTION, api key)": api.filter(kind="DEDUCTION").count(),
    "claims filed": Claim.objects.count(),
    "claims escalated (in review or decided)": Claim.objects.filter(
        status__in=["IN_REVIEW", "DECIDED"]).count(),
    "claims decided": Claim.objects.filter(status="DECIDED").count(),
    "insurance quotes stored": InsuranceQuote.objects.count(),
    "ledger transactions by kind": dict(
        T.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")),
    "beat sends": dict(PeriodicTask.objects.exclude(name__startswith="celery.")
        .values_list("task", "total_run_count")),
    "task results": {f"{t} {s}": n for t, s, n in TaskResult.objects
        .values_list("task_name", "status").annotate(n=Count("id")).order_by("task_name")},
}))
"""


def count(env: dict[str, str]) -> dict[str, Any]:
    return json.loads(run([str(VENV / "python"), "-c", COUNT_SCRIPT], env).splitlines()[-1])


def find_locust(given: str | None) -> str:
    for candidate in (given, str(Path(sys.executable).parent / "locust"), shutil.which("locust")):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("locust not found: pip install locust into a venv of its own, pass --locust")


def prepare(env: dict[str, str], db: str, shops: int, merchants: int, beat_every: int) -> None:
    if not db.startswith("dd_bench"):
        sys.exit(f"Refusing to drop {db!r}: a scratch database's name starts with dd_bench.")
    print(f"preparing {db} ({shops} shops, {merchants} merchants signed in) …", flush=True)
    recreate(db)
    run([str(VENV / "python"), "manage.py", "migrate", "--noinput"], env)
    setup_env = {
        **env,
        "SHOPS": str(shops),
        "MERCHANTS": str(merchants),
        "BEAT_EVERY": str(beat_every),
        "OUT_DIR": str(OUT),
    }
    run([str(VENV / "python"), "bench/api_bench_setup.py"], setup_env)
    print(run([str(VENV / "python"), "bench/load_day_setup.py"], setup_env).strip(), flush=True)
    # Fresh tables have no statistics (bench/api_bench.py: the planner chose the wrong index).
    run(["psql", *PG, "-q", "-c", "VACUUM ANALYZE", db])
    run([str(VENV / "python"), "manage.py", "collectstatic", "--noinput"], env)


def start(cmd: list[str], env: dict[str, str], log_name: str) -> tuple[subprocess.Popen, Any]:  # type: ignore[type-arg]
    log = open(OUT / log_name, "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    return proc, log


def stop(proc: subprocess.Popen, log: Any, sig: int = signal.SIGTERM, wait: float = 60) -> None:  # type: ignore[type-arg]
    try:
        os.killpg(proc.pid, sig)
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    except ProcessLookupError:
        pass
    log.close()


def percentile(histogram: dict[str, int], q: float) -> float:
    """From locust's histogram of response times (ms, rounded as its CSV rounds them)."""
    total = sum(histogram.values())
    seen = 0
    for ms, n in sorted((float(k), v) for k, v in histogram.items()):
        seen += n
        if seen >= q * total:
            return ms
    return 0.0


def read_stats(name: str) -> list[dict[str, Any]]:
    """Per request name: requests, failures, p50/p95/p99/max, and an "all" row. Read from
    --json-file, which locust writes after its users stopped: the --csv files are written
    before, and missed the requests answered while the users finished their last task."""
    entries = json.loads((OUT / f"{name}.json").read_text())
    rows = []
    everything: dict[str, int] = {}
    for entry in entries:
        histogram = entry["response_times"]
        for ms, n in histogram.items():
            everything[ms] = everything.get(ms, 0) + n
        rows.append(
            {
                "name": entry["name"],
                "requests": entry["num_requests"],
                "failures": entry["num_failures"],
                "p50": percentile(histogram, 0.50),
                "p95": percentile(histogram, 0.95),
                "p99": percentile(histogram, 0.99),
                "max": entry["max_response_time"] or 0,
            }
        )
    rows.sort(key=lambda r: r["name"])
    rows.append(
        {
            "name": "all",
            "requests": sum(r["requests"] for r in rows),
            "failures": sum(r["failures"] for r in rows),
            "p50": percentile(everything, 0.50),
            "p95": percentile(everything, 0.95),
            "p99": percentile(everything, 0.99),
            "max": max((r["max"] for r in rows), default=0),
        }
    )
    return rows


def table(rows: list[dict[str, Any]], seconds: float) -> list[str]:
    lines = [
        "| request | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        name = "**all**" if row["name"] == "all" else row["name"]
        lines.append(
            f"| {name} | {row['requests']} | {row['failures']} | "
            f"{row['requests'] / seconds:.1f} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} |"
        )
    return lines


def parse_seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def drain(env: dict[str, str], timeout: float = 120) -> None:
    """Wait until the worker has taken every queued task (the broker's list is empty)."""
    redis = env["CELERY_BROKER_URL"]
    db = redis.rsplit("/", 1)[1]
    deadline = time.time() + timeout
    while time.time() < deadline:
        out = subprocess.run(
            ["redis-cli", "-n", db, "LLEN", "celery"], capture_output=True, text=True
        ).stdout
        if out.strip() in ("0", ""):
            return
        time.sleep(1)


def run_locust(
    locust: str, name: str, users: int, run_time: str, port: int, pace: float = 1.0
) -> None:
    with open(OUT / f"{name}_locust.log", "w") as log:
        subprocess.run(
            [
                locust,
                "-f",
                "bench/locust_day.py",
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                run_time,
                # Users finish the task in hand when the time is up: every request sent is
                # answered and counted, so the 2xx can be matched against the database.
                "--stop-timeout",
                "30",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(OUT / name),
                "--json-file",
                str(OUT / name),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**os.environ, "BENCH_OUT": str(OUT), "BENCH_PACE": str(pace)},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users",
        default="40",
        help="USERS[@PACE] or steps 10@0.5,20: PACE tasks a second per user (default 1)",
    )
    parser.add_argument("--run-time", default="10m", help="per step (locust's -t)")
    parser.add_argument("--shops", type=int, default=500)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--beat-every", type=int, default=60, help="seconds between beat runs")
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--db", default="dd_bench_load_day")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--locust", default=None)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse the database a previous run prepared (the match compares what this run added)",
    )
    args = parser.parse_args()
    locust = find_locust(args.locust)
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["BENCH_REDIS_URL"] = args.redis
    env = bench_env(args.db, args.port)
    env["CELERY_BROKER_URL"] = args.redis
    # The merchants' sessions are bound to the secret key (Django's session auth hash): a run
    # with --keep must use the key the sessions were made with.
    secret = OUT / "secret"
    if not args.keep:
        secret.write_text(env["DJANGO_SECRET_KEY"] + "\n")
    env["DJANGO_SECRET_KEY"] = secret.read_text().strip()
    db_number = args.redis.rsplit("/", 1)[1]
    subprocess.run(["redis-cli", "-n", db_number, "FLUSHDB"], check=True, capture_output=True)

    if not args.keep:
        prepare(env, args.db, args.shops, args.merchants, args.beat_every)
    before = count(env)
    web_env = {**env, "DJANGO_SETTINGS_MODULE": "locust_settings"}
    gunicorn, gunicorn_log = start(
        [
            str(VENV / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(args.gunicorn_workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--pythonpath",
            str(ROOT / "bench"),
        ],
        web_env,
        "gunicorn.log",
    )
    celery = str(VENV / "celery")
    worker, worker_log = start(
        # every queue (CELERY_TASK_ROUTES), as Procfile.dev's one worker
        [
            celery,
            "-A",
            "config",
            "worker",
            "-l",
            "INFO",
            "--concurrency",
            "2",
            "-Q",
            "money,notices,webhooks,celery",
        ],
        env,
        "worker.log",
    )
    beat, beat_log = start(
        [celery, "-A", "config", "beat", "-l", "INFO", "--pidfile="], env, "beat.log"
    )
    steps = [
        (int(u), float(p or 1)) for u, _, p in (s.partition("@") for s in args.users.split(","))
    ]
    seconds = parse_seconds(args.run_time)
    results = []
    try:
        wait_for(f"http://127.0.0.1:{args.port}/healthz", {"X-Forwarded-Proto": "https"}, 300)
        # A short warm-up first: each gunicorn worker imports and connects on its first requests
        # (seconds on a loaded machine). Its answers count in the match, not in the tables.
        run_locust(locust, "warmup", 4, "20s", args.port)
        warmup = read_stats("warmup")
        for users, pace in steps:
            load_before = os.getloadavg()
            print(f"locust: {users} users × {pace} tasks/s for {args.run_time} …", flush=True)
            started = time.monotonic()
            name = f"u{users}-p{pace}"
            run_locust(locust, name, users, args.run_time, args.port, pace)
            elapsed = time.monotonic() - started
            rows = read_stats(name)
            uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
            results.append(
                {
                    "users": users,
                    "pace": pace,
                    "seconds": seconds,
                    "elapsed": elapsed,
                    "rows": rows,
                    "load_before": load_before,
                    "uptime_after": uptime,
                }
            )
            agg = rows[-1]
            print(
                f"  {agg['requests'] / seconds:.1f} req/s, p50 {agg['p50']:.0f} ms, "
                f"p95 {agg['p95']:.0f} ms, p99 {agg['p99']:.0f} ms, "
                f"failures {agg['failures']}; {uptime}",
                flush=True,
            )
    finally:
        stop(beat, beat_log)
        stop(gunicorn, gunicorn_log)
        drain(env)
        stop(worker, worker_log, wait=120)

    checked = subprocess.run(
        [str(VENV / "python"), "manage.py", "ledger_check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    output = (checked.stdout + checked.stderr).strip()
    ledger = output.splitlines() or [f"exit {checked.returncode}"]
    counts = count(env)
    successes: dict[str, int] = {}
    for rows in [warmup, *(result["rows"] for result in results)]:
        for row in rows:
            ok = row["requests"] - row["failures"]
            successes[row["name"]] = successes.get(row["name"], 0) + ok
    successes["API claim decision + ops claim decision (admin service)"] = successes.get(
        "API claim decision", 0
    ) + successes.get("ops claim decision (admin service)", 0)

    print()
    for result in results:
        print(
            f"### {result['users']} users × {result['pace']} tasks/s, {result['seconds']} s "
            f"(load before {result['load_before'][0]:.1f}; after: {result['uptime_after']})"
        )
        print()
        print("\n".join(table(result["rows"], result["seconds"])))
        print()
    print("| 2xx answers (locust) | | added to the database | |")
    print("| --- | ---: | --- | ---: |")
    mismatch = False
    for name, what in MATCHES:
        answered, found = successes.get(name, 0), counts[what] - before[what]
        mismatch |= answered != found
        print(f"| {name} | {answered} | {what} | {found} |")
    print()
    print(f"ledger_check: {ledger[-1]}")
    print(f"ledger transactions by kind: {counts['ledger transactions by kind']}")
    for what in ("beat sends", "task results"):
        added = {k: n - before[what].get(k, 0) for k, n in counts[what].items()}
        print(f"{what} during the run: {added}")
    (OUT / "load_day.json").write_text(
        json.dumps(
            {"args": vars(args), "steps": results, "counts": counts, "ledger_check": ledger},
            indent=2,
        )
    )
    if checked.returncode:
        sys.exit("ledger_check FAILED")
    if mismatch:
        sys.exit("MISMATCH between 2xx answers and the database")


if __name__ == "__main__":
    main()
