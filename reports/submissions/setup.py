"""A new tenant starts with the seeds' submission rules (see defaults.py)."""

from .defaults import ensure_default_rules


def tenant_created(*, tenant, actor=None) -> None:
    ensure_default_rules(tenant=tenant, actor=actor)
