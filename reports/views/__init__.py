from .data import (  # noqa: F401
    calendar_view,
    collection_list,
    import_confirm_view,
    import_detail,
    import_list,
    import_progress,
    import_template,
    override_delete_view,
    partner_list,
    partner_paper,
    roster_list,
    target_edit,
    target_list,
)
from .filing import board, board_rows, report_detail, report_edit, report_file, report_list  # noqa: F401
from .statistics import statistics_view  # noqa: F401
from .summaries import recipients_view, summary_detail, summary_file, summary_list, summary_resend  # noqa: F401
