"""Login auditing. Receivers only record; no business logic lives in signals."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django_scopes import scopes_disabled

from .audit import audit_record
from .tenancy import membership_for


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs):
    membership = membership_for(user)
    audit_record(
        tenant=membership.tenant if membership else None, actor=user, verb="auth.login", request=request
    )


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    membership = membership_for(user)
    audit_record(
        tenant=membership.tenant if membership else None, actor=user, verb="auth.logout", request=request
    )


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    from .models import User

    username = (credentials or {}).get("username", "")[:150]
    with scopes_disabled():
        user = User.objects.filter(username=username).first()
    membership = membership_for(user) if user else None
    audit_record(
        tenant=membership.tenant if membership else None,
        actor=user,
        verb="auth.login_failed",
        request=request,
        after={"username": username},
        object_label=username,
    )
