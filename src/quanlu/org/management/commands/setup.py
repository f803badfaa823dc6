"""`quanlu setup`: the first agency on a new installation, its rulebook and its first
administrator, without demo data. Interactive (prompts in Chinese) or not (flags and/or
``--file setup.yaml``); refuses to set up the same agency twice."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quanlu.core.errors import DomainError
from quanlu.org import services
from quanlu.org.models import Agency, AgencyKind, AgencyLevel, Region, Role
from quanlu.rulebooks.loader import all_rulebooks

# (option, YAML key, prompt, required)
FIELDS = [
    ("region_code", "region_code", "行政区划代码（如 520300）", True),
    ("region_name", "region_name", "行政区划名称（如 遵义市；区划已登记时可留空）", False),
    ("agency_code", "agency_code", "机关代码（字母、数字、连字符，如 zunyi-env）", True),
    ("agency_name", "agency_name", "机关名称（如 遵义市生态环境局）", True),
    (
        "kind",
        "kind",
        "机关类别（enforcement 行政执法机关 / justice 司法行政部门 / supervising 其他监督部门）",
        True,
    ),
    ("level", "level", "层级（province 省级 / city 市级 / county 县级 / department 内设机构）", True),
    ("parent", "parent", "上级机关代码（没有可留空）", False),
    ("rulebook", "rulebook", "适用规则集", False),
    ("case_prefix", "case_prefix", "案号前缀（如 遵环）", False),
    ("uscc", "uscc", "统一社会信用代码（可留空）", False),
    ("admin_username", "admin_username", "管理员用户名", True),
    ("admin_name", "admin_name", "管理员姓名", True),
]
DEFAULTS = {"kind": AgencyKind.ENFORCEMENT.value, "level": AgencyLevel.CITY.value}


class Command(BaseCommand):
    help = "首次设置：登记第一个机关（含适用规则集）及其系统管理员，不载入演示数据。"

    def add_arguments(self, parser: Any) -> None:
        for option, _, prompt, _ in FIELDS:
            parser.add_argument("--" + option.replace("_", "-"), dest=option, help=prompt)
        parser.add_argument("--file", help="YAML 文件，键名同上（用下划线），如 agency_code: zunyi-env")
        parser.add_argument(
            "--password-file", help="管理员密码所在文件（第一行）；交互方式下可不填而按提示输入"
        )
        parser.add_argument("--no-input", action="store_true", help="不提示输入；缺少必填项时报错")

    def handle(self, *args: Any, **options: Any) -> None:
        values: dict[str, str] = dict(DEFAULTS)
        if options["file"]:
            values.update(_read_yaml(options["file"]))
        values.update({k: str(options[k]) for k, _, _, _ in FIELDS if options.get(k) is not None})
        interactive = not options["no_input"] and not options["file"] and sys.stdin.isatty()
        if interactive:
            self._ask(values)
        if values.get("kind", "") == AgencyKind.ENFORCEMENT and not values.get("rulebook"):
            raise CommandError(
                "行政执法机关须指定适用规则集（--rulebook）。可选：" + ", ".join(sorted(all_rulebooks()))
            )
        missing = [prompt for key, _, prompt, required in FIELDS if required and not values.get(key)]
        if missing:
            raise CommandError("缺少必填项：" + "；".join(missing))
        password = self._password(options, interactive)
        if Agency.objects.filter(code=values["agency_code"]).exists():
            raise CommandError(
                f"机关 {values['agency_code']} 已设置，不能重复设置。请登录后在「机构管理」中修改。"
            )
        try:
            agency, admin = _setup(values, password)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已登记机关：{agency.name}（{agency.code}），适用规则集：{agency.rulebook_id or '不适用'}"
        )
        self.stdout.write(f"已创建系统管理员：{admin.full_name}（用户名 {admin.username}）")
        self.stdout.write("下一步：quanlu serve，登录后在「机构管理」中新增人员或批量导入。")

    def _ask(self, values: dict[str, str]) -> None:
        books = all_rulebooks()
        self.stdout.write("全录首次设置。直接回车保留方括号中的值。")
        for key, _, prompt, _ in FIELDS:
            if key == "rulebook":
                if values.get("kind") != AgencyKind.ENFORCEMENT:
                    continue
                self.stdout.write("可选规则集：")
                for book_id, versions in sorted(books.items()):
                    self.stdout.write(f"  {book_id}  {versions[-1].title}")
            if key == "region_name" and Region.objects.filter(code=values.get("region_code", "")).exists():
                continue
            current = values.get(key, "")
            answer = input(f"{prompt}{f' [{current}]' if current else ''}：").strip()
            if answer:
                values[key] = answer

    def _password(self, options: dict[str, Any], interactive: bool) -> str:
        if options["password_file"]:
            try:
                lines = Path(options["password_file"]).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise CommandError(f"无法读取密码文件：{exc}") from exc
            if not lines or not lines[0]:
                raise CommandError("密码文件为空。")
            return lines[0]
        if not interactive:
            raise CommandError("请用 --password-file 提供管理员密码（非交互方式）。")
        first = getpass.getpass("管理员密码（至少10位，不能是常见密码或纯数字）：")
        if getpass.getpass("再次输入密码：") != first:
            raise CommandError("两次输入的密码不一致。")
        return first


def _read_yaml(path: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CommandError(f"无法读取设置文件 {path}：{exc}") from exc
    if not isinstance(data, dict):
        raise CommandError("设置文件应为键值对（YAML 映射）。")
    known = {yaml_key for _, yaml_key, _, _ in FIELDS}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise CommandError("设置文件中有未知的键：" + "、".join(unknown))
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


@transaction.atomic
def _setup(values: dict[str, str], password: str) -> tuple[Agency, Any]:
    """All or nothing: region (when new), agency, administrator."""
    region = Region.objects.filter(code=values["region_code"]).first()
    if region is None:
        if not values.get("region_name"):
            raise CommandError(f"行政区划 {values['region_code']} 尚未登记，请填写行政区划名称。")
        region = services.region_create(actor=None, code=values["region_code"], name=values["region_name"])
    parent = None
    if values.get("parent"):
        parent = Agency.objects.filter(code=values["parent"]).first()
        if parent is None:
            raise CommandError(f"上级机关 {values['parent']} 不存在。")
    agency = services.agency_create(
        actor=None,
        code=values["agency_code"],
        name=values["agency_name"],
        kind=values["kind"],
        level=values["level"],
        region=region,
        parent=parent,
        rulebook_id=values.get("rulebook", "") if values["kind"] == AgencyKind.ENFORCEMENT else "",
        case_prefix=values.get("case_prefix", ""),
        uscc=values.get("uscc", ""),
    )
    admin = services.officer_create(
        actor=None,
        agency=agency,
        username=values["admin_username"],
        full_name=values["admin_name"],
        password=password,
        roles=[Role.ADMINISTRATOR],
        role_reason="首次设置",
    )
    return agency, admin
