from reports.models import ImportKind

from ._importing import ImportCommand


class Command(ImportCommand):
    help = "Import the roster xlsx for one tenant (all rows valid or nothing is imported)."
    kind = ImportKind.ROSTER
