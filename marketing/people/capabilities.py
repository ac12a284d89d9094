"""The labels of the capabilities this app appended to ``marketing/roles.py``, repeated here so
that ``makemessages`` in this app extracts them into its own catalogue (the shared marketing
catalogue is left alone). Keep the two in step."""

from django.utils.translation import gettext_lazy as _

LABELS = (
    _("花名册对账、岗位角色对照、邀请、调岗与全部离职交接"),
    _("办理所辖人员的离职交接"),
)
