# Public ids for the rows the ledger commits (ledger.records): in three steps, so rows
# that exist already each get their own id.
import uuid

from django.db import migrations, models

MODELS = (
    "copyrequestitem",
    "copydecision",
    "copyfulfilment",
    "releaseline",
)


def fill_public_ids(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("access", name)
        for row in model.objects.filter(public_id__isnull=True).only("pk").iterator(chunk_size=2000):
            model.objects.filter(pk=row.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="copyrequestitem",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公开标识"),
        ),
        migrations.AddField(
            model_name="copydecision",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公开标识"),
        ),
        migrations.AddField(
            model_name="copyfulfilment",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公开标识"),
        ),
        migrations.AddField(
            model_name="releaseline",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="公开标识"),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="copyrequestitem",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公开标识"),
        ),
        migrations.AlterField(
            model_name="copydecision",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公开标识"),
        ),
        migrations.AlterField(
            model_name="copyfulfilment",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公开标识"),
        ),
        migrations.AlterField(
            model_name="releaseline",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="公开标识"),
        ),
    ]
