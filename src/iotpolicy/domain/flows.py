"""Which flows the security zones never allow (3.2): SEG-002 reports them, the network report
draws them."""

from __future__ import annotations

from iotpolicy.models import Flow, Segment
from iotpolicy.models.enums import Zone


def forbidden_flow(source: Segment, flow: Flow, target: Segment | None) -> str | None:
    """Why the zones never allow ``flow`` out of ``source`` (3.2), or None: a ``guest`` or
    ``corporate`` segment reaching an ``ot`` segment, or an ``ot`` segment reaching ``internet``.
    ``target``: the segment the flow goes to, None for the internet or an unknown id."""
    if source.zone in (Zone.GUEST, Zone.CORPORATE) and target and target.zone is Zone.OT:
        return f"{source.zone.value} segment has a flow to ot segment '{target.id}'"
    if source.zone is Zone.OT and flow.to == "internet":
        return "ot segment has a flow to the internet"
    return None
