"""PostgreSQL restarted while the partner API is under load: nothing lost, nothing twice.

    .venv/bin/python bench/pg_restart_drill.py                       # defaults below
    .venv/bin/python bench/pg_restart_drill.py --down-seconds 10 --mode immediate

Safe to run anywhere: it never touches the shared PostgreSQL. It starts its own PostgreSQL 15
cluster (bench/fault_env.py: initdb in a temporary directory, a free port from 5441, removed at
the end), migrates it, funds `--shops` shops with bench/api_bench_setup.py, and serves the API
with gunicorn as bench/api_bench.py does (4 sync workers, DEBUG off, persistent connections with
health checks as in production).

Then `--clients` threads POST 1-fen deductions without pause, each with its own Idempotency-Key.
A client that gets 503 (or loses the connection) sends the same request with the same key again
after `--retry-pause` seconds (shorter than the Retry-After it is given, to press harder), until
it gets a 2xx. After `--before` seconds the cluster is stopped (`pg_ctl stop -m fast`; `--mode
immediate` is a crash), stays down `--down-seconds`, is started again; the load goes on for
`--after` seconds and every client finishes the request it holds.

Asserted (exit status 1 if any fails):
- no 500 and no other status than 201 and 503; every 503 has Retry-After and the API's error
  body (`service_unavailable`); at least one 503 was seen (the outage was really hit);
- every key answered 201 is one DEDUCTION in the ledger, and the ledger holds no other of the
  drill's: `postings == keys answered 201`, balances down by exactly that many fen;
- `manage.py ledger_check` exits 0;
- the service recovered by itself: a 201 within `--recovery-limit` seconds after PostgreSQL
  accepted connections again, with the same gunicorn master and no worker restarted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_env import ThrowawayPostgres, free_port, wait_port  # noqa: E402

VENV = ROOT / ".venv" / "bin"


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    connection_errors: int = 0
    bad_503: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # keys answered 201
    first_201_after: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(n: int, port: int, auth: str, shops: list[str], args, stop, tally, clock) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(
        {"amount_minor": 1, "currency": "CNY", "reason": "drill", "reference": "drill"}
    )
    prefix = f"pgdrill-{n}-{secrets.token_hex(4)}"
    count = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while not stop.is_set():
        count += 1
        key = f"{prefix}-{count}"
        shop = shops[(n * 7919 + count) % len(shops)]
        while True:  # the same request, the same key, until it is answered 201
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {auth}",
                "Idempotency-Key": key,
                "X-Forwarded-Proto": "https",
            }
            try:
                conn.request("POST", f"/api/v1/shops/{shop}/deductions/", body, headers)
                response = conn.getresponse()
                status, text = response.status, response.read().decode("utf-8", "replace")
                retry_after = response.getheader("Retry-After")
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.connection_errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                time.sleep(args.retry_pause)
                continue
            with tally.lock:
                tally.statuses[status] += 1
                if status == 201:
                    tally.created.add(key)
                    if clock.get("up") and "first" not in tally.first_201_after:
                        tally.first_201_after["first"] = time.monotonic() - clock["up"]
                elif status == 503:
                    if not retry_after or '"service_unavailable"' not in text:
                        tally.bad_503.append(f"Retry-After={retry_after!r} body={text[:200]}")
                else:
                    tally.unexpected.append(f"{status}: {text[:300]}")
            if status == 201:
                break
            if status != 503:
                break  # counted as unexpected; the key is not retried (the drill fails anyway)
            time.sleep(args.retry_pause)
    conn.close()


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [str(VENV / "python"), "manage.py", *args], env=env, cwd=ROOT, capture_output=True,
        text=True,
    )  # fmt: skip


def ledger_figures(env: dict[str, str]) -> dict[str, int]:
    code = (
        "import django, json; django.setup();"
        "from django.db.models import Sum;"
        "from deposits.models import LedgerTransaction as T, Account;"
        "drill = T.objects.filter(kind='DEDUCTION', idempotency_key__contains=':pgdrill-');"
        "print(json.dumps({'postings': drill.count(),"
        " 'distinct_keys': drill.values('idempotency_key').distinct().count(),"
        " 'posted_minor': Account.objects.aggregate(s=Sum('posted_minor'))['s']}))"
    )
    out = subprocess.run(
        [str(VENV / "python"), "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def booted_workers(log_path: Path) -> int:
    return log_path.read_text().count("Booting worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--down-seconds", type=float, default=5)
    parser.add_argument("--after", type=float, default=10)
    parser.add_argument("--mode", choices=["fast", "immediate"], default="fast")
    parser.add_argument("--retry-pause", type=float, default=0.2)
    parser.add_argument("--recovery-limit", type=float, default=10)
    parser.add_argument("--pg-port", type=int, default=0, help="default: the first free from 5441")
    parser.add_argument("--port", type=int, default=0, help="default: the first free from 8160")
    args = parser.parse_args()

    pg = ThrowawayPostgres(args.pg_port or free_port(5441))
    work = pg.root / "app"
    work.mkdir()
    gunicorn = None
    try:
        print(f"own PostgreSQL cluster on port {pg.port} in {pg.root}", flush=True)
        pg.init()
        port = args.port or free_port(8160)
        env = {
            **os.environ,
            "DATABASE_URL": pg.createdb("dd_pg_drill"),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEPOSIT_DESK_VAR_DIR": str(work / "var"),
            "OUT_DIR": str(work),
            "SHOPS": str(args.shops),
        }
        for name in ("REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)  # local-memory cache; no webhooks are registered, nothing sent
        subprocess.run(
            [str(VENV / "python"), "manage.py", "migrate", "--noinput"], env=env, cwd=ROOT,
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(VENV / "python"), "bench/api_bench_setup.py"], env=env, cwd=ROOT, check=True,
            capture_output=True,
        )  # fmt: skip
        key = (work / "key").read_text().strip()
        shops = (work / "shops.txt").read_text().split()
        before_figures = ledger_figures(env)

        log_path = work / "gunicorn.log"
        log = log_path.open("w")
        gunicorn = subprocess.Popen(
            [str(VENV / "gunicorn"), "config.wsgi:application", "--workers", "4", "--bind",
             f"127.0.0.1:{port}", "--timeout", "60"],
            env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        wait_port(port, up=True, timeout=60)
        time.sleep(2)  # every worker booted
        workers_at_start = booted_workers(log_path)

        tally, stop, clock = Tally(), threading.Event(), {}
        threads = [
            threading.Thread(target=client, args=(n, port, key, shops, args, stop, tally, clock))
            for n in range(args.clients)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        # Workers import Django on their first request (no --preload, as in Procfile.dev): the
        # clock starts once every client has had answers, so the outage meets a warm service.
        while True:
            with tally.lock:
                if tally.statuses[201] >= 2 * args.clients:
                    break
            if time.monotonic() - started > 300:
                raise RuntimeError("the API did not answer within 300 s")
            time.sleep(0.1)
        warm = time.monotonic() - started
        time.sleep(args.before)
        with tally.lock:
            before_outage = tally.statuses[201]
        down_at = time.monotonic()
        pg.stop(args.mode)
        stopped_in = time.monotonic() - down_at
        time.sleep(args.down_seconds)
        pg.start()  # -w: returns once it accepts connections
        clock["up"] = time.monotonic()
        outage = clock["up"] - down_at
        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - started
        same_master = gunicorn.poll() is None
        workers_restarted = booted_workers(log_path) - workers_at_start
        os.killpg(gunicorn.pid, 15)
        gunicorn.wait(30)
        gunicorn = None
        log.close()
        tracebacks = log_path.read_text().count("Traceback")

        after_figures = ledger_figures(env)
        check = manage(env, "ledger_check")
        recovery = tally.first_201_after.get("first")

        ok_201 = len(tally.created)
        results = {
            "outage_seconds": round(outage, 2),
            "stop_took_seconds": round(stopped_in, 2),
            "mode": args.mode,
            "run_seconds": round(elapsed, 1),
            "warm_up_seconds": round(warm, 1),
            "responses": dict(sorted(tally.statuses.items())),
            "connection_errors": tally.connection_errors,
            "keys_answered_201": ok_201,
            "201_before_outage": before_outage,
            "drill_postings_in_ledger": after_figures["postings"],
            "distinct_keys_in_ledger": after_figures["distinct_keys"],
            "balance_drop_minor": before_figures["posted_minor"] - after_figures["posted_minor"],
            "ledger_check_exit": check.returncode,
            "ledger_check": (check.stdout.strip().splitlines() or [""])[-1],
            "first_201_after_restart_s": None if recovery is None else round(recovery, 2),
            "gunicorn_master_survived": same_master,
            "workers_restarted": workers_restarted,
            "tracebacks_in_server_log": tracebacks,
        }
        print(json.dumps(results, indent=2))

        failures = []
        if tally.unexpected:
            failures.append(f"unexpected answers: {tally.unexpected[:5]}")
        if tally.bad_503:
            failures.append(f"503 without Retry-After or the API's error body: {tally.bad_503[:3]}")
        if tally.statuses[503] + tally.connection_errors == 0:
            failures.append("the outage was not hit: no 503 and no connection error")
        if tally.statuses[503] == 0:
            failures.append("no 503 seen: requests during the outage did not answer 503")
        if after_figures["postings"] != ok_201:
            failures.append(f"{after_figures['postings']} postings for {ok_201} keys answered 201")
        if after_figures["distinct_keys"] != after_figures["postings"]:
            failures.append("a key was posted twice")
        if results["balance_drop_minor"] != ok_201:
            failures.append(f"balances dropped {results['balance_drop_minor']} fen, not {ok_201}")
        if check.returncode != 0:
            failures.append(f"ledger_check failed: {check.stdout[-500:]} {check.stderr[-500:]}")
        if recovery is None or recovery > args.recovery_limit:
            failures.append(f"no 201 within {args.recovery_limit}s of the restart ({recovery})")
        if not same_master or workers_restarted:
            failures.append("gunicorn had to restart (master gone or workers rebooted)")
        if failures:
            print("DRILL FAILED:\n- " + "\n- ".join(failures))
            kept = ROOT / "var" / "bench" / "pg_restart_drill_gunicorn.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(log_path, kept)
            print(f"server log kept in {kept}")
            return 1
        print(
            f"PASS: {ok_201} deductions answered 201 = {after_figures['postings']} in the ledger; "
            f"{tally.statuses[503]} answers 503 with Retry-After, 0 answers 500; outage "
            f"{outage:.1f}s; first 201 {recovery:.2f}s after PostgreSQL was back; ledger_check "
            "clean; the same gunicorn throughout."
        )
        return 0
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, 9)
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
