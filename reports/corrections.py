"""A resend says what it is (issue 8). The figures of the first summary that actually went
out are kept on the summary row (``DailySummary.first_figures``); a later generation is
compared with them: when anything changed, the e-mail is the corrected version (更正版)
and lists each change (old -> new); when nothing changed it says it is a plain resend.

Pure functions over the compiled summary data (see ``summary.compile_summary``)."""

from __future__ import annotations

import hashlib
import json

from .summary import current, pct, ratio_of

FIELDS = (  # (key, label, kind) compared per branch, region and total
    ("headcount", "销售人数", "int"),
    ("day_amount", "当日回款", "money"),
    ("mtd", "本月累计回款", "money"),
    ("target", "月度目标", "money"),
    ("rate", "完成率", "rate"),
)


def _report_digest(report: dict | None) -> str | None:
    if report is None:
        return None
    return hashlib.sha256(json.dumps(report, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def figures(data: dict) -> dict:
    """The comparable part of a summary: per branch, region and the company total."""
    data = current(data)
    keys = [k for k, _label, _kind in FIELDS]

    def pick(item: dict) -> dict:  # + the unrounded ratio, so a change reads as the summary rounds it
        ratio = ratio_of(item)
        return {**{k: item.get(k) for k in keys}, "ratio": None if ratio is None else str(ratio)}

    return {
        "rows": {
            r["code"]: {"branch": r["branch"], **pick(r), "state_label": r.get("state_label"),
                        "report": _report_digest(r.get("report"))}
            for r in data.get("rows") or []
        },
        "regions": {g["region"]: pick(g) for g in data.get("regions") or []},
        "total": pick(data["total"]) if data.get("total") else None,
    }


def _show(value, kind: str, key: str) -> str:
    if value is None:
        return "无目标" if key == "target" else "—"
    if kind == "rate":
        return pct(value)
    if kind == "money":
        return f"{float(value):,.2f}"
    return str(value)


def changes(first: dict, now: dict) -> list[dict]:
    """What differs between two ``figures()`` snapshots, in reading order: each change is
    ``{"what", "field", "old", "new"}`` with display strings."""
    out: list[dict] = []

    def compare(what: str, old: dict | None, new: dict | None) -> None:
        old, new = old or {}, new or {}
        for key, label, kind in FIELDS:
            if kind == "rate":  # compared as shown (one rounding of the unrounded ratio)
                # figures stored before "ratio" existed keep their 4-place rate (a group's mtd there
                # includes untargeted branches, so it cannot be derived)
                before, after = (_show(x.get("ratio", x.get(key)), kind, key) for x in (old, new))
                if before != after:
                    out.append({"what": what, "field": label, "old": before, "new": after})
            elif old.get(key) != new.get(key):
                out.append({"what": what, "field": label, "old": _show(old.get(key), kind, key),
                            "new": _show(new.get(key), kind, key)})

    old_rows, new_rows = first.get("rows") or {}, now.get("rows") or {}
    for code, row in new_rows.items():
        before = old_rows.get(code)
        if before is None:
            out.append({"what": row["branch"], "field": "分公司", "old": "—", "new": "新增"})
            continue
        compare(row["branch"], before, row)
        if before.get("state_label") != row.get("state_label"):
            out.append({"what": row["branch"], "field": "日报状态", "old": before.get("state_label") or "—",
                        "new": row.get("state_label") or "—"})
        elif before.get("report") != row.get("report") and before.get("report") and row.get("report"):
            out.append({"what": row["branch"], "field": "日报内容", "old": "首次发送版本", "new": "已修订"})
    for code, row in old_rows.items():
        if code not in new_rows:
            out.append({"what": row["branch"], "field": "分公司", "old": "在列", "new": "不再列出"})
    for name, group in (now.get("regions") or {}).items():
        compare(f"{name} 小计", (first.get("regions") or {}).get(name), group)
    if first.get("total") or now.get("total"):
        compare("公司合计", first.get("total"), now.get("total"))
    return out


def mark(data: dict, *, generation: int, first_figures: dict | None, first_sent_at: str | None) -> dict:
    """Label a summary about to be sent: the first send is left alone; a later generation
    gets ``resend`` (generation, when the first went out) and, when figures changed since,
    ``correction`` with the list of changes."""
    if generation <= 1 or not first_figures:
        return data
    diff = changes(first_figures, figures(data))
    data = {**data, "resend": {"generation": generation, "first_sent_at": first_sent_at, "changed": bool(diff)}}
    if diff:
        data["correction"] = {"changes": diff}
    return data
