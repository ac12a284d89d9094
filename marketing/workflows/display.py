"""Values of a request as people read them (detail page, xlsx, PDF): relations by name,
money with two decimals, date ranges joined. ``Names`` loads every referenced person,
branch, customer and partner of many requests in four queries."""

from __future__ import annotations

from decimal import Decimal

from .models import FieldType


class Names:
    def __init__(self, *, tenant, requests):
        from customers.models import Customer
        from customers.partners.models import Partner
        from marketing.models import Branch, User

        users, branches, customers, partners = set(), set(), set(), set()
        for req in requests:
            for f in req.version.fields:
                v = req.values.get(f["key"])
                if v is None:
                    continue
                if f["type"] == FieldType.PEOPLE:
                    users.update(v)
                elif f["type"] == FieldType.BRANCH:
                    branches.add(v)
                elif f["type"] == FieldType.CUSTOMER:
                    customers.add(v)
                elif f["type"] == FieldType.PARTNER:
                    partners.add(v)
        self.users = {u.pk: u.display_name for u in User.objects.filter(pk__in=users, membership__tenant=tenant)} \
            if users else {}
        self.branches = dict(Branch.objects.filter(tenant=tenant, pk__in=branches).values_list("pk", "name")) \
            if branches else {}
        self.customers = dict(Customer.objects.filter(tenant=tenant, pk__in=customers).values_list("pk", "name")) \
            if customers else {}
        self.partners = dict(Partner.objects.filter(tenant=tenant, pk__in=partners).values_list("pk", "name")) \
            if partners else {}


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def text_of(field, value, names: Names) -> str:
    kind = field["type"]
    if value is None or value == "" or value == []:
        return ""
    if kind == FieldType.MONEY:
        return money(value)
    if kind == FieldType.DATERANGE:
        return f"{value[0]} ~ {value[1]}"
    if kind == FieldType.PEOPLE:
        return "、".join(names.users.get(u, "—") for u in value)
    if kind == FieldType.BRANCH:
        return names.branches.get(value, "—")
    if kind == FieldType.CUSTOMER:
        return names.customers.get(value, "—")
    if kind == FieldType.PARTNER:
        return names.partners.get(value, "—")
    if kind == FieldType.ATTACHMENT:
        return "、".join(i["name"] for i in value)
    if kind == FieldType.TABLE:
        cols = field["columns"]
        return "；".join("，".join(f"{c['label']} {row.get(c['key'], '')}" for c in cols) for row in value)
    return str(value)


def rows_of(req, names: Names) -> list[dict]:
    """[{field, text, value}] in the version's order, for the detail page."""
    out = []
    for f in req.version.fields:
        value = req.values.get(f["key"])
        item = {"field": f, "value": value, "text": text_of(f, value, names)}
        if f["type"] == FieldType.TABLE and value:
            item["table"] = [[_cell(c, row.get(c["key"], "")) for c in f["columns"]] for row in value]
            item["totals"] = _totals(f, value)
        out.append(item)
    return out


def _cell(col, value) -> str:
    return money(value) if col["type"] == FieldType.MONEY and value != "" else str(value)


def _totals(field, rows):
    from .validators import table_total

    sums = table_total(field, rows)
    if not sums:
        return None
    return [money(sums[c["key"]]) if c["type"] == FieldType.MONEY else
            (format(sums[c["key"]].normalize(), "f") if c["key"] in sums else "") for c in field["columns"]]
