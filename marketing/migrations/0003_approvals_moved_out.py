"""The approval models leave the ``marketing`` state for the ``approvals`` app
(``marketing/approvals/migrations/0001_initial.py``). State only: the tables created by 0002
stay, with their rows, under their old names (the models say so with ``Meta.db_table``)."""

from django.db import migrations

# Children before parents, so no model in the state ever points at a deleted one.
MOVED = [
    "ApprovalTask", "ApprovalStep", "ApprovalComment", "ApprovalDigest", "ApprovalDelegation",
    "ApprovalFlow", "ApprovalChainStep", "ApprovalChain",
]


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0002_approvals"),
        ("approvals", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
