"""The daily summary's two charts (issue #20), rendered on the server with matplotlib (Agg) in
the embedded CJK font the PDF uses: 各地区完成率 against 时间进度, and the month's cumulative
collections against the target pace. PNG, designed for 600 CSS px and drawn at 2x (1200 px
wide), so it is sharp on a phone. The e-mail attaches them inline (Content-ID), the PDF
draws the same bytes.

A chart that cannot be drawn (no data, no CJK font, any error) comes back without an image
and with a note; it is never sent blank. Pure functions over the compiled summary data."""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from marketing.exports import CJK_TTF_PATH

from .summary import current, is_behind, money_text, pace_ratio, pct, ratio_of

log = logging.getLogger(__name__)

CSS_WIDTH = 600  # px the e-mail lays the image out at
SCALE = 2  # drawn at 2x
DPI = 100
_lock = threading.Lock()  # pyplot's state is global; the OO API below avoids it, the font setup is not
_font_ready: bool | None = None


@dataclass
class Chart:
    key: str  # "regions" | "trend"
    title: str
    alt: str
    png: bytes | None = None
    note: str = ""
    width: int = 0  # pixels of the PNG
    height: int = 0

    @property
    def cid(self) -> str:
        return f"summary-{self.key}" if self.png else ""


def _font() -> str | None:
    """The CJK font family registered with matplotlib, or None (then no chart is drawn)."""
    global _font_ready
    with _lock:
        if _font_ready is None:
            _font_ready = False
            if CJK_TTF_PATH:
                try:
                    from matplotlib import font_manager

                    font_manager.fontManager.addfont(CJK_TTF_PATH)
                    _font_ready = True
                except Exception:  # a broken font file: no charts, a note instead
                    log.warning("CJK font %s could not be loaded for charts", CJK_TTF_PATH, exc_info=True)
        if not _font_ready:
            return None
        from matplotlib import font_manager

        return font_manager.FontProperties(fname=CJK_TTF_PATH).get_name()


def _figure(height_css: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(CSS_WIDTH * SCALE / DPI, height_css * SCALE / DPI), dpi=DPI)


def _png(fig) -> tuple[bytes, int, int]:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    width, height = fig.get_size_inches() * DPI
    return out.getvalue(), int(round(width)), int(round(height))


def _style(ax, family: str, size: float = 22):
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=size * 0.8)
    for label in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        label.set_fontfamily(family)


def regions_chart(data: dict, family: str) -> Chart:
    """各地区完成率 (horizontal bars, behind-pace regions in red) with 时间进度 as a line."""
    pace = pace_ratio(data)
    regions = [(g["region"], ratio_of(g), is_behind(g, pace, branch=False)) for g in data.get("regions") or []]
    regions = [r for r in regions if r[1] is not None]
    title = _("各地区完成率与时间进度")
    pace_text = pct(pace) if pace is not None else "—"
    alt = title + "：" + _("时间进度 %(pace)s") % {"pace": pace_text} + "；" + "，".join(
        f"{name} {pct(ratio)}" + (_("（落后）") if behind else "") for name, ratio, behind in regions)
    if not regions:
        return Chart("regions", title, alt, note=_("图表「%(title)s」未生成：没有设定月度目标的地区。") % {"title": title})
    top, bottom, row = 46, 34, 28  # CSS px: title, x axis, one bar
    height = top + bottom + row * len(regions)
    fig = _figure(height)
    ax = fig.add_axes((0.2, bottom / height, 0.76, row * len(regions) / height))
    names = [r[0] for r in regions][::-1]
    values = [float(r[1]) * 100 for r in regions][::-1]
    colors = ["#c62828" if r[2] else "#1846a3" for r in regions][::-1]
    ax.barh(names, values, color=colors, height=0.6)
    for y, v in enumerate(values):
        ax.text(v, y, f" {pct(Decimal(v) / 100)}", va="center", fontsize=18, fontfamily=family)
    ax.set_ylim(-0.6, len(values) - 0.4)
    if pace is not None:
        ax.axvline(float(pace) * 100, color="#a26100", linewidth=3, linestyle="--",
                   label=_("时间进度 %(pace)s") % {"pace": pace_text})
        ax.legend(prop={"family": family, "size": 18}, frameon=False, loc="lower left", bbox_to_anchor=(0.55, 1.0),
                  borderaxespad=0.2)
    ax.set_xlim(0, max([*values, float(pace or 0) * 100, 100]) * 1.18)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f}%")
    ax.set_title(title, fontsize=24, fontfamily=family, loc="left", x=-0.25, pad=12)
    _style(ax, family)
    png, w, h = _png(fig)
    return Chart("regions", title, alt, png, width=w, height=h)


def trend_chart(data: dict, family: str) -> Chart:
    """本月累计回款 (targeted branches, up to the business day) against the target pace."""
    trend = data.get("trend")
    title = _("本月累计回款与目标进度")
    if not trend or not trend.get("collected"):
        return Chart("trend", title, title, note=_("图表「%(title)s」未生成：本月没有月度目标。") % {"title": title})
    days = [dt.date.fromisoformat(d) for d in trend["days"]]
    collected = [float(Decimal(v)) / 10000 for v in trend["collected"]]
    goal = [float(Decimal(v)) / 10000 for v in trend["pace"]]
    n = len(collected)
    alt = title + "：" + _("截至 %(day)s 累计 %(done)s 元，按时间进度应达 %(due)s 元（月度目标 %(target)s 元）") % {
        "day": trend["days"][n - 1], "done": money_text(trend["collected"][-1]), "due": money_text(trend["pace"][n - 1]),
        "target": money_text(trend["target"])}
    from matplotlib.ticker import MaxNLocator

    fig = _figure(280)
    ax = fig.add_axes((0.12, 0.14, 0.84, 0.68))
    x = list(range(len(days)))
    ax.plot(x, goal, color="#a26100", linewidth=3, linestyle="--", label=_("目标进度"))
    behind = collected[-1] < goal[n - 1]
    ax.plot(x[:n], collected, color="#c62828" if behind else "#1846a3", linewidth=4, marker="o", markersize=7,
            label=_("累计回款"))
    ticks = sorted({0, len(days) - 1, n - 1, *(i for i in range(0, len(days), 5) if abs(i - (n - 1)) > 2)})
    if n - 1 < len(days) - 1 and len(days) - 1 - (n - 1) <= 2:  # the business day near month end: label it
        ticks.remove(len(days) - 1)
    ax.set_xticks(ticks, [days[i].strftime("%m-%d") for i in ticks])
    ax.set_ylim(0, max([*collected, *goal]) * 1.12 or 1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(lambda y, _pos: f"{y:,.0f}" if y >= 10 else f"{y:,.1f}".rstrip("0").rstrip("."))
    ax.set_ylabel(_("万元"), fontsize=18, fontfamily=family)
    ax.legend(prop={"family": family, "size": 18}, frameon=False, loc="upper left")
    ax.set_title(title, fontsize=24, fontfamily=family, loc="left", pad=18)
    _style(ax, family)
    png, w, h = _png(fig)
    return Chart("trend", title, alt, png, width=w, height=h)


def summary_charts(data: dict) -> list[Chart]:
    """Both charts of a (whole-company) summary; [] for a restricted view. Each chart that
    fails comes back with a note and no image."""
    data = current(data)
    if data.get("restricted") or not data.get("total"):
        return []
    family = _font()
    out = []
    for make, key, title in ((regions_chart, "regions", _("各地区完成率与时间进度")),
                             (trend_chart, "trend", _("本月累计回款与目标进度"))):
        if family is None:
            out.append(Chart(key, title, title, note=_("图表「%(title)s」未生成：服务器缺少中文字体。") % {"title": title}))
            continue
        try:
            out.append(make(data, family))
        except Exception:
            log.exception("summary chart %s failed", key)
            out.append(Chart(key, title, title, note=_("图表「%(title)s」未能生成，数字见下表。") % {"title": title}))
    return out
