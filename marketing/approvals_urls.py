from django.urls import path  # noqa: F401

# The shared approval machinery's pages (inbox 待我审批, 我发起的, chain editor) go here.
app_name = "approvals"
urlpatterns: list = []
