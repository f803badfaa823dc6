from django.db import migrations, models


def authenticate_queue(apps, schema_editor):
    # Entries queued before the queue was authenticated get their code now (trusted as
    # they stand at the upgrade, like the events enqueued by 0003).
    from quanlu.ledger.queue import mac, queue_key

    Pending = apps.get_model("ledger", "Pending")
    if not Pending.objects.exists():
        return
    key = queue_key()
    for row in Pending.objects.all().iterator(chunk_size=2000):
        row.mac = mac(key, row.event_seq, row.event_uid, bytes(row.leaf_hash))
        row.save(update_fields=["mac"])


def install_triggers(apps, schema_editor):
    from quanlu.ledger import triggers

    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_merkle_log")]

    operations = [
        migrations.AddField(
            model_name="pending",
            name="mac",
            field=models.BinaryField(default=b"", max_length=32, verbose_name="队列认证码"),
        ),
        migrations.CreateModel(
            name="RowState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_seq", models.BigIntegerField(verbose_name="事件序号")),
                ("key", models.CharField(max_length=200, verbose_name="记录")),
                ("content", models.TextField(blank=True, verbose_name="规范内容")),
            ],
            options={
                "verbose_name": "记录状态",
                "verbose_name_plural": "记录状态",
                "indexes": [models.Index(fields=["key", "event_seq"], name="ledger_rowstate_key_seq")],
            },
        ),
        migrations.RunPython(authenticate_queue, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, migrations.RunPython.noop),
    ]
