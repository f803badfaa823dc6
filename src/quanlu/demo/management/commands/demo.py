"""`quanlu demo`: load the demo data (idempotent) and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from quanlu.demo import loader
from quanlu.org.models import Role


class Command(BaseCommand):
    help = "载入演示数据（可重复执行）并列出演示账号。"

    def handle(self, *args: Any, **options: Any) -> None:
        people = loader.load()
        self.stdout.write(f"演示账号（密码均为 {loader.DEMO_PASSWORD}）：")
        for username, officer in sorted(people.items(), key=lambda kv: (kv[1].agency_id or 0, kv[0])):
            roles = "、".join(Role(r).label for r in sorted(officer.role_set()))
            agency = officer.agency.name if officer.agency else ""
            self.stdout.write(f"  {username:<16} {officer.full_name:<4} {agency} · {roles}")
