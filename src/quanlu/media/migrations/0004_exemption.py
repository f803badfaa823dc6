# The exemption model, moved here from quanlu.rulebooks (the rules engine holds no
# models). Its table was created by rulebooks 0001 and keeps its name: only the state moves.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("media", "0003_verbose_names"),
        ("rulebooks", "0002_exemption_to_media"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Exemption",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(
                                default=uuid.uuid4, editable=False, unique=True, verbose_name="公开标识"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("unsuitable", "不适宜音像记录"),
                                    ("equivalent_means", "以音像记录以外的其他方式记录"),
                                ],
                                max_length=24,
                                verbose_name="除外情形",
                            ),
                        ),
                        (
                            "activity",
                            models.CharField(
                                choices=[
                                    ("onsite_inspection", "现场检查（勘验）"),
                                    ("sampling", "抽样取证（现场采样）"),
                                    ("onsite_inquiry", "现场询问"),
                                    ("hearing", "听证"),
                                    ("coercive_measure", "行政强制措施"),
                                    ("simplified_procedure", "简易程序执法行为"),
                                    ("lodged_service", "留置送达"),
                                    ("public_notice_service", "公告送达"),
                                    ("correction_verification", "改正情况核查（复查）"),
                                    ("restore_original_state", "排除妨碍、恢复原状"),
                                ],
                                max_length=32,
                                verbose_name="执法环节",
                            ),
                        ),
                        ("document_uid", models.UUIDField(verbose_name="对应文字记录")),
                        ("reason", models.TextField(max_length=2000, verbose_name="原因")),
                        (
                            "written_reason_uid",
                            models.UUIDField(blank=True, null=True, verbose_name="书面原因说明"),
                        ),
                        ("recorded_at", models.DateTimeField(verbose_name="记录时间")),
                        (
                            "client_token",
                            models.UUIDField(blank=True, editable=False, null=True, unique=True),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="exemptions",
                                to="cases.case",
                                verbose_name="案件",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="记录人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "音像记录除外情形",
                        "verbose_name_plural": "音像记录除外情形",
                        "ordering": ["recorded_at", "id"],
                        "db_table": "rulebooks_exemption",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
