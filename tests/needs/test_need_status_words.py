"""A need's status says what has happened: matching runs when it is submitted, never later."""

from __future__ import annotations

from tests.needs.test_need_pages import firm_client, market, results_of, submit

__all__ = ["firm_client", "market"]  # fixtures, shared with the need pages' tests


def test_a_submitted_need_reads_matched_not_awaiting_matching(app, firm_client, market):
    """The need is matched in the submitting transaction, so its pages never say 待匹配."""
    need_id = submit(firm_client)
    assert results_of(app, need_id)  # matching ran with the submission
    for url in (f"/firm/needs/{need_id}", "/firm/needs/"):
        page = firm_client.get(url).get_data(as_text=True)
        assert "已匹配，待申请" in page
        assert "待匹配" not in page
