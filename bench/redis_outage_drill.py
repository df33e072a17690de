"""Redis down for a minute: postings go on, the outbox keeps the events, and once Redis is back
each event reaches the partner's receiver exactly once, in order per shop.

    .venv/bin/python bench/redis_outage_drill.py                      # Redis down 60 s
    .venv/bin/python bench/redis_outage_drill.py --down-seconds 15    # a shorter "minute"

Safe to run anywhere: it never touches the shared PostgreSQL or Redis. It starts its own
PostgreSQL 15 cluster and its own redis-server (bench/fault_env.py, free ports from 5451 and
6391, temporary directories removed at the end), and on them: gunicorn (4 sync workers, DEBUG
off, REDIS_URL for the cache and throttle, CELERY_BROKER_URL for the broker), a real Celery
worker (concurrency 2) and beat (django-celery-beat with the migrated schedule; only the
delivery sweep `deliver_due_webhooks` is left enabled, every `--sweep-seconds`, 15 as in
production). The partner has one webhook endpoint: a local HTTP receiver in this process that
answers 200 and records every body in the order received.

`--clients` threads POST 1-fen deductions over `--shops` shops (each posting writes a
`deposit.entry_posted` event with the shop as its ordering key) for `--before` seconds; then
redis-server is killed (SIGKILL, no persistence: messages queued in it are lost, as in a crash),
stays down `--down-seconds` while the postings go on, and is started again empty; the postings
go on `--after` seconds more, then stop, and the drill waits (up to `--drain-limit`) for every
delivery to succeed.

Asserted (exit status 1 if any fails):
- every request was answered 201 (none 5xx, no connection error), also while Redis was down,
  and some were made while it was down; the throttle said it failed open (gunicorn's log);
- deliveries piled up in the outbox (PENDING in PostgreSQL) while Redis was down;
- afterwards every delivery SUCCEEDED; the receiver got every event of the partner exactly once
  (no event missing, none twice), and for each shop in the order the events were written;
- postings in the ledger == deductions answered 201; `manage.py ledger_check` exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_env import ThrowawayPostgres, ThrowawayRedis, free_port, wait_port  # noqa: E402

VENV = ROOT / ".venv" / "bin"


class Receiver:
    """The partner's webhook receiver: 200 to everything, bodies recorded in arrival order."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.lock = threading.Lock()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with state.lock:
                    state.bodies.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def python(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [str(VENV / "python"), "-c", "import django; django.setup()\n" + code],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def deliveries_not_succeeded(database_url: str) -> int:
    """Straight from PostgreSQL (no Django start-up: it took seconds on a busy machine and would
    have lengthened the outage it measures)."""
    import psycopg2

    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_delivery WHERE status <> 'SUCCEEDED'")
        count = int(cursor.fetchone()[0])
    conn.close()
    return count


def client(n: int, port: int, auth: str, shops: list[str], stop, phase, tally, lock) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"amount_minor": 1, "currency": "CNY", "reason": "drill", "reference": "r"})
    prefix = f"redisdrill-{n}-{secrets.token_hex(4)}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    count = 0
    while not stop.is_set():
        count += 1
        shop = shops[(n * 31 + count) % len(shops)]
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {auth}",
            "Idempotency-Key": f"{prefix}-{count}",
            "X-Forwarded-Proto": "https",
        }
        started = time.monotonic()
        try:
            conn.request("POST", f"/api/v1/shops/{shop}/deductions/", body, headers)
            response = conn.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            status, text = "connection error", repr(exc)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        ms = (time.monotonic() - started) * 1000
        with lock:
            tally[(phase["name"], status)] += 1
            tally[(phase["name"], "ms")] += ms
            if status != 201:
                tally.setdefault("examples", []).append(f"{status}: {text[:200]}")  # type: ignore[attr-defined]
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down-seconds", type=float, default=60)
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--after", type=float, default=5)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--sweep-seconds", type=int, default=15)
    # A safety timeout, not a target: the drill asserts that every event arrives once and in
    # order; how long the outbox takes is printed. Since requests stopped waiting on a broker
    # that is down, a 60 s outage leaves ~7,600 deliveries, which took 271-310 s to drain at
    # one delivery per shop's queue (docs/operations.md, runs 4-6): 300 s failed once on that.
    parser.add_argument("--drain-limit", type=float, default=900)
    args = parser.parse_args()

    pg = ThrowawayPostgres(free_port(5451))
    redis = ThrowawayRedis(free_port(6391))
    work = pg.root / "app"
    work.mkdir()
    receiver = Receiver()
    processes: dict[str, subprocess.Popen] = {}  # type: ignore[type-arg]
    logs: dict[str, Path] = {}
    try:
        pg.init()
        redis.start()
        print(f"own PostgreSQL on {pg.port}, own Redis on {redis.port}, receiver {receiver.url}")
        port = free_port(8170)
        db = pg.createdb("dd_redis_drill")
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "REDIS_URL": f"{redis.url}/0",
            "CELERY_BROKER_URL": f"{redis.url}/1",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEPOSIT_DESK_VAR_DIR": str(work / "var"),
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "OUT_DIR": str(work),
            "SHOPS": str(args.shops),
        }
        subprocess.run([str(VENV / "python"), "manage.py", "migrate", "--noinput"], env=env,
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        subprocess.run([str(VENV / "python"), "bench/api_bench_setup.py"], env=env, cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        key = (work / "key").read_text().strip()
        shops = (work / "shops.txt").read_text().split()
        # The endpoint is registered after the funding top-ups: only the drill's postings are
        # delivered. Only the delivery sweep is scheduled, at its production interval.
        python(
            env,
            "from django.utils import timezone\n"
            "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
            "from partners import services\n"
            "from partners.models import Partner\n"
            "p = Partner.objects.get(name='Bench marketplace')\n"
            f"services.webhook_endpoint_create(partner_id=p.pk, url={receiver.url!r},"
            " event_types=['*'], now=timezone.now())\n"
            f"every, _ = IntervalSchedule.objects.get_or_create(every={args.sweep_seconds},"
            " period='seconds')\n"
            "PeriodicTask.objects.exclude(task='partners.tasks.deliver_due_webhooks')"
            ".update(enabled=False)\n"
            "PeriodicTask.objects.filter(task='partners.tasks.deliver_due_webhooks')"
            ".update(interval=every, enabled=True, last_run_at=None)\n",
        )

        def start(name: str, *command: str) -> None:
            logs[name] = work / f"{name}.log"
            processes[name] = subprocess.Popen(
                list(command), env=env, cwd=ROOT, stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

        start("gunicorn", str(VENV / "gunicorn"), "config.wsgi:application", "--workers", "4",
              "--bind", f"127.0.0.1:{port}", "--timeout", "60")  # fmt: skip
        start("worker", str(VENV / "celery"), "-A", "config", "worker", "--loglevel=INFO",
              "--concurrency=2", "--without-gossip", "--without-mingle",
              "-Q", "money,notices,webhooks,celery")  # every queue, as Procfile.dev  # fmt: skip
        start("beat", str(VENV / "celery"), "-A", "config", "beat", "--loglevel=INFO")
        wait_port(port, up=True, timeout=60)

        tally: Counter = Counter()  # type: ignore[type-arg]
        lock, stop, phase = threading.Lock(), threading.Event(), {"name": "warm-up"}
        threads = [
            threading.Thread(target=client, args=(n, port, key, shops, stop, phase, tally, lock))
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 300
        while tally[("warm-up", 201)] < 4 * args.clients:  # every gunicorn worker loaded
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not answer within 300 s")
            time.sleep(0.1)
        phase["name"] = "before"
        time.sleep(args.before)

        phase["name"] = "redis down"
        redis.stop()
        down_at = time.monotonic()
        time.sleep(args.down_seconds)
        pending_at_restart = deliveries_not_succeeded(db)
        redis.start()
        up_at = time.monotonic()
        phase["name"] = "after"
        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(180)
        posted_until = time.monotonic()

        # Drain: every delivery of the partner's endpoint succeeded.
        drained_at = None
        while time.monotonic() - posted_until < args.drain_limit:
            if deliveries_not_succeeded(db) == 0:
                drained_at = time.monotonic()
                break
            time.sleep(2)
        time.sleep(3)  # room for a duplicate delivery to show itself

        events = json.loads(
            python(
                env,
                "import json\nfrom collections import Counter\n"
                "from partners.models import Event, Delivery\n"
                "rows = Event.objects.filter(deliveries__isnull=False).distinct().order_by('id')"
                ".values_list('public_id', 'ordering_key')\n"
                "print(json.dumps({'events': [[str(e), k] for e, k in rows],"
                " 'status': dict(Counter(Delivery.objects.values_list('status', flat=True))),"
                " 'attempts': dict(Counter(Delivery.objects.values_list('attempts', flat=True)))"
                "}))",
            )
        )
        postings = int(
            python(
                env,
                "from deposits.models import LedgerTransaction as T\n"
                "print(T.objects.filter(idempotency_key__contains=':redisdrill-').count())",
            )
        )
        check = subprocess.run([str(VENV / "python"), "manage.py", "ledger_check"], env=env,
                               cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        gunicorn_log = logs["gunicorn"].read_text()

        with receiver.lock:
            received = list(receiver.bodies)
        counts = Counter(body["id"] for body in received)
        written_by_shop: dict[str, list[str]] = defaultdict(list)
        for public_id, ordering_key in events["events"]:
            written_by_shop[ordering_key].append(public_id)
        shop_of = {public_id: key for public_id, key in events["events"]}
        received_by_shop: dict[str, list[str]] = defaultdict(list)
        for body in received:  # first arrival of each event, in arrival order
            if body["id"] not in received_by_shop[shop_of.get(body["id"], "?")]:
                received_by_shop[shop_of.get(body["id"], "?")].append(body["id"])
        out_of_order = [
            shop for shop, ids in written_by_shop.items() if received_by_shop.get(shop) != ids
        ]
        answered = {k: v for k, v in tally.items() if k != "examples" and k[1] != "ms"}
        ok_201 = sum(v for (p, s), v in answered.items() if s == 201)
        down_201 = tally[("redis down", 201)]
        down_requests = sum(v for (p, s), v in answered.items() if p == "redis down")
        results = {
            "redis_down_seconds": round(up_at - down_at, 1),
            "answers_by_phase": {f"{p} {s}": v for (p, s), v in sorted(answered.items(), key=str)},
            "mean_ms_while_down": round(tally[("redis down", "ms")] / max(1, down_requests), 1),
            "mean_ms_before": round(
                tally[("before", "ms")]
                / max(1, sum(v for (p, s), v in answered.items() if p == "before")),
                1,
            ),
            "deductions_answered_201": ok_201,
            "postings_in_ledger": postings,
            "deliveries_waiting_when_redis_returned": pending_at_restart,
            "events_written": len(events["events"]),
            "events_received": len(received),
            "distinct_events_received": len(counts),
            "received_twice": sum(1 for c in counts.values() if c > 1),
            "shops_out_of_order": len(out_of_order),
            "delivery_status": events["status"],
            "attempts_per_delivery": events["attempts"],
            "drained_seconds_after_redis_back": (
                None if drained_at is None else round(drained_at - up_at, 1)
            ),
            "throttle_fail_open_logged": gunicorn_log.count("throttle_fail_open"),
            "ledger_check_exit": check.returncode,
            "ledger_check": (check.stdout.strip().splitlines() or [""])[-1],
        }
        print(json.dumps(results, indent=2))

        failures = []
        if ok_201 != sum(answered.values()):
            failures.append(f"not every request was answered 201: {tally.get('examples', [])[:5]}")
        if down_201 == 0:
            failures.append("no posting was made while Redis was down")
        if not results["throttle_fail_open_logged"]:
            failures.append("the throttle did not log that it failed open")
        if pending_at_restart == 0:
            failures.append("no delivery waited in the outbox while Redis was down")
        if drained_at is None:
            failures.append(f"deliveries not all succeeded {args.drain_limit}s after the postings")
        written = {public_id for public_id, _ in events["events"]}
        if set(counts) != written:
            failures.append(f"{len(written - set(counts))} events never reached the receiver")
        if results["received_twice"]:
            failures.append(f"{results['received_twice']} events reached the receiver twice")
        if out_of_order:
            failures.append(f"{len(out_of_order)} shops' events arrived out of order")
        if postings != ok_201:
            failures.append(f"{postings} postings for {ok_201} answers 201")
        if check.returncode != 0:
            failures.append(f"ledger_check failed: {check.stdout[-400:]}")
        if failures:
            kept = ROOT / "var" / "bench" / "redis_outage_drill"
            kept.mkdir(parents=True, exist_ok=True)
            for path in logs.values():
                shutil.copy(path, kept / path.name)
            print("DRILL FAILED:\n- " + "\n- ".join(failures) + f"\nlogs kept in {kept}")
            return 1
        print(
            f"PASS: Redis down {results['redis_down_seconds']}s; {down_201} deductions answered "
            f"201 while it was down, {ok_201} in all, = {postings} postings; {pending_at_restart} "
            f"deliveries waited in the outbox; all {len(written)} events delivered once each, in "
            f"order for each of {len(written_by_shop)} shops, "
            f"{results['drained_seconds_after_redis_back']}s after Redis was back; "
            "ledger_check clean."
        )
        return 0
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        receiver.close()
        redis.destroy()
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
