"""`quanlu token create USERNAME --label L`: issue an API token (printed once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quanlu.core.errors import DomainError
from quanlu.org.models import Officer
from quanlu.org.services import api_token_create


class Command(BaseCommand):
    help = "接口令牌：create 为用户签发令牌（仅显示一次）。"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--label", default="命令行签发")

    def handle(self, *args: Any, **options: Any) -> None:
        officer = Officer.objects.filter(username=options["username"]).first()
        if officer is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        try:
            _, raw = api_token_create(actor=officer, officer=officer, label=options["label"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
