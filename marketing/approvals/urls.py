from django.urls import path

from marketing.approvals import views
from marketing.approvals.models import (
    ApprovalComment,
    ApprovalDelegation,
    ApprovalFlow,
    Position,
    PositionHolder,
)
from marketing.tenancy import object_path

# The shared approval machinery's pages: inbox 待我审批, 我发起的, flows, delegations, chain editor.
app_name = "approvals"
urlpatterns: list = [
    path("", views.inbox, name="inbox"),
    path("mine/", views.mine, name="mine"),
    object_path("flows/<int:pk>/", views.flow_detail, name="flow", model=ApprovalFlow),
    object_path("flows/<int:pk>/act/", views.act, name="act", model=ApprovalFlow),
    object_path("files/<int:pk>/", views.comment_file, name="comment_file", model=ApprovalComment),
    path("delegations/", views.delegations, name="delegations"),
    object_path("delegations/<int:pk>/revoke/", views.delegation_revoke, name="delegation_revoke",
                model=ApprovalDelegation),
    path("positions/", views.positions, name="positions"),
    object_path("positions/<int:pk>/", views.position_detail, name="position", model=Position),
    object_path("position-holders/<int:pk>/remove/", views.position_holder_remove, name="position_holder_remove",
                model=PositionHolder),
    path("chains/", views.chains, name="chains"),
    path("chains/<str:key>/", views.chain_edit, name="chain_edit"),
]
