"""How far a deduction through the API *can* go on this machine: the API beside three reference
endpoints served by the same gunicorn, at 4 and 16 connections, with the database CPU each costs
beside pgbench `tpcb-like`'s, and the API's throughput with 1, 2 and 4 web processes.

    .venv/bin/python bench/api_floor.py --seconds 8 --rounds 3

Each round runs pgbench (half the time, -c 4), then wrk on each endpoint in turn at 4 and at 16
connections, then pgbench again; every rate is compared with the framework floor of the same
round and with the mean of the two pgbench runs around it:

  framework  a DRF POST that validates the deduction body and sends `SELECT 1`: authenticates
             nothing (bench/floor_urls.py). The floor of issue 16, 1.
  writes     the same, but the rows a deduction must write in one statement instead of `SELECT 1`
             (no checks, no plan, no key): the cheapest deduction the schema allows
  posting    the same, plus the shop's account lookup and the ledger posting as the API makes them
  api        the real endpoint, POST /api/v1/shops/{id}/deductions/ with key, throttle,
             idempotency record and response

CPU per request is read from /proc: gunicorn's processes, and the PostgreSQL backends connected
to the benchmark's own database (other sessions on a shared server are not counted; the WAL
writer and the checkpointer are left out on both sides). pgbench's transactions are priced the
same way, its backends sampled every 0.1 s while they run (they exit with pgbench: the last
0.1 s of each is missed, ~2% of a 4 s run). After the rounds, gunicorn is restarted with 1, 2 and
4 workers and the API measured at 16 connections, `--scale-rounds` times each.

It recreates the same databases as bench/api_bench.py (names from --db / --pgbench-db) and prints
Markdown tables of medians; raw figures go to var/bench/api_floor.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import (  # noqa: E402
    OUT,
    PG,
    ROOT,
    _cpu_by_pid,
    bench_env,
    cpu_per_request,
    cpu_readings,
    parse_wrk,
    prepare,
    run,
    start_gunicorn,
    stop_gunicorn,
    wait_for,
)

ENDPOINTS = {
    "framework": "/floor/framework/%s/",
    "writes": "/floor/writes/%s/",
    "posting": "/floor/posting/%s/",
    "api": "/api/v1/shops/%s/deductions/",
}
CONNECTIONS = (4, 16)


def _backend_pids(db: str) -> list[str]:
    """PostgreSQL backends connected to `db` (their process title names the database)."""
    out = subprocess.run(["pgrep", "-u", "postgres", "-a"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if f" {db} " in f"{line} "]


class BackendCpu:
    """CPU seconds used by `db`'s backends between start() and stop(), sampled every 0.1 s so
    that backends exiting before stop() (pgbench's) are counted up to their last sample."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _sample(self) -> None:
        for pid, cpu in _cpu_by_pid(_backend_pids(self.db)).items():
            self.first.setdefault(pid, cpu if not self._started else 0.0)
            self.last[pid] = cpu

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    def start(self) -> BackendCpu:
        self._started = False
        self._sample()
        self._started = True
        self._thread.start()
        return self

    def stop(self) -> float:
        self._sample()
        self._stop.set()
        self._thread.join()
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


def pgbench_priced(db: str, seconds: int) -> tuple[float, float]:
    """pgbench tpcb-like -c 4 -j 2: (tps, backend CPU ms per transaction)."""
    cpu = BackendCpu(db).start()
    out = run(["pgbench", *PG, "-b", "tpcb-like", "-c", "4", "-j", "2", "-T", str(seconds), db])
    used = cpu.stop()
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"actually processed: (\d+)", out).group(1))  # type: ignore[union-attr]
    return tps, 1000 * used / max(1, done)


def wrk_priced(
    gunicorn: subprocess.Popen, base: str, path: str, key: str, conns: int, seconds: int, db: str
) -> dict[str, float]:  # type: ignore[type-arg]
    lua_env = {
        **os.environ,
        "BENCH_KEY": key,
        "BENCH_SHOPS": str(OUT / "shops.txt"),
        "BENCH_PATH": path,
    }
    before = cpu_readings(gunicorn)
    backends = BackendCpu(db).start()
    wrk = parse_wrk(
        run(
            ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "-s"]
            + ["bench/api_deduct.lua", base],
            lua_env,
        )
    )
    pg_seconds = backends.stop()
    cpu = cpu_per_request(before, cpu_readings(gunicorn), wrk["requests"])
    if wrk["non_2xx"]:
        raise SystemExit(f"{path}: {wrk['non_2xx']} responses were not 2xx")
    if wrk["socket_errors"]:
        # wrk gives up on a request after 2 s; on a loaded host a few do: said, not fatal.
        print(f"{path} at {conns} connections: socket errors {wrk['socket_errors']}", flush=True)
    return {
        "rps": wrk["rps"],
        "p50_ms": wrk["p50_ms"],
        "p99_ms": wrk["p99_ms"],
        "gunicorn_ms": cpu["cpu_ms_per_request_gunicorn"],
        "pg_ms": 1000 * pg_seconds / max(1.0, wrk["requests"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale-rounds", type=int, default=2)
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8152)
    parser.add_argument("--db", default="dd_bench_api")
    parser.add_argument("--pgbench-db", default="dd_bench_api_pgbench")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the databases and key of the last run"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = bench_env(args.db, args.port)
    if args.keep:
        key = (OUT / "key").read_text().strip()
    else:
        key, _ = prepare(env, args.db, args.pgbench_db, args.shops)
    env["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    base = f"http://127.0.0.1:{args.port}"
    half = max(2, args.seconds // 2)

    def serve(workers: int) -> tuple[subprocess.Popen, object]:  # type: ignore[type-arg]
        log = open(OUT / f"api_floor_gunicorn_{workers}.log", "a")  # noqa: SIM115
        proc = start_gunicorn(
            env, args.port, log, "--pythonpath", str(ROOT / "bench"), workers=workers
        )
        wait_for(f"{base}/healthz", {"X-Forwarded-Proto": "https"}, timeout=300)
        return proc, log

    rounds: list[dict[str, float]] = []
    gunicorn, log = serve(4)
    try:
        for n in range(1, args.rounds + 1):
            tps_before, pgb_ms_before = pgbench_priced(args.pgbench_db, half)
            result: dict[str, float] = {"load_1min": os.getloadavg()[0]}
            for conns in CONNECTIONS:
                for name, path in ENDPOINTS.items():
                    measured = wrk_priced(gunicorn, base, path, key, conns, args.seconds, args.db)
                    for k, v in measured.items():
                        result[f"{name}_c{conns}_{k}"] = v
                for name in ENDPOINTS:
                    result[f"{name}_c{conns}_to_framework"] = (
                        result[f"{name}_c{conns}_rps"] / result[f"framework_c{conns}_rps"]
                    )
            tps_after, pgb_ms_after = pgbench_priced(args.pgbench_db, half)
            result["pgbench_tps"] = (tps_before + tps_after) / 2
            result["pgbench_pg_ms"] = (pgb_ms_before + pgb_ms_after) / 2
            for conns in CONNECTIONS:
                for name in ENDPOINTS:
                    result[f"{name}_c{conns}_to_pgbench"] = (
                        result[f"{name}_c{conns}_rps"] / result["pgbench_tps"]
                    )
                    result[f"{name}_c{conns}_pg_to_pgbench"] = (
                        result[f"{name}_c{conns}_pg_ms"] / result["pgbench_pg_ms"]
                    )
            rounds.append(result)
            print(f"round {n}: {json.dumps(result)}", flush=True)
    finally:
        stop_gunicorn(gunicorn, log)  # type: ignore[arg-type]

    scale: dict[int, list[dict[str, float]]] = {1: [], 2: [], 4: []}
    for _ in range(args.scale_rounds):
        for workers in scale:
            gunicorn, log = serve(workers)
            try:
                time.sleep(1)
                measured = wrk_priced(
                    gunicorn, base, ENDPOINTS["api"], key, 16, args.seconds, args.db
                )
                measured["load_1min"] = os.getloadavg()[0]
                scale[workers].append(measured)
                print(f"workers {workers}: {json.dumps(measured)}", flush=True)
            finally:
                stop_gunicorn(gunicorn, log)  # type: ignore[arg-type]

    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    scale_med = {
        w: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for w, rs in scale.items()
        if rs  # --scale-rounds 0 measures no scale-out
    }
    (OUT / "api_floor.json").write_text(
        json.dumps(
            {"rounds": rounds, "median": med, "scale": scale, "scale_median": scale_med}, indent=2
        )
    )
    print(
        f"\npgbench tpcb-like -c 4 -j 2: {med['pgbench_tps']:.0f} tps, "
        f"{med['pgbench_pg_ms']:.3f} ms backend CPU per transaction (medians of round means); "
        f"load {min(r['load_1min'] for r in rounds):.1f}–"
        f"{max(r['load_1min'] for r in rounds):.1f}\n"
    )
    print(
        "| endpoint, connections | req/s | / framework | / pgbench | p50 / p99 ms "
        "| CPU per request: gunicorn / PostgreSQL ms | PostgreSQL / pgbench transaction |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for conns in CONNECTIONS:
        for name in ENDPOINTS:
            k = f"{name}_c{conns}"
            print(
                f"| {name}, {conns} | {med[f'{k}_rps']:.0f} | {med[f'{k}_to_framework']:.2f}× | "
                f"{med[f'{k}_to_pgbench']:.2f}× | {med[f'{k}_p50_ms']:.1f} / "
                f"{med[f'{k}_p99_ms']:.1f} | {med[f'{k}_gunicorn_ms']:.2f} / "
                f"{med[f'{k}_pg_ms']:.2f} | {med[f'{k}_pg_to_pgbench']:.2f}× |"
            )
    print(
        "\n| gunicorn workers | API req/s (16 connections) | p50 / p99 ms "
        "| gunicorn / PostgreSQL CPU ms per request |"
    )
    print("| --- | --- | --- | --- |")
    for w, m in scale_med.items():
        print(
            f"| {w} | {m['rps']:.0f} | {m['p50_ms']:.1f} / {m['p99_ms']:.1f} | "
            f"{m['gunicorn_ms']:.2f} / {m['pg_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
