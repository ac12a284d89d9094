"""The move of the engine from the ``marketing`` app to its own ``approvals`` app keeps every
row: a database that stood at ``marketing`` 0002 with approval rows in it migrates forward
and the rows are read back through the new models, relations and content types intact.
Runs on SQLite and on PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps as live_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from marketing.approvals.models import (
    ApprovalChain,
    ApprovalChainStep,
    ApprovalComment,
    ApprovalDelegation,
    ApprovalDigest,
    ApprovalFlow,
    ApprovalStep,
    ApprovalTask,
)

BEFORE_MOVE = [("marketing", "0002_approvals"), ("approvals", None)]
MOVED = ["approvalchain", "approvalchainstep", "approvalflow", "approvalstep", "approvaltask",
         "approvalcomment", "approvaldelegation", "approvaldigest"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    fresh = MigrationExecutor(connection)  # the state of what is applied now
    return fresh._create_project_state(with_applied_migrations=True).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_models_belong_to_the_approvals_app_and_keep_their_tables():
    for name in MOVED:
        model = live_apps.get_model("approvals", name)
        assert model._meta.app_label == "approvals"
        assert model._meta.db_table == f"marketing_{name}"
    with pytest.raises(LookupError):
        live_apps.get_model("marketing", "ApprovalFlow")


@pytest.mark.django_db(transaction=True)
def test_existing_database_at_marketing_0002_keeps_its_approval_rows():
    old = _migrate(BEFORE_MOVE)
    # The state before the move: the models are marketing's, the approvals app has none.
    assert old.get_model("marketing", "ApprovalFlow")._meta.db_table == "marketing_approvalflow"
    with pytest.raises(LookupError):
        old.get_model("approvals", "ApprovalFlow")

    Tenant = old.get_model("marketing", "Tenant")
    User = old.get_model("marketing", "User")
    OldCT = old.get_model("contenttypes", "ContentType")
    M = {name: old.get_model("marketing", name) for name in MOVED}
    # An old database has content types for the models under ``marketing``.
    OldCT.objects.filter(app_label="approvals", model__in=MOVED).delete()
    old_ct_ids = {name: OldCT.objects.get_or_create(app_label="marketing", model=name)[0].pk for name in MOVED}

    now = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
    tenant = Tenant.objects.create(name="旧公司", slug="old-co", marketing_mailbox="m@old.test")
    applicant = User.objects.create(username="old-applicant", full_name="旧申请人")
    approver = User.objects.create(username="old-approver", full_name="旧审批人")
    chain = M["approvalchain"].objects.create(tenant=tenant, document_type="expenses.request", updated_by=approver)
    M["approvalchainstep"].objects.create(tenant=tenant, chain=chain, position=1, name="总经理审批",
                                          kind="approve", role="general_manager", scope="tenant", mode="any")
    flow = M["approvalflow"].objects.create(
        tenant=tenant, document_type="expenses.request", object_id=41, title="旧单据", url="/x/41/",
        applicant=applicant, status="in_progress", round=1, current_position=1, version=3, started_at=now,
    )
    step = M["approvalstep"].objects.create(tenant=tenant, flow=flow, round=1, position=1, name="总经理审批",
                                            kind="approve", role="general_manager", scope="tenant", mode="any",
                                            status="active")
    M["approvaltask"].objects.create(tenant=tenant, flow=flow, step=step, assignee=approver, status="pending")
    M["approvalcomment"].objects.create(tenant=tenant, flow=flow, author=applicant, body="请审批")
    M["approvaldelegation"].objects.create(tenant=tenant, delegator=approver, delegate=applicant,
                                           starts_on=now.date(), ends_on=now.date())
    M["approvaldigest"].objects.create(tenant=tenant, user=approver, day=now.date(), pending_count=1)

    _migrate(_leaves())
    ContentType.objects.clear_cache()

    with scopes_disabled():
        flow_now = ApprovalFlow.objects.get(pk=flow.pk)
        assert (flow_now.title, flow_now.version, flow_now.applicant.username) == ("旧单据", 3, "old-applicant")
        task = ApprovalTask.objects.select_related("step", "assignee").get(flow=flow_now)
        assert (task.step.pk, task.step.name, task.assignee.username, task.status) == (
            step.pk, "总经理审批", "old-approver", "pending")
        assert list(ApprovalChainStep.objects.filter(chain__pk=chain.pk).values_list("name", flat=True)) == ["总经理审批"]
        assert ApprovalChain.objects.get(pk=chain.pk).updated_by.username == "old-approver"
        assert ApprovalComment.objects.get(flow=flow_now).body == "请审批"
        assert ApprovalDelegation.objects.filter(delegator__username="old-approver").count() == 1
        assert ApprovalDigest.objects.get(user__username="old-approver").pending_count == 1
        assert ApprovalStep.objects.filter(flow=flow_now).count() == 1
        # New rows still get fresh ids after the move (the sequences came along).
        nxt = ApprovalFlow.objects.create(
            tenant_id=tenant.pk, document_type="expenses.request", object_id=42, title="新单据", url="/x/42/",
            applicant_id=applicant.pk, started_at=now,
        )
        assert nxt.pk > flow.pk
    # Content types moved with the models (same ids), none left behind under marketing.
    for name in MOVED:
        assert ContentType.objects.get(app_label="approvals", model=name).pk == old_ct_ids[name]
    assert not ContentType.objects.filter(app_label="marketing", model__in=MOVED).exists()


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_unapplied_and_reapplied():
    _migrate(BEFORE_MOVE)
    apps_back = _migrate(_leaves())
    assert apps_back.get_model("approvals", "ApprovalFlow")._meta.db_table == "marketing_approvalflow"
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert {f"marketing_{name}" for name in MOVED} <= tables
    assert not any(t.startswith("approvals_approval") for t in tables)  # no copy of a moved table
