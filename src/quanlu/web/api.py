"""The officer's to-do list over the API (``GET /api/v1/todo``): the same items as the
工作台, by group, each with the page that resolves it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from quanlu.api.base import ERRORS, officer_of
from quanlu.web.todo import todo_for

router = Router(tags=["工作台"])


class TodoItemOut(Schema):
    title: str
    url: str
    action: str
    case_number: str
    detail: str
    level: str


class TodoGroupOut(Schema):
    code: str
    label: str
    items: list[TodoItemOut]


@router.get("/todo", response={200: list[TodoGroupOut], **ERRORS}, summary="我的待办")
def todo(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": g.code,
            "label": g.label,
            "items": [
                {
                    "title": i.title,
                    "url": i.url,
                    "action": i.action,
                    "case_number": i.case_number,
                    "detail": i.detail,
                    "level": i.level,
                }
                for i in g.items
            ],
        }
        for g in todo_for(officer_of(request))
    ]
