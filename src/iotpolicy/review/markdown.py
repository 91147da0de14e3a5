"""The review pack as Markdown: what ``review --dry-run`` prints and the record
``reviews/<date>-v<version>.md`` keeps (the ``review.md.j2`` template)."""

from __future__ import annotations

from typing import Any

from iotpolicy.register import load_register
from iotpolicy.reports.templating import render_report
from iotpolicy.reports.views import ReportInput, common, trend_view
from iotpolicy.review.pack import Pack, Question, approved_on

TEMPLATE = "review.md.j2"
"""The review pack's and review record's template (a register may override it)."""


def render(pack: Pack, *, record: bool = False) -> str:
    """The review pack (or, with ``record``, the review record of the decision) as Markdown, from
    ``review.md.j2`` (a register's own override renders in the sandbox)."""
    data = ReportInput(load_register(pack.root), pack.result, pack.state)
    context: dict[str, Any] = {
        **common(data),
        "title": "Policy review record" if record else "Policy review pack",
        "record": record,
        "pack": pack,
        "decision": pack.decision,
        "questions": [
            Question(q.key, q.text, (pack.decision.answers.get(q.key) if pack.decision else None))
            for q in pack.questions
        ],
        "change_lists": pack.change_lists(),
        "open_errors": pack.open_errors,
        "candidates": pack.open_candidates,
        "summary": pack.summary,
        "trend_view": trend_view(pack.trend) if pack.trend else None,
        "approved_on": approved_on(pack.revision),
    }
    return render_report(TEMPLATE, context, pack.root)
