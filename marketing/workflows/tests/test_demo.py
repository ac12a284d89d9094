"""The demo seed (rich and plain) is idempotent and gives every object page an instance."""

from __future__ import annotations

import pytest

from marketing.approvals import demo as approvals_demo
from marketing.approvals.models import ApprovalChain
from marketing.workflows import demo
from marketing.workflows.models import FormAttachment, FormRequest, FormTemplate

pytestmark = pytest.mark.django_db


def test_rich_demo_twice(org_a, django_capture_on_commit_callbacks):
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        approvals_demo.seed(tenant=org_a.tenant, personas=org_a.users, rich=True)
        for _ in range(2):
            demo.seed(tenant=org_a.tenant, personas=org_a.users, rich=True)
        assert FormTemplate.objects.filter(tenant=org_a.tenant).count() == 10
        assert FormRequest.objects.filter(tenant=org_a.tenant).count() == 3
        assert FormAttachment.objects.filter(tenant=org_a.tenant).count() == 1
        sc1 = FormTemplate.objects.get(tenant=org_a.tenant, code="SC-001")
        chain = ApprovalChain.objects.get(tenant=org_a.tenant, document_type=sc1.approval_key)
        assert len(chain.signoff_users) >= 2 and chain.version == 2  # S004-01: the list is set once
