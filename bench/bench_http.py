"""HTTP load benchmark: the product's pages against the textbook django-guardian reference,
both under gunicorn (3 sync workers) on PostgreSQL, driven by wrk on localhost.

    .venv/bin/python bench/bench_http.py                 # seed if needed, then measure
    .venv/bin/python bench/bench_http.py --reseed        # drop the bench databases first
    .venv/bin/python bench/bench_http.py --duration 8 --rounds 3 --connections 10

What it does
* Product database ``h_perf_http`` (``--db``): one tenant with 200 branches, 200
  salespeople, 100,000 customers (one tag each), 25,000 customer grants (a fifth of them
  expired), 100,000 expense requests with their approval flow/step/task, and a week of
  daily reports for every branch. Bulk inserts (the services are covered by the tests).
* Reference database ``h_perf_ref``: the reference project's own ``seed.py`` (2 tenants x
  20,000 customers, 50 branches each, alice sees 5,200 through guardian), unchanged.
* Both servers: ``gunicorn -w 3`` (sync workers), no access log, persistent DB connections
  (CONN_MAX_AGE 600 in both). The product runs ``marketing.settings.production`` with its
  secrets from the environment (generated here), DEBUG off, Redis cache db 5.
* Logging in: a session row is created directly and its cookie handed to wrk. Every URL is
  fetched once first and must answer 200 with the expected page (not the login page).
* wrk: ``--connections`` connections, 2 threads, ``--duration`` seconds per page per
  round, ``Accept-Encoding: gzip`` (as a browser sends) for every page of both servers.
  Pages are measured round-robin (``--rounds``), so a burst of load from elsewhere on the
  machine hits product and reference alike; the median round is reported.

It prints requests/s, p50 and p99 latency per page and the ratios against the reference's
guardian page and plain page measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("BENCH_REFERENCE", "/work/shared/baseline/guardian-list-bench"))
PY = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SLUG = "bench-http"
PASSWORD = "Bench!pass-2026"

SIZES = {"customers": 100_000, "grants": 25_000, "expenses": 100_000, "branches": 200, "sales": 200,
         "partners": 100_000, "contracts": 100_000, "hospitality": 100_000}

# (label, server, user key, path, text the page must contain)
PAGES = [
    ("customers (salesperson)", "product", "sales", "/customers/", "基准客户"),
    ("customers (GM)", "product", "gm", "/customers/", "基准客户"),
    ("expenses list (finance)", "product", "finance", "/expenses/", "YX-B-"),
    ("approvals inbox (finance)", "product", "finance", "/approvals/", "YX-B-"),
    ("report board (GM)", "product", "gm", "/reports/board/", "第199分公司"),
    ("home (GM)", "product", "gm", "/", "/reports/board/"),
    ("customer name search (GM)", "product", "gm", "/customers/?q=" + urllib.parse.quote("客户0123"), "基准客户0123"),
    ("partner register (GM)", "product", "gm", "/partners/", "基准合作单位"),
    ("contract ledger (GM)", "product", "gm", "/contracts/ledger/", "BH-0000001"),
    ("hospitality applications (GM)", "product", "gm", "/hospitality/", "ZD-B-"),
    ("ref: guardian page", "reference", "alice", "/customers/", "Customer"),
    ("ref: plain page", "reference", "alice", "/plain/", "Customer"),
]


# --- seeding (runs in a child process with Django set up) ----------------------------------


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "marketing.settings.production"
    import django

    django.setup()
    from django.conf import settings

    # Seeding only: hashing 200+ passwords with PBKDF2 would take minutes; nobody logs in
    # with a password here (sessions are created directly).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_product() -> None:
    _setup_django()
    import random
    from datetime import date, timedelta
    from decimal import Decimal

    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    call_command("migrate", verbosity=0)
    from marketing.models import Tenant

    with scopes_disabled():
        if Tenant.objects.filter(slug=SLUG).exists():
            print("product data present", flush=True)
            seed_partners(Tenant.objects.get(slug=SLUG))
            seed_contracts(Tenant.objects.get(slug=SLUG))
            seed_hospitality(Tenant.objects.get(slug=SLUG))
            return
    from customers.crypto import encrypt, phone_hash
    from customers.models import Customer, CustomerUserObjectPermission, Tag
    from expenses.models import ExpenseRequest, ExpenseStatus
    from marketing.approvals.models import ApprovalFlow, ApprovalStep, ApprovalTask, StepStatus, TaskStatus
    from marketing.demo import PersonaSpec, TenantSpec, build_tenant
    from marketing.models import Branch
    from marketing.roles import Role
    from marketing.tenancy import tenant_scope
    from reports.models import DailyReport
    from reports.workcal import WorkCalendar

    n_br, n_sales = SIZES["branches"], SIZES["sales"]
    codes = [f"B{i:03d}" for i in range(n_br)]
    regions = [(f"R{r}", f"大区{r}", [(c, f"第{c[1:]}分公司", f"城市{c[1:]}") for c in codes[r * 20:(r + 1) * 20]])
               for r in range(n_br // 20)]
    personas = [
        PersonaSpec("admin", "管理员", [Role.TENANT_ADMIN]),
        PersonaSpec("gm", "总经理", [Role.GENERAL_MANAGER]),
        PersonaSpec("finance", "财务", [Role.FINANCE]),
        PersonaSpec("bgm", "分总", [Role.BRANCH_GM], [codes[0]]),
    ] + [PersonaSpec(f"s{i:03d}", f"销售{i:03d}", [Role.SALESPERSON], [codes[i % n_br]]) for i in range(n_sales)]
    t0 = time.perf_counter()
    tenant, users = build_tenant(TenantSpec(slug=SLUG, name="压测公司", mailbox="m@bench.test", regions=regions,
                                            personas=personas), password=PASSWORD)
    print(f"tenant, {n_br} branches, {len(users)} users: {time.perf_counter() - t0:.0f}s", flush=True)
    rng = random.Random(7)
    sales = [users[f"s{i:03d}"] for i in range(n_sales)]
    now = timezone.now()
    with tenant_scope(tenant):
        branch = {b.code: b for b in Branch.objects.filter(tenant=tenant)}
        # customers ----------------------------------------------------------------------
        t0 = time.perf_counter()
        tags = [Tag.objects.create(tenant=tenant, name=f"标签{i}") for i in range(30)]
        cipher = encrypt("021-60000000")  # one real ciphertext shared by the bulk rows
        batch = []
        for i in range(SIZES["customers"]):
            owner = i % n_sales
            phone = f"021-{60000000 + i}"
            batch.append(Customer(
                tenant=tenant, name=f"基准客户{i:06d}汽车销售服务有限公司", owner=sales[owner],
                branch=branch[codes[owner % n_br]], stage=rng.choice(["target", "negotiating", "signed", "lost"]),
                industry=rng.choice(["dealer_4s", "repair_shop", "fleet"]), phone=cipher, phone_hash=phone_hash(phone),
                address="某市某区某路 1 号", shareholders=[{"name": "股东", "stake": "100.00"}],
            ))
            if len(batch) == 5000:
                Customer.objects.bulk_create(batch)
                batch = []
        Customer.objects.bulk_create(batch)
        ids = list(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True))
        through = Customer.tags.through
        through.objects.bulk_create([through(customer_id=c, tag_id=tags[c % 30].pk) for c in ids], batch_size=10000)
        # As customers/services.py keeps it (the list's rows read it): the names, sorted, joined with 、.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_customer c SET tag_names = t.names FROM (SELECT ct.customer_id, "
                "string_agg(tg.name, '、' ORDER BY tg.name) AS names FROM customers_customer_tags ct "
                "JOIN customers_tag tg ON tg.id = ct.tag_id GROUP BY ct.customer_id) t WHERE c.id = t.customer_id"
            )
        perm = Permission.objects.get(content_type__app_label="customers", codename="view_customer")
        rows, seen = [], set()
        grantees = sales + [users["bgm"]]
        while len(rows) < SIZES["grants"]:
            user, cid = grantees[len(rows) % len(grantees)], rng.choice(ids)
            if (user.pk, cid) in seen:
                continue
            seen.add((user.pk, cid))
            k = len(rows)
            expires = (now - timedelta(days=1) if k % 5 == 4 else
                       None if k % 5 == 0 else now + timedelta(days=rng.randrange(1, 30)))
            rows.append(CustomerUserObjectPermission(tenant=tenant, user=user, permission=perm, content_object_id=cid,
                                                     expires_at=expires))
        CustomerUserObjectPermission.all_grants.bulk_create(rows, batch_size=5000)
        print(f"{len(ids)} customers, {len(rows)} grants: {time.perf_counter() - t0:.0f}s", flush=True)
        # expenses + approvals -----------------------------------------------------------
        t0 = time.perf_counter()
        finance, bgm = users["finance"], users["bgm"]
        today = date.today()
        for start in range(0, SIZES["expenses"], 5000):
            batch = []
            for n in range(start, min(start + 5000, SIZES["expenses"])):
                who = rng.randrange(n_sales)
                applicant = sales[who]
                contract = Decimal(rng.choice([50000, 100000, 300000]))
                amount = (contract * Decimal(rng.choice(["0.02", "0.04", "0.06"]))).quantize(Decimal("0.01"))
                batch.append(ExpenseRequest(
                    tenant=tenant, number=f"YX-B-{n:06d}", branch=branch[codes[who % n_br]],
                    applicant=applicant, activity=f"活动{n}", purpose="压测", contract_amount=contract, amount=amount,
                    ratio=(amount / contract).quantize(Decimal("0.0001")), payee_name="收款方", payee_bank="银行",
                    payee_account="6222021000012345", planned_date=today + timedelta(days=n % 90),
                    status=rng.choice([ExpenseStatus.SUBMITTED, ExpenseStatus.ARCHIVED, ExpenseStatus.PAID]),
                    submitted_at=now,
                ))
            created = ExpenseRequest.objects.bulk_create(batch)
            flows = ApprovalFlow.objects.bulk_create([
                ApprovalFlow(tenant=tenant, document_type="expenses.request", object_id=e.pk, title=str(e),
                             url=f"/expenses/{e.pk}/", branch_id=e.branch_id, applicant_id=e.applicant_id,
                             started_at=now, current_position=1) for e in created
            ])
            steps = ApprovalStep.objects.bulk_create([
                ApprovalStep(tenant=tenant, flow=f, round=1, position=1, name="财务核实", kind="approve",
                             role=Role.FINANCE, scope="tenant", mode="any", status=StepStatus.ACTIVE) for f in flows
            ])
            ApprovalTask.objects.bulk_create([
                ApprovalTask(tenant=tenant, flow_id=s.flow_id, step=s, assignee=finance if k % 3 else bgm,
                             status=TaskStatus.PENDING if k % 2 else TaskStatus.APPROVED)
                for k, s in enumerate(steps)
            ])
        print(f"{SIZES['expenses']} expense requests + flows: {time.perf_counter() - t0:.0f}s", flush=True)
        # a week of daily reports, most on time, some late, today's partly missing ---------
        calendar = WorkCalendar(tenant)
        day = calendar.current_business_day(now)
        reports = []
        for back in range(7):
            d = day - timedelta(days=back)
            due = calendar.due_at(d)
            for i, code in enumerate(codes):
                if back == 0 and i % 4 == 3:
                    continue
                late = i % 10 == 9
                at = due + timedelta(minutes=35) if late else due - timedelta(hours=2)
                reports.append(DailyReport(
                    tenant=tenant, branch=branch[code], business_day=d, status="submitted", narrative="今日动态",
                    customer_visits=3, contracts_signed=1, due_at=due, submitted_at=at, submitted_by=bgm,
                    created_by=bgm))
        DailyReport.objects.bulk_create(reports, batch_size=2000)
    seed_partners(tenant)
    seed_contracts(tenant)
    seed_hospitality(tenant)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_hospitality(tenant) -> None:
    """Hospitality applications (业务招待申请, a newer app's list): SIZES["hospitality"] over
    the salespeople and a year of days, each with one guest, at 20 designated venues."""
    import random
    import time as _time
    from datetime import date, timedelta

    from django.db import connection
    from django.utils import timezone

    from expenses.hospitality.models import ApplicationStatus, Guest, HospitalityApplication, Venue
    from expenses.hospitality.services import ensure_policy, policy_in_force
    from marketing.models import Branch, User
    from marketing.tenancy import tenant_scope

    with tenant_scope(tenant):
        if HospitalityApplication.objects.filter(tenant=tenant).exists():
            return
        t0 = _time.perf_counter()
        ensure_policy(tenant=tenant)
        policy = policy_in_force(tenant=tenant, day=date.today())
        venues = [Venue.objects.create(tenant=tenant, name=f"定点酒店{i:02d}", city=f"城市{i:03d}", address="某路 1 号")
                  for i in range(20)]
        # as seed_product assigns them: salesperson s<i> works for branch B<i % branches>
        branch_of = dict(Branch.objects.filter(tenant=tenant).values_list("code", "pk"))
        people = [(u.pk, branch_of[f"B{int(u.username.rsplit('_s', 1)[1]) % SIZES['branches']:03d}"])
                  for u in User.objects.filter(username__startswith=f"{SLUG}_s").order_by("username")]
        rng, today, now = random.Random(9), date.today(), timezone.now()
        statuses = [ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED, ApplicationStatus.APPROVED,
                    ApplicationStatus.REJECTED]
        for start in range(0, SIZES["hospitality"], 5000):
            apps = []
            for n in range(start, min(start + 5000, SIZES["hospitality"])):
                user_id, branch_id = people[n % len(people)]
                apps.append(HospitalityApplication(
                    tenant=tenant, number=f"ZD-B-{n:06d}", branch_id=branch_id, applicant_id=user_id, policy=policy,
                    visit_date=today - timedelta(days=rng.randrange(0, 365)), venue=venues[n % 20],
                    expected_diners=3, progress="推进合作", status=rng.choice(statuses), submitted_at=now))
            created = HospitalityApplication.objects.bulk_create(apps)
            Guest.objects.bulk_create([Guest(tenant=tenant, application=a, name="来访客户", title="经理",
                                             company="外地经销商", city="外地") for a in created])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{SIZES['hospitality']} hospitality applications: {_time.perf_counter() - t0:.0f}s", flush=True)


def seed_contracts(tenant) -> None:
    """The numbered contract ledger (合同台账, a newer app's list): one online product and
    SIZES["contracts"] contracts in print batches of 5,000, nine in ten dispatched to a branch."""
    import random
    import time as _time
    from datetime import date, timedelta
    from decimal import Decimal

    from django.db import connection

    from contracts.models import (
        Contract,
        ContractState,
        PrintBatch,
        Product,
        ProductStatus,
        ProductVersion,
        VersionStatus,
    )
    from marketing.models import Branch, User
    from marketing.tenancy import tenant_scope

    with tenant_scope(tenant):
        if Contract.objects.filter(tenant=tenant).exists():
            return
        t0 = _time.perf_counter()
        admin = User.objects.get(username=f"{SLUG}_admin")
        branches = list(Branch.objects.filter(tenant=tenant).values_list("pk", flat=True))
        product = Product.objects.create(tenant=tenant, code="YB-BH", name="压测延保产品", status=ProductStatus.ONLINE,
                                         created_by=admin)
        version = ProductVersion.objects.create(
            tenant=tenant, product=product, number=1, name=product.name, coverage="发动机", vehicle_type="乘用车",
            term_months=24, price=Decimal("2980"), branch_id=branches[0], applicant=admin,
            status=VersionStatus.APPROVED)
        product.current_version = version
        product.save(update_fields=["current_version"])
        rng, today, n = random.Random(5), date.today(), 0
        while n < SIZES["contracts"]:
            batch = PrintBatch.objects.create(tenant=tenant, product=product, prefix="BH-", start=n + 1, end=n + 5000,
                                              width=7, printer="压测印刷厂", unit_cost=Decimal("1.80"),
                                              received_on=today - timedelta(days=200))
            rows = []
            for k in range(n + 1, n + 5001):
                c = Contract(tenant=tenant, number=f"BH-{k:07d}", product=product, batch=batch,
                             stocked_on=batch.received_on)
                if rng.random() < 0.9:
                    c.branch_id, c.state = rng.choice(branches), ContractState.DISPATCHED
                    c.dispatched_on = today - timedelta(days=rng.randrange(20, 180))
                rows.append(c)
            Contract.objects.bulk_create(rows, batch_size=5000)
            n += 5000
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{SIZES['contracts']} contracts: {_time.perf_counter() - t0:.0f}s", flush=True)


def seed_partners(tenant) -> None:
    """The partner register (合作协议存档, a newer app's list): SIZES["partners"] dealers and
    repair shops over the 200 branches. Added to a database seeded before it existed."""
    import time as _time

    from django.db import connection

    from customers.partners.models import Partner, PartnerType
    from marketing.models import Branch, User
    from marketing.tenancy import tenant_scope

    with tenant_scope(tenant):
        if Partner.objects.filter(tenant=tenant).exists():
            return
        t0 = _time.perf_counter()
        from customers.partners.services import ensure_default_types

        ensure_default_types(tenant)
        types = list(PartnerType.objects.filter(tenant=tenant).order_by("sort_order"))
        branches = list(Branch.objects.filter(tenant=tenant).select_related("region").order_by("code"))
        sales = list(User.objects.filter(username__startswith=f"{SLUG}_s").order_by("username"))
        creator = User.objects.get(username=f"{SLUG}_admin")
        batch = []
        for i in range(SIZES["partners"]):
            b = branches[i % len(branches)]
            batch.append(Partner(tenant=tenant, type=types[i % 2], name=f"基准合作单位{i:06d}", city=b.city or "",
                                 branch=b, region=b.region, salesperson=sales[i % len(sales)], created_by=creator))
            if len(batch) == 10000:
                Partner.objects.bulk_create(batch)
                batch = []
        Partner.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{SIZES['partners']} partners: {_time.perf_counter() - t0:.0f}s", flush=True)


def product_sessions() -> None:
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_scopes import scopes_disabled

    from marketing.models import User

    out = {}
    with scopes_disabled():
        for key, username in (("sales", f"{SLUG}_s007"), ("gm", f"{SLUG}_gm"), ("finance", f"{SLUG}_finance")):
            user = User.objects.get(username=username)
            s = SessionStore()
            s[SESSION_KEY] = str(user.pk)
            s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            s[HASH_SESSION_KEY] = user.get_session_auth_hash()
            s.save()
            out[key] = f"{settings.SESSION_COOKIE_NAME}={s.session_key}"
    print("SESSIONS " + json.dumps(out))


# --- orchestration -------------------------------------------------------------------------


def run(cmd, env, cwd=None, capture=False):
    result = subprocess.run(cmd, env=env, cwd=cwd, text=True, capture_output=capture)
    if result.returncode != 0:
        sys.stderr.write((result.stdout or "") + (result.stderr or ""))
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return result.stdout


def psql(sql: str) -> str:
    return run(["psql", f"{PG}/postgres", "-Atc", sql], os.environ.copy(), capture=True)


def ensure_db(name: str, reseed: bool) -> bool:
    """Create the database if missing; True when it was (re)created."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"
    if exists and reseed:
        psql(f'DROP DATABASE "{name}"')
        exists = False
    if not exists:
        psql(f'CREATE DATABASE "{name}"')
    return not exists


def wait_up(url: str, timeout=60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def fetch(url: str, cookie: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": cookie, "Accept-Language": "zh-hans"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, ""


def wrk(url: str, cookie: str, duration: int, connections: int) -> dict:
    out = run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
               "-H", f"Cookie: {cookie}", "-H", "Accept-Encoding: gzip", "-H", "Accept-Language: zh-hans", url],
              os.environ.copy(), capture=True)

    def ms(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "requests": requests, "p50": p50, "p99": p99, "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else ""}


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


class CpuMeter:
    """CPU seconds spent serving a page: the server's gunicorn workers plus the PostgreSQL
    backends connected to its database. Unlike requests/s this hardly depends on what else
    runs on the machine, so it is the steadier measure of cost on a shared box."""

    def __init__(self, master_pid: int, db: str):
        import psycopg

        self.master, self.db = master_pid, db
        self.conn = psycopg.connect(f"{PG}/postgres", autocommit=True)

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text().split()
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.db]).fetchall()
        return [int(p) for p in children] + [r[0] for r in rows]

    def sample(self) -> dict[int, int]:
        return {pid: _ticks(pid) for pid in self.pids()}

    @staticmethod
    def seconds(before: dict[int, int], after: dict[int, int]) -> float:
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / CLK_TCK


def gunicorn_cmd(app: str, port: int) -> list[str]:
    # The same settings for both servers: 3 sync workers, no access log.
    return [str(Path(PY).parent / "gunicorn"), app, "-w", "3", "-k", "sync", "-b", f"127.0.0.1:{port}",
            "--log-level", "warning", "--timeout", "60"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="h_perf_http")
    parser.add_argument("--ref-db", default="h_perf_ref")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--duration", type=int, default=5, help="seconds per page per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated substrings of page labels")
    parser.add_argument("--json", default="", help="write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
    secret = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60)
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "marketing.settings.production",
        "SECRET_KEY": secret,
        "FIELD_ENCRYPTION_KEY": os.environ.get("BENCH_FIELD_KEY", "bench-field-key-0123456789"),
        "DATABASE_URL": f"{PG}/{args.db}",
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        "CELERY_BROKER_URL": "memory://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "COOKIES_SECURE": "0",
        "VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    ref_dir = tmp / "reference"
    shutil.copytree(REFERENCE, ref_dir)
    ref_env = dict(os.environ)
    ref_env.update({"REF_DB_NAME": args.ref_db, "REF_DB_HOST": "127.0.0.1", "REF_DB_PORT": "5432",
                    "DJANGO_SETTINGS_MODULE": "benchproj.settings", "PYTHONPATH": str(ref_dir)})

    t0 = time.perf_counter()
    ensure_db(args.db, args.reseed)
    run([PY, __file__, "seed-product"], env)
    if ensure_db(args.ref_db, args.reseed):
        run([PY, "manage.py", "migrate", "-v0"], ref_env, cwd=ref_dir)
        run([PY, "seed.py"], ref_env, cwd=ref_dir)
        run(["psql", f"{PG}/{args.ref_db}", "-qc", "ANALYZE"], ref_env)
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env, cwd=ROOT)
    sessions = json.loads(run([PY, __file__, "sessions"], env, capture=True).split("SESSIONS ", 1)[1])
    sessions["alice"] = run([PY, "session.py"], ref_env, cwd=ref_dir, capture=True).strip()
    print(f"data ready: {time.perf_counter() - t0:.0f}s", flush=True)

    ports = {"product": int(os.environ.get("BENCH_PORT", "8710")),
             "reference": int(os.environ.get("BENCH_REF_PORT", "8711"))}
    procs = [
        subprocess.Popen(gunicorn_cmd("marketing.wsgi", ports["product"]), env=env, cwd=ROOT, start_new_session=True),
        subprocess.Popen(gunicorn_cmd("benchproj.wsgi", ports["reference"]), env=ref_env, cwd=ref_dir,
                         start_new_session=True),
    ]
    try:
        for port in ports.values():
            wait_up(f"http://127.0.0.1:{port}/")
        pages = [p for p in PAGES if not args.only or any(s in p[0] for s in args.only.split(","))]
        for label, server, who, path, marker in pages:
            url = f"http://127.0.0.1:{ports[server]}{path}"
            status, body = fetch(url, sessions[who])
            if status != 200 or marker not in body:
                raise SystemExit(f"{label}: {url} answered {status} without {marker!r}")
            for _ in range(20):  # warm every worker
                fetch(url, sessions[who])
        meters = {"product": CpuMeter(procs[0].pid, args.db), "reference": CpuMeter(procs[1].pid, args.ref_db)}
        samples: dict[str, list[dict]] = {p[0]: [] for p in pages}
        for r in range(args.rounds):
            for label, server, who, path, _marker in pages:
                before = meters[server].sample()
                result = wrk(f"http://127.0.0.1:{ports[server]}{path}", sessions[who], args.duration,
                             args.connections)
                cpu = CpuMeter.seconds(before, meters[server].sample())
                result["cpu_ms"] = cpu * 1000 / max(result["requests"], 1)
                samples[label].append(result)
                print(f"  round {r + 1} {label:28} {result['rps']:8.1f} rps  p50 {result['p50']:7.1f} ms"
                      f"  p99 {result['p99']:7.1f} ms  cpu {result['cpu_ms']:5.1f} ms/req"
                      + (f"  NON-2xx {result['non2xx']}" if result["non2xx"] else "")
                      + (f"  socket errors {result['socket_errors']}" if result["socket_errors"] else ""),
                      flush=True)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    med = {}
    g_rows = samples.get("ref: guardian page")
    p_rows = samples.get("ref: plain page")
    for label, rows in samples.items():
        m = {k: statistics.median(r[k] for r in rows) for k in ("rps", "p50", "p99", "cpu_ms")}
        m["spread"] = (max(r["rps"] for r in rows) - min(r["rps"] for r in rows)) / max(m["rps"], 1e-9)
        # Ratios per round (the reference measured in the same round, seconds apart), then
        # the median: load from elsewhere on the machine moves both sides of a ratio.
        if g_rows:
            m["x_guardian"] = statistics.median(r["rps"] / g["rps"] for r, g in zip(rows, g_rows, strict=True))
        if p_rows:
            m["x_plain"] = statistics.median(r["rps"] / p["rps"] for r, p in zip(rows, p_rows, strict=True))
        med[label] = m
    for m in med.values():  # capacity ratios from CPU cost: reference cost / page cost
        if g_rows:
            m["cpu_x_guardian"] = med["ref: guardian page"]["cpu_ms"] / m["cpu_ms"]
        if p_rows:
            m["cpu_x_plain"] = med["ref: plain page"]["cpu_ms"] / m["cpu_ms"]
    load = os.getloadavg()[0]
    print()
    print(f"{args.connections} connections, {args.duration}s x {args.rounds} rounds per page; median of rounds;"
          f" spread = (max-min)/median req/s; ratios = median of per-round ratios; load average now {load:.1f}")
    print("req/s ratios: this page's req/s / the reference page's (same round); CPU ratios: the reference page's"
          " CPU ms per request / this page's (capacity on the same cores)")
    print(f"{'page':28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'spread':>6} {'CPU ms':>7}"
          f" {'rps/guard':>9} {'rps/plain':>9} {'cpu/guard':>9} {'cpu/plain':>9}")
    for label, m in med.items():
        cells = [f"{m[k]:9.2f}" if k in m else f"{'-':>9}" for k in ("x_guardian", "x_plain", "cpu_x_guardian",
                                                                     "cpu_x_plain")]
        print(f"{label:28} {m['rps']:7.1f} {m['p50']:7.1f} {m['p99']:7.1f} {m['spread']:6.0%} {m['cpu_ms']:7.1f} "
              + " ".join(cells))
    if g_rows and p_rows:
        print(f"\ntargets: /guardian >= 2.00 and /plain >= {1 / 1.3:.2f} (within 1.3x of the plain page)")
    if args.json:
        Path(args.json).write_text(json.dumps({"median": med, "samples": samples}, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed-product":
        seed_product()
    elif len(sys.argv) > 1 and sys.argv[1] == "sessions":
        product_sessions()
    else:
        sys.exit(main())
