"""Demo data shows every state and is idempotent."""

from customers.partners import demo
from customers.partners.models import Agreement, AgreementStage, EventKind, OriginalState, PartnerEvent


def test_rich_demo_every_state_and_idempotent(org_a):
    with org_a.scope():
        demo.seed(tenant=org_a.tenant, personas=org_a.users, rich=True)
        n = Agreement.objects.count()
        demo.seed(tenant=org_a.tenant, personas=org_a.users, rich=True)
        assert Agreement.objects.count() == n
        states = set(Agreement.objects.values_list("original_state", flat=True))
        assert states >= {OriginalState.TO_SEND, OriginalState.SENT, OriginalState.RECEIVED, OriginalState.ARCHIVED}
        stages = set(Agreement.objects.values_list("stage", flat=True))
        assert stages >= {AgreementStage.DRAFT, AgreementStage.SIGNED, AgreementStage.TERMINATED}
        assert PartnerEvent.objects.filter(kind=EventKind.RETURNED).exists()
        assert PartnerEvent.objects.filter(kind=EventKind.RENEWED).exists()
