from contracts.models import ImportKind

from ._contract_import import ImportCommand


class Command(ImportCommand):
    help = "Import the contract ledger's voids from an xlsx file (all rows or none)."
    kind = ImportKind.VOIDS
