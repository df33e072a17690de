"""How far a deduction through the API *can* go on this machine: the API beside two reference
endpoints served by the same gunicorn, and pgbench `tpcb-like` at the same concurrency.

    .venv/bin/python bench/api_floor.py --seconds 8 --rounds 3

Each round runs pgbench (half the time), then wrk on each endpoint in turn, then pgbench again;
every figure is compared with the mean of the two pgbench runs around it:

  framework  a DRF POST that validates the deduction body and sends `SELECT 1` (bench/floor_urls.py)
  posting    the same, plus the shop's account lookup and the ledger posting as the API makes them
  api        the real endpoint, POST /api/v1/shops/{id}/deductions/ with key, throttle,
             idempotency record and response

All three run under the project's own settings and middleware (bench/floor_settings.py only adds
the two reference URLs). It recreates the same databases as bench/api_bench.py and prints a
Markdown table of medians with the CPU each endpoint costs per request, per process kind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import (  # noqa: E402
    OUT,
    ROOT,
    bench_env,
    cpu_per_request,
    cpu_readings,
    parse_wrk,
    pgbench_round,
    prepare,
    run,
    start_gunicorn,
    stop_gunicorn,
    wait_for,
)

ENDPOINTS = {
    "framework": "/floor/framework/%s/",
    "posting": "/floor/posting/%s/",
    "api": "/api/v1/shops/%s/deductions/",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8152)
    parser.add_argument("--db", default="dd_bench_api")
    parser.add_argument("--pgbench-db", default="dd_bench_api_pgbench")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = bench_env(args.db, args.port)
    key, _ = prepare(env, args.db, args.pgbench_db, args.shops)
    env["DJANGO_SETTINGS_MODULE"] = "floor_settings"

    log = open(OUT / "api_floor_gunicorn.log", "w")  # noqa: SIM115
    gunicorn = start_gunicorn(env, args.port, log, "--pythonpath", str(ROOT / "bench"))
    base = f"http://127.0.0.1:{args.port}"
    rounds: list[dict[str, float]] = []
    try:
        wait_for(f"{base}/healthz", {"X-Forwarded-Proto": "https"})
        half = max(2, args.seconds // 2)
        for n in range(1, args.rounds + 1):
            before = pgbench_round(args.pgbench_db, half)
            result: dict[str, float] = {}
            for name, path in ENDPOINTS.items():
                lua_env = {
                    **os.environ,
                    "BENCH_KEY": key,
                    "BENCH_SHOPS": str(OUT / "shops.txt"),
                    "BENCH_PATH": path,
                }
                cpu_before = cpu_readings(gunicorn)
                wrk = parse_wrk(
                    run(
                        ["wrk", "-t2", "-c4", f"-d{args.seconds}s", "--latency", "-s"]
                        + ["bench/api_deduct.lua", base],
                        lua_env,
                    )
                )
                cpu = cpu_per_request(cpu_before, cpu_readings(gunicorn), wrk["requests"])
                if wrk["non_2xx"]:
                    raise SystemExit(f"{name}: {wrk['non_2xx']} responses were not 2xx")
                result[f"{name}_rps"] = wrk["rps"]
                result[f"{name}_gunicorn_ms"] = cpu["cpu_ms_per_request_gunicorn"]
                result[f"{name}_postgres_ms"] = cpu["cpu_ms_per_request_postgres"]
            result["pgbench_tps"] = (before + pgbench_round(args.pgbench_db, half)) / 2
            for name in ENDPOINTS:
                result[f"{name}_ratio"] = result[f"{name}_rps"] / result["pgbench_tps"]
            rounds.append(result)
            print(f"round {n}: {json.dumps(result)}", flush=True)
    finally:
        stop_gunicorn(gunicorn, log)

    med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    (OUT / "api_floor.json").write_text(json.dumps({"rounds": rounds, "median": med}, indent=2))
    print(f"\npgbench tpcb-like -c 4 -j 2: {med['pgbench_tps']:.0f} tps (median of round means)\n")
    print("| endpoint | req/s | / pgbench | CPU per request: gunicorn / PostgreSQL |")
    print("| --- | --- | --- | --- |")
    for name in ENDPOINTS:
        print(
            f"| {name} | {med[f'{name}_rps']:.0f} | {med[f'{name}_ratio']:.2f}× | "
            f"{med[f'{name}_gunicorn_ms']:.2f} ms / {med[f'{name}_postgres_ms']:.2f} ms |"
        )


if __name__ == "__main__":
    main()
