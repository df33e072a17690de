"""Deductions per second through the partner API, side by side with the service layer and
pgbench `tpcb-like` at the same concurrency, in the same run.

    .venv/bin/python bench/api_bench.py --seconds 20 --rounds 3

Each round runs, one after the other:
  pgbench   pgbench -b tpcb-like -c 4 -j 2 for half the time, on its own scratch database
  api       wrk (2 threads, 4 connections) POSTing 1-fen deductions with a unique Idempotency-Key
            to gunicorn (4 sync workers, DJANGO_DEBUG off, a real secret, Redis cache for the
            throttle counters), over SHOPS shops; p50/p99 from wrk --latency
  pgbench   again for half the time; the API is compared with the mean of both (the machine's
            speed drifts within minutes)
  service   4 processes calling deposits.services.deposit_deduct directly (same shops)
The script DROPS and recreates its two databases (dd_bench_api, dd_bench_api_pgbench), checks
afterwards that every 201 made exactly one posting and that ledger_check passes, and prints a
Markdown table of medians (for docs/benchmarks.md); raw figures go to var/bench/api_bench.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
OUT = ROOT / "var" / "bench"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


def bench_env(db: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="config.settings",
        PORT=str(port),
    )
    return env


def run(cmd: list[str], env: dict[str, str] | None = None, **kw: object) -> str:
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT, **kw)
    return done.stdout


def recreate(db: str) -> None:
    run(["dropdb", *PG, "--if-exists", "--force", db])
    run(["createdb", *PG, db])


def wait_for(url: str, headers: dict[str, str], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except Exception:
            if time.time() > deadline:
                raise
        time.sleep(0.5)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text: str) -> dict[str, float]:
    def latency(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        assert m, text
        return float(m.group(1)) * _UNITS[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _service_worker(env: dict[str, str], seconds: float, accounts: list[int], n: int, q) -> None:  # type: ignore[no-untyped-def]
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import random

    import django

    django.setup()
    from django.utils import timezone

    from deposits import services

    rng = random.Random(n)
    done, prefix = 0, f"svc-{os.getpid()}-{secrets.token_hex(4)}"
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        services.deposit_deduct(
            account_id=rng.choice(accounts),
            amount_minor=1,
            currency="CNY",
            reason="bench",
            reference="bench",
            idempotency_key=f"{prefix}-{done}",
            now=timezone.now(),
        )
        done += 1
    q.put(done)


def service_round(env: dict[str, str], seconds: float, accounts: list[int]) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=_service_worker, args=(env, seconds, accounts, n, q)) for n in range(4)
    ]
    for p in procs:
        p.start()
    counts = [q.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    return sum(counts) / seconds


def _cpu_by_pid(pids: list[str]) -> dict[str, float]:
    """User + system CPU seconds of each live process."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _cpu_used(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU used between two readings by the processes alive at the second (one that started in
    between counts from zero). Processes that exited are left out: pgbench's backends end just
    before the API run starts and must not be counted in it."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _pids(*pgrep_args: str) -> list[str]:
    return subprocess.run(["pgrep", *pgrep_args], capture_output=True, text=True).stdout.split()


def pgbench_round(db: str, seconds: int) -> float:
    out = run(["pgbench", *PG, "-b", "tpcb-like", "-c", "4", "-j", "2", "-T", str(seconds), db])
    m = re.search(r"tps = ([\d.]+)", out)
    assert m, out
    return float(m.group(1))


def prepare(env: dict[str, str], db: str, pgbench_db: str, shops: int) -> tuple[str, list[int]]:
    """Recreate both databases: the project's with SHOPS funded shops and a key, pgbench's at
    scale 10. Returns the key and the deposit account ids."""
    print(f"preparing {db} ({shops} shops) and {pgbench_db} …", flush=True)
    recreate(db)
    recreate(pgbench_db)
    run([str(VENV / "python"), "manage.py", "migrate", "--noinput"], env)
    run([str(VENV / "python"), "bench/api_bench_setup.py"], {**env, "SHOPS": str(shops)})
    run(["pgbench", *PG, "-i", "-q", "-s", "10", pgbench_db])
    # Fresh tables have no statistics: without them the planner looked shops up through the
    # partner_id index (1,000 rows) instead of public_id. Production tables are analysed.
    run(["psql", *PG, "-q", "-c", "VACUUM ANALYZE", db])
    run([str(VENV / "python"), "manage.py", "collectstatic", "--noinput"], env)
    key = (OUT / "key").read_text().strip()
    accounts = [int(x) for x in (OUT / "accounts.txt").read_text().split()]
    return key, accounts


def start_gunicorn(
    env: dict[str, str], port: int, log: Any, *extra: str, workers: int = 4
) -> subprocess.Popen:  # type: ignore[type-arg]
    """gunicorn as documented for 2 cores (4 sync workers), in its own process group."""
    return subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            *extra,
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


def stop_gunicorn(gunicorn: subprocess.Popen, log: Any) -> None:  # type: ignore[type-arg]
    os.killpg(gunicorn.pid, signal.SIGTERM)
    gunicorn.wait(30)
    log.close()


def cpu_readings(gunicorn: subprocess.Popen) -> tuple[dict[str, float], dict[str, float], Any]:  # type: ignore[type-arg]
    """CPU seconds so far of gunicorn's processes, PostgreSQL's, and this script's children."""
    return (
        _cpu_by_pid(_pids("-g", str(gunicorn.pid))),
        _cpu_by_pid(_pids("-u", "postgres")),
        os.times(),
    )


def cpu_per_request(before: Any, after: Any, requests: float) -> dict[str, float]:
    """CPU ms per request between two cpu_readings: gunicorn, PostgreSQL, wrk."""
    requests = max(1.0, requests)
    wrk_cpu = (after[2].children_user + after[2].children_system) - (
        before[2].children_user + before[2].children_system
    )
    return {
        "cpu_ms_per_request_gunicorn": 1000 * _cpu_used(before[0], after[0]) / requests,
        "cpu_ms_per_request_postgres": 1000 * _cpu_used(before[1], after[1]) / requests,
        "cpu_ms_per_request_wrk": 1000 * wrk_cpu / requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--db", default="dd_bench_api")
    parser.add_argument("--pgbench-db", default="dd_bench_api_pgbench")
    parser.add_argument("--skip-service", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = bench_env(args.db, args.port)

    key, accounts = prepare(env, args.db, args.pgbench_db, args.shops)
    log = open(OUT / "api_bench_gunicorn.log", "w")  # noqa: SIM115
    gunicorn = start_gunicorn(env, args.port, log)
    base = f"http://127.0.0.1:{args.port}"
    auth = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
    rounds: list[dict[str, float]] = []
    try:
        wait_for(f"{base}/api/v1/shops/?page_size=1", auth)
        lua_env = {
            **os.environ,
            "BENCH_KEY": key,
            "BENCH_SHOPS": str(OUT / "shops.txt"),
        }
        half = max(2, args.seconds // 2)
        for n in range(1, args.rounds + 1):
            # pgbench just before and just after the API, half as long each: the machine's
            # speed drifts within minutes, and the mean of both sides cancels most of it.
            pgbench_before = pgbench_round(args.pgbench_db, half)
            # Where the CPU goes during the API run, per request: gunicorn's processes,
            # PostgreSQL's (all of them) and wrk's.
            cpu_before = cpu_readings(gunicorn)
            wrk_out = run(
                [
                    "wrk",
                    "-t2",
                    "-c4",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-s",
                    "bench/api_deduct.lua",
                    base,
                ],
                lua_env,
            )
            cpu_after = cpu_readings(gunicorn)
            pgbench_after = pgbench_round(args.pgbench_db, half)
            result = {f"api_{k}": v for k, v in parse_wrk(wrk_out).items()}
            result.update(cpu_per_request(cpu_before, cpu_after, result["api_requests"]))
            result["pgbench_tps"] = (pgbench_before + pgbench_after) / 2
            if not args.skip_service:
                result["service_tps"] = service_round(env, args.seconds, accounts)
            result["api_to_pgbench"] = result["api_rps"] / result["pgbench_tps"]
            result["load_1min"] = os.getloadavg()[0]
            rounds.append(result)
            print(f"round {n}: {json.dumps(result)}", flush=True)
    finally:
        stop_gunicorn(gunicorn, log)

    check = run(
        [
            str(VENV / "python"),
            "-c",
            "import django; django.setup();"
            "from deposits.models import LedgerTransaction as T;"
            "print(T.objects.filter(kind='DEDUCTION', idempotency_key__startswith='api:').count())",
        ],
        env,
    )
    api_postings = int(check.strip().splitlines()[-1])
    api_201 = int(sum(r["api_requests"] - r["api_non_2xx"] for r in rounds))
    ledger = run([str(VENV / "python"), "manage.py", "ledger_check"], env).strip().splitlines()[-1]

    med = {
        k: statistics.median(r[k] for r in rounds) for k in rounds[0] if k != "api_socket_errors"
    }
    ratio = med["api_to_pgbench"]  # the median of the per-round ratios
    cpu = platform.processor() or platform.machine()
    summary = {
        "rounds": rounds,
        "median": med,
        "api_to_pgbench": ratio,
        "api_postings": api_postings,
        "api_201": api_201,
        "ledger_check": ledger,
        "cores": os.cpu_count(),
        "cpu": cpu,
        "seconds": args.seconds,
        "shops": args.shops,
    }
    (OUT / "api_bench.json").write_text(json.dumps(summary, indent=2))
    print()
    print(f"| figure (median of {args.rounds} rounds) | value |")
    print("| --- | --- |")
    print(f"| API deductions/s (wrk -t2 -c4, gunicorn 4 sync workers) | {med['api_rps']:.0f} |")
    print(f"| API latency p50 / p99 | {med['api_p50_ms']:.2f} ms / {med['api_p99_ms']:.2f} ms |")
    if "service_tps" in med:
        print(f"| service layer deductions/s (4 processes) | {med['service_tps']:.0f} |")
    print(f"| pgbench tpcb-like tps (-c 4 -j 2) | {med['pgbench_tps']:.0f} |")
    print(f"| API / pgbench (median of per-round ratios) | {ratio:.2f} |")
    if "service_tps" in med:
        print(f"| service / pgbench | {med['service_tps'] / med['pgbench_tps']:.2f} |")
    print(
        "| CPU per API request: gunicorn / PostgreSQL / wrk | "
        f"{med['cpu_ms_per_request_gunicorn']:.2f} ms / "
        f"{med['cpu_ms_per_request_postgres']:.2f} ms / {med['cpu_ms_per_request_wrk']:.2f} ms |"
    )
    print()
    print(
        "per round: "
        + "; ".join(
            f"api {r['api_rps']:.0f}/s, pgbench {r['pgbench_tps']:.0f} tps, ratio "
            f"{r['api_to_pgbench']:.2f}, load {r['load_1min']:.1f}"
            for r in rounds
        )
    )
    print(f"201 responses: {api_201}; API deductions in the ledger: {api_postings}; {ledger}")
    # wrk stops with up to 4 requests in flight per round: they post but are not counted.
    if not 0 <= api_postings - api_201 <= 4 * args.rounds:
        sys.exit("MISMATCH between 201 responses and postings")


if __name__ == "__main__":
    main()
