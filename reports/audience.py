"""Who receives which version of the daily summary. Each recipient gets what they may see
in the app (``selectors.summary_branch_ids``): the whole summary, or -- when the tenant
turned ``summary_all_branches_to_branch_gm`` off -- only their own branches' rows. Readers
with the same reach share one message; the whole summary keeps the summary's Message-ID,
a restricted version gets a Message-ID derived from it and its branch set (so a retry
repeats the same ids)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from marketing.models import Membership

from .selectors import summary_branch_ids
from .summary import restrict


@dataclass
class Parcel:
    addresses: list[str]
    data: dict
    msg_id: str
    branch_ids: frozenset[int] | None


def _restricted_id(msg_id: str, branch_ids: frozenset[int]) -> str:
    digest = hashlib.sha256(",".join(map(str, sorted(branch_ids))).encode()).hexdigest()[:10]
    local, _, domain = msg_id.strip("<>").partition("@")
    return f"<{local}.b{digest}@{domain}>"


def parcels(*, tenant, data: dict, users, msg_id: str) -> list[Parcel]:
    """Group the recipients by what they may see. Recipients whose reach is empty (no
    branch at all) get nothing."""
    by_user = {
        m.user_id: m
        for m in Membership.objects.filter(tenant=tenant, user__in=[u.pk for u in users], is_active=True)
        .select_related("tenant").prefetch_related("role_assignments")
    }
    groups: dict[frozenset[int] | None, set[str]] = {}
    for user in users:
        if not user.email:
            continue
        membership = by_user.get(user.pk)
        if membership is None:
            continue
        ids = summary_branch_ids(membership=membership)
        key = None if ids is None else frozenset(ids)
        if key is not None and not key:
            continue
        groups.setdefault(key, set()).add(user.email)
    out = []
    for key in sorted(groups, key=lambda k: (k is not None, sorted(k or ()))):
        if key is None:
            out.append(Parcel(sorted(groups[key]), data, msg_id, None))
        else:
            out.append(Parcel(sorted(groups[key]), restrict(data, set(key)), _restricted_id(msg_id, key), key))
    return out
