# The exemption model moved to quanlu.media (it is data about a case's audio-visual
# records; the rules engine holds no models). The table stays: only the state moves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rulebooks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Exemption")],
            database_operations=[],
        ),
    ]
