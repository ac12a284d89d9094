import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.partners import services
from customers.partners.models import PartnerType

VALID = "91350100M000100Y43"
VALID2 = "91110108551385082Q"
VALID3 = "9144030071526726XG"
BAD_CHECK = "91350100M000100Y44"


def pdf(name="scan.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


class Maker:
    def __init__(self, org):
        self.org = org
        with org.scope():
            services.ensure_default_types(org.tenant)
            self.dealer = PartnerType.objects.get(tenant=org.tenant, code="dealer")
            self.shop = PartnerType.objects.get(tenant=org.tenant, code="repair_shop")

    def partner(self, name="恒通汽车销售", branch="A1", code="", type=None, actor="mspec", **kw):
        with self.org.scope():
            return services.partner_create(tenant=self.org.tenant, actor=self.org.users[actor],
                                           type=type or self.dealer, name=name, branch=self.org.branches[branch],
                                           credit_code=code, **kw)

    def agreement(self, partner, signed_on=None, starts_on=None, ends_on=None, actor="mspec", **kw):
        signed_on = signed_on or dt.date(2026, 11, 2)
        with self.org.scope():
            return services.agreement_create(
                partner=partner, actor=self.org.users[actor], signed_on=signed_on,
                starts_on=starts_on or signed_on, ends_on=ends_on or signed_on.replace(year=signed_on.year + 1), **kw)


@pytest.fixture
def make_a(org_a):
    return Maker(org_a)


@pytest.fixture
def make_b(org_b):
    return Maker(org_b)
