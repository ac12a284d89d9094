from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Approval forms any tenant defines (审批模板, issue 15): templates, versions, requests.
    Each template is a member ``form:<pk>`` of a document family on the approval engine."""

    name = "marketing.workflows"
    label = "workflows"
    verbose_name = "审批表单"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .approval import register_document_family

        register_document_family()
