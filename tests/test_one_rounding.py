"""Every rate shown to people rounds once, to one place, half up (the daily summary's rule):
64.25 % reads 64.3 % on the summary, its chat card and the contracts' 动销率 alike."""

from decimal import Decimal

from reports.mailing import summary_card_lines
from reports.summary import pct


def test_summary_chat_card_and_sell_through_agree_on_a_tie():
    assert pct("0.6425") == "64.3%"  # Python's format() would say 64.2 % (half to even)
    card = summary_card_lines({"total": {"rate": "0.6425", "mtd": "1"}, "regions": [], "not_filed": []})
    assert "64.3%" in card[0]

    from contracts.models import ContractRequest

    request = ContractRequest()
    request.rate = Decimal("0.6425")
    assert request.rate_display == "64.3%"
