import datetime as dt
import io
import zoneinfo
from decimal import Decimal

from openpyxl import Workbook

from reports import services

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def file_report(org, code, day, *, now, submit=True, user="bgm", narrative="今日拜访客户", partners=None, **extra):
    data = {"narrative": narrative, "customer_visits": 3, "contracts_signed": 1, "problems": "", "next_plan": "继续跟进"}
    data.update(extra)
    return services.report_save(
        tenant=org.tenant, branch=org.branches[code], business_day=day, actor=org.users[user], data=data,
        partners=partners or [], submit=submit, now=now,
    )


def money(value) -> Decimal:
    return Decimal(value)
