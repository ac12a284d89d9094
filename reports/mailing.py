"""Sending: the daily summary (exactly once per tenant and business day) and the reminders
to branches that have not filed. The claim is a database row with a unique constraint,
taken before anything is sent; the Message-ID is derived from (tenant, day, generation),
so a send that is repeated after a crash carries the same Message-ID and mail systems
drop the duplicate."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketing.audit import audit_record
from marketing.models import Branch
from marketing.notifications.delivery import TEMPORARY, UNCONFIRMED, classify
from marketing.notifications.links import absolute
from marketing.notifications.models import Kind, Purpose
from marketing.notifications.services import notify, notify_group
from marketing.selectors import users_with_roles

from . import audience, corrections
from .charts import summary_charts
from .exports import XLSX_CONTENT_TYPE, summary_pdf, summary_xlsx
from .models import DailyReport, DailySummary, ReminderLog, ReportStatus, SummaryStatus
from .selectors import summary_recipients
from .summary import compile_summary, decorate, rate_pct, subject_figures
from .workcal import WorkCalendar

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=15)  # a SENDING claim older than this belongs to a dead worker
MAX_ATTEMPTS = 5


def message_id(tenant, business_day: dt.date, generation: int) -> str:
    domain = (tenant.marketing_mailbox.split("@")[-1] or "localhost").strip()
    return f"<daily-summary.{tenant.slug}.{business_day:%Y%m%d}.{generation}@{domain}>"


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2 ** max(attempts - 1, 0))


class SummaryMessage(EmailMultiAlternatives):
    """The summary e-mail with its charts as inline images: the HTML alternative and the
    images form one multipart/related part (RFC 2387), so the HTML's ``cid:`` references
    resolve and clients do not list the images as attachments::

        multipart/mixed
          multipart/alternative
            text/plain
            multipart/related
              text/html
              image/png  (Content-ID, inline) x2
          xlsx, pdf
    """

    def __init__(self, *args, related=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.related = list(related)  # MIMEImage parts

    def _create_alternatives(self, msg):
        from django.conf import settings
        from django.core.mail.message import SafeMIMEMultipart

        if not self.related:
            return super()._create_alternatives(msg)
        encoding = self.encoding or settings.DEFAULT_CHARSET
        body_msg = msg
        msg = SafeMIMEMultipart(_subtype=self.alternative_subtype, encoding=encoding)
        if self.body:
            msg.attach(body_msg)
        for alternative in self.alternatives:
            part = self._create_mime_attachment(alternative.content, alternative.mimetype)
            if alternative.mimetype == "text/html":
                related = SafeMIMEMultipart(_subtype="related", encoding=encoding)
                related.attach(part)
                for image in self.related:
                    related.attach(image)
                part = related
            msg.attach(part)
        return msg


def _inline_image(chart):
    from email.mime.image import MIMEImage

    image = MIMEImage(chart.png, "png")
    image.add_header("Content-ID", f"<{chart.cid}>")
    image.add_header("Content-Disposition", "inline", filename=f"{chart.key}.png")
    return image


HTML_BUDGET = 100 * 1000  # bytes: webmail clients (Gmail: 102 KB) clip longer message bodies


def render_summary_html(context: dict) -> str:
    """The HTML body within ``HTML_BUDGET``: in full when it fits; otherwise without the
    reports' texts (they are in the PDF and on the page), then without the per-branch money
    line (in the xlsx). Name, 完成率 and status of every branch always stay, and a note says
    what was left out."""
    d = context["d"]
    ranking = d.get("ranking") or []
    brief = {**d, "ranking": ranking[:10] + ranking[-10:]} if len(ranking) > 20 else d  # top and bottom ten
    html = ""
    for omit in ({}, {"omit_reports": True}, {"omit_reports": True, "omit_details": True},
                 {"omit_reports": True, "omit_details": True, "d": brief, "ranking_cut": len(ranking) - 20}):
        html = render_to_string("reports/email/summary.html", {**context, **omit})
        if len(html.encode()) <= HTML_BUDGET:
            break
    return html


def build_summary_message(*, tenant, data: dict, recipients: list[str], msg_id: str,
                          link: str = "", charts: bool = True) -> EmailMultiAlternatives:
    with override("zh-hans"):
        d = decorate(dict(data))
        drawn = summary_charts(data) if charts else []  # once, for the e-mail and the PDF
        context = {"d": d, "tenant": tenant, "link": link, "charts": drawn}
        subject = _("【日报汇总】%(tenant)s %(day)s") % {"tenant": tenant.name, "day": data["business_day"]}
        figures = subject_figures(d)
        if figures:
            subject = f"{subject} · {figures}"
        if data.get("correction"):
            subject = _("【更正版】") + subject
        elif data.get("resend"):
            subject = _("【重发】") + subject
        text = render_to_string("reports/email/summary.txt", context)
        if link:  # the absolute link to the summary page (through the login page when signed out)
            text = f"{text.rstrip()}\n\n{_('在系统中查看完整汇总')}：{link}\n"
        html = render_summary_html(context)
    message = SummaryMessage(
        subject=subject, body=text, from_email=tenant.marketing_mailbox, to=recipients,
        headers={"Message-ID": msg_id, "X-Branchdesk-Summary": f"{tenant.slug}/{data['business_day']}"},
        related=[_inline_image(c) for c in drawn if c.png],
    )
    message.attach_alternative(html, "text/html")
    stem = f"daily-summary-{data['business_day']}"
    message.attach(f"{stem}.xlsx", summary_xlsx(data), XLSX_CONTENT_TYPE)
    message.attach(f"{stem}.pdf", summary_pdf(data, charts=drawn), "application/pdf")
    return message


def summary_card_lines(data: dict) -> list[str]:
    """The compact chat card: company and region completion, who did not file."""
    def pct(item):  # the summary's own rounding (once, from the unrounded ratio), so the card reads like the e-mail
        return rate_pct(item) or "—"

    total = data.get("total") or {}
    lines = [_("公司本月完成率：%(rate)s（累计回款 %(mtd)s）") % {"rate": pct(total), "mtd": total.get("mtd") or "0"}]
    for region in data.get("regions") or []:
        lines.append(_("%(region)s：%(rate)s") % {"region": region.get("region"), "rate": pct(region)})
    missing = [r["branch"] for r in data.get("not_filed") or []]
    lines.append(_("未报分公司：%(names)s") % {"names": "、".join(missing)} if missing else _("全部分公司均已提交。"))
    return lines


def summary_card_queue(*, tenant, data: dict, link: str, generation: int) -> list:
    """Queue the card to every robot connected for the daily summary (once per generation)."""
    with override("zh-hans"):
        return notify_group(
            tenant=tenant, kind=Kind.SUMMARY_CARD, purpose=Purpose.SUMMARY,
            title=_("【日报汇总】%(tenant)s %(day)s") % {"tenant": tenant.name, "day": data["business_day"]},
            lines=summary_card_lines(data), link=link, link_label=_("查看完整汇总"),
            dedupe_key=f"summary:{data['business_day']}:{generation}",
        )


def summary_claim(*, tenant, business_day: dt.date, now: dt.datetime, force: bool = False) -> DailySummary | None:
    """Take the right to send. Returns the claimed row or None (someone else has it, or it
    is done). ``force`` re-opens a SENT/FAILED summary as a new generation."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                return DailySummary.objects.create(
                    tenant=tenant, business_day=business_day, status=SummaryStatus.SENDING, claimed_at=now, attempts=1
                )
        except IntegrityError:
            pass
        row = DailySummary.objects.select_for_update().get(tenant=tenant, business_day=business_day)
        if row.status == SummaryStatus.RETRYING and (row.next_attempt_at is None or row.next_attempt_at <= now):
            row.attempts += 1
        elif row.status == SummaryStatus.SENDING and now - row.claimed_at > LEASE:
            if row.attempts >= MAX_ATTEMPTS:  # workers keep dying on this one: stop and show it
                row.status = SummaryStatus.FAILED
                row.last_error = (row.last_error + "\n" if row.last_error else "") + "worker lost too often"
                row.save(update_fields=["status", "last_error"])
                return None
            row.attempts += 1  # the previous worker died mid-run: same generation, same Message-ID
        elif force and row.status in (SummaryStatus.SENT, SummaryStatus.FAILED, SummaryStatus.RETRYING):
            row.generation += 1
            row.attempts = 1
        else:
            return None
        row.status = SummaryStatus.SENDING
        row.claimed_at = now
        row.next_attempt_at = None
        row.save(update_fields=["status", "claimed_at", "attempts", "generation", "next_attempt_at"])
        return row


def summary_send(*, tenant, business_day: dt.date, force: bool = False, now: dt.datetime | None = None,
                 actor=None, connection=None) -> DailySummary | None:
    """Compile and send one summary if this call wins the claim. SMTP errors leave the row
    RETRYING (with backoff) or, after the last attempt, FAILED -- both visible in the UI."""
    now = now or timezone.now()
    row = summary_claim(tenant=tenant, business_day=business_day, now=now, force=force)
    if row is None:
        return None
    try:
        with override("zh-hans"):  # the summary is the company's Chinese document, whoever triggers it
            data = compile_summary(tenant=tenant, business_day=business_day, now=now)
        first_at = row.first_sent_at.astimezone(tenant.zone).strftime("%Y-%m-%d %H:%M") if row.first_sent_at else None
        data = corrections.mark(data, generation=row.generation, first_figures=row.first_figures, first_sent_at=first_at)
        users = summary_recipients(tenant=tenant)
        addresses = sorted({u.email for u in users if u.email})
        msg_id = message_id(tenant, business_day, row.generation)
        link = absolute(reverse("reports:summary_detail", args=[row.pk]))
        with transaction.atomic():
            DailySummary.objects.filter(pk=row.pk).update(data=data, recipients=addresses, message_id=msg_id)
            summary_card_queue(tenant=tenant, data=data, link=link, generation=row.generation)
        if not addresses:
            raise ValidationError(_("没有收件人（请在收件人设置中添加）。"), code="no_recipients")
        parcels = [  # who sees what: one message per audience, each with its own Message-ID
            build_summary_message(tenant=tenant, data=parcel.data, recipients=parcel.addresses,
                                  msg_id=parcel.msg_id, link=link)
            for parcel in audience.parcels(tenant=tenant, data=data, users=users, msg_id=msg_id)
        ]
        # The lease counts from here: compiling may take a while, the send itself is bounded
        # (EMAIL_SEND_DEADLINE + EMAIL_DATA_TIMEOUT < LEASE), so no dispatcher re-claims a
        # summary whose send is still waiting for the server's answer.
        DailySummary.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
        for message in parcels:
            message.send(fail_silently=False)
    except Exception as exc:  # temporary SMTP/network errors retry; anything else is recorded, never left "sending"
        error = "; ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        outcome = classify(exc)
        transient = outcome == TEMPORARY
        if outcome == UNCONFIRMED:  # handed over, answer lost: maybe delivered -- never re-sent automatically
            error = _("结果未确认（邮件已交给邮件服务器，但未收到其确认，可能已送达；请向收件人核实后再决定是否重发）：") + error
        log.warning("daily summary %s/%s attempt %s failed: %s", tenant.slug, business_day, row.attempts, error,
                    exc_info=not transient and not isinstance(exc, ValidationError))
        with transaction.atomic():
            row = DailySummary.objects.select_for_update().get(pk=row.pk)
            final = row.attempts >= MAX_ATTEMPTS or not transient
            row.status = SummaryStatus.FAILED if final else SummaryStatus.RETRYING
            row.next_attempt_at = None if final else now + backoff(row.attempts)
            row.last_error = error[:2000]
            row.save(update_fields=["status", "next_attempt_at", "last_error"])
            if final:
                audit_record(tenant=tenant, actor=actor, verb="reports.summary_failed", obj=row,
                             after={"attempts": row.attempts, "error": row.last_error})
        return row
    with transaction.atomic():
        row = DailySummary.objects.select_for_update().get(pk=row.pk)
        row.status = SummaryStatus.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
        if not row.first_figures:  # the first generation that went out: what resends compare with
            row.first_figures, row.first_sent_at = corrections.figures(data), row.sent_at
        row.save(update_fields=["status", "sent_at", "last_error", "first_figures", "first_sent_at"])
        audit_record(tenant=tenant, actor=actor, verb="reports.summary_sent", obj=row,
                     after={"recipients": len(addresses), "message_id": msg_id, "generation": row.generation,
                            "corrected": bool(data.get("correction"))})
    return row


@transaction.atomic
def summary_request_resend(*, summary: DailySummary, actor, request=None) -> DailySummary:
    """Marketing's "resend" button: only a FAILED (or SENT) summary; the task does the rest."""
    summary = DailySummary.objects.select_for_update().get(pk=summary.pk)
    if summary.status not in (SummaryStatus.FAILED, SummaryStatus.SENT):
        raise ValidationError(_("该汇总正在发送中，不能重发。"), code="busy")
    before = {"status": summary.status, "generation": summary.generation}
    # The resend is claimed here, in the row: a new generation queued as "due now". A second
    # click (or a third) finds it queued and is refused, so three clicks send one e-mail; if
    # the queued task is lost, the dispatcher picks the due row up like any retry.
    summary.generation += 1
    summary.attempts = 0
    summary.status = SummaryStatus.RETRYING
    summary.next_attempt_at = None  # due at once
    summary.save(update_fields=["generation", "attempts", "status", "next_attempt_at"])
    audit_record(tenant=summary.tenant, actor=actor, verb="reports.summary_resend", obj=summary,
                 before=before, after={"generation": summary.generation}, request=request)
    from .tasks import send_summary

    transaction.on_commit(lambda: send_summary.delay(summary.tenant_id, summary.business_day.isoformat()))
    return summary


def due_summaries(*, tenant, now: dt.datetime) -> list[dt.date]:
    """Business days whose summary this tenant should send (or retry) now."""
    local = now.astimezone(tenant.zone)
    calendar = WorkCalendar(tenant)
    days = []
    if calendar.is_working(local.date()) and local.time() >= tenant.summary_send_time:
        day = calendar.previous_working(local.date())
        if not DailySummary.objects.filter(tenant=tenant, business_day=day).exists():
            days.append(day)
    again = DailySummary.objects.filter(tenant=tenant).filter(
        Q(status=SummaryStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=SummaryStatus.RETRYING, next_attempt_at__isnull=True)  # a queued resend
        | Q(status=SummaryStatus.SENDING, claimed_at__lt=now - LEASE)
    )
    days += [d for d in again.values_list("business_day", flat=True) if d not in days]
    return days


# --- reminders ----------------------------------------------------------------------


def reminders_send(*, tenant, now: dt.datetime | None = None, connection=None) -> int:
    """Remind the filers of every active branch that has not filed the report due today,
    once per branch and day (claim row), through the outbox: one e-mail per filer, and a
    chat message @-mentioning those who chose chat. Only between the reminder time and the
    deadline. Returns the number of branches reminded."""
    now = now or timezone.now()
    local = now.astimezone(tenant.zone)
    calendar = WorkCalendar(tenant)
    if not calendar.is_working(local.date()):
        return 0
    if not (tenant.reminder_time <= local.time() < tenant.report_deadline_time):
        return 0
    day = calendar.previous_working(local.date())
    filed = DailyReport.objects.filter(tenant=tenant, business_day=day, status=ReportStatus.SUBMITTED).values("branch_id")
    reminded = ReminderLog.objects.filter(tenant=tenant, business_day=day).values("branch_id")
    branches = Branch.objects.filter(tenant=tenant, is_active=True).exclude(pk__in=filed).exclude(pk__in=reminded)
    sent = 0
    due = calendar.due_at(day)
    for branch in branches:
        users = users_with_roles(tenant=tenant, roles=tenant.report_filing_roles or [], branch=branch)
        addresses = sorted({u.email for u in users if u.email})
        with override("zh-hans"):
            subject = _("【日报提醒】%(branch)s %(day)s 的日报尚未提交") % {"branch": branch.name, "day": day.isoformat()}
            body = render_to_string("reports/email/reminder.txt", {"branch": branch, "day": day, "due_at": due.astimezone(tenant.zone), "tenant": tenant})
            link_label = _("填报日报")
        try:
            with transaction.atomic():  # the claim and the queued messages: together or not at all
                ReminderLog.objects.create(tenant=tenant, branch=branch, business_day=day, recipients=addresses)
                rows = notify(
                    tenant=tenant, kind=Kind.REPORT_REMINDER, users=users, purpose=Purpose.REMINDERS,
                    subject=subject, lines=body.strip().splitlines(), greeting=False, link_label=link_label,
                    link=reverse("reports:file") + "?" + urlencode({"branch": branch.pk, "day": day.isoformat()}),
                    dedupe_key=f"reminder:{branch.pk}:{day.isoformat()}",
                )
        except IntegrityError:
            continue  # another dispatcher got there first
        if rows:
            sent += 1
    return sent
