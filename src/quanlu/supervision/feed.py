"""The change feed for provincial platforms and data warehouses: every ledger event of
the agencies a supervisor may see, in the order the ledger fixed, paged by a cursor.

The order is the transparency logs', not the event sequence's. Event numbers are
handed out before their transactions commit, so a reader walking ``Event.seq`` could
pass a number whose transaction commits a moment later and never see it. A log's
leaf indexes are written only by the sequencer, one batch at a time under its lock,
and a batch becomes visible whole: once leaf *i* of a log is visible, so is every
leaf before it. The cursor therefore holds, per log, the last index delivered, and
a page is the next leaves of each log in turn. Events not yet integrated (at most
the sequencer's interval, ``QUANLU_LEDGER_INTERVAL``) appear on a later page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from quanlu.access.redaction import ShownEvent, events_for
from quanlu.access.selectors import content_view
from quanlu.cases.models import Case
from quanlu.core.errors import InvalidInput, PermissionDenied
from quanlu.ledger.models import Event, Leaf, Log
from quanlu.org.models import Officer, Role
from quanlu.org.selectors import visible_agencies

MAX_PAGE = 1000


@dataclass(frozen=True)
class FeedItem:
    log: Log
    index: int
    shown: ShownEvent


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    cursor: str  # where the next page starts; pass it back unchanged
    has_more: bool


def encode_cursor(positions: dict[str, int]) -> str:
    raw = json.dumps(positions, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        positions = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("游标无效：请原样传回上一页返回的 cursor。", field_name="cursor") from exc
    if not isinstance(positions, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= -1
        for k, v in positions.items()
    ):
        raise InvalidInput("游标无效：请原样传回上一页返回的 cursor。", field_name="cursor")
    return positions


def feed_page(officer: Officer, *, cursor: str = "", limit: int = 500) -> FeedPage:
    """The next ``limit`` events after ``cursor`` of the logs of the agencies
    ``officer`` may see. Supervisors and administrators only: the feed is how a
    platform above reads a whole tree, not how an officer reads a case."""
    if not (officer.has_role(Role.SUPERVISOR) or officer.has_role(Role.ADMINISTRATOR)):
        raise PermissionDenied("只有执法监督人员或系统管理员可以读取变更数据。")
    limit = max(1, min(limit, MAX_PAGE))
    positions = decode_cursor(cursor)
    logs = list(
        Log.objects.filter(agency__in=visible_agencies(officer)).select_related("agency").order_by("pk")
    )
    taken: list[tuple[Log, Leaf]] = []
    has_more = False
    for log in logs:
        key = log.public_id.hex
        after = positions.get(key, -1)
        room = limit - len(taken)
        leaves = list(Leaf.objects.filter(log=log, index__gt=after).order_by("index")[: room + 1])
        if len(leaves) > room:
            has_more = True
            leaves = leaves[:room]
        taken.extend((log, leaf) for leaf in leaves)
        if leaves:
            positions[key] = leaves[-1].index
        if has_more:
            break
    events = Event.objects.select_related("actor").in_bulk([leaf.event_seq for _, leaf in taken])
    case_uids = {e.case_uid for e in events.values() if e.case_uid is not None}
    view = content_view(officer, cases=Case.objects.filter(public_id__in=case_uids))
    items = []
    for log, leaf in taken:
        event = events.get(leaf.event_seq)
        if event is None:  # a deleted event row: the verifier's business, never the feed's silence
            raise RuntimeError(
                f"leaf {log.origin}#{leaf.index} names event {leaf.event_seq}, which is missing"
            )
        items.append(FeedItem(log, leaf.index, events_for(view, [event])[0]))
    return FeedPage(items=items, cursor=encode_cursor(positions), has_more=has_more)


def item_dict(item: FeedItem) -> dict[str, Any]:
    e = item.shown.event
    return {
        "log": item.log.origin,
        "index": item.index,
        "agency": item.log.agency.public_id if item.log.agency else None,
        "seq": e.seq,
        "id": e.uid,
        "type": e.type,
        "label": e.label,
        "at": e.occurred_at,
        "case": e.case_uid,
        "actor": {"id": e.actor.public_id, "name": e.actor.full_name} if e.actor else None,
        "payload": item.shown.payload,
    }
