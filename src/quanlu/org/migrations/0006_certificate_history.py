# Officers recorded before certificate history (0003) hold their certificate only in
# their own columns: each gets it as a first Certificate row, and every holder the
# issuing authority that numbers are now unique under (0005). The rows are written by
# the ledgered service, so `quanlu ledger verify` finds an event for each.
from django.db import migrations


def complete_history(apps, schema_editor):
    # Asked of the historical model first: a new installation (and every test database)
    # has nobody to bring up to date and never reaches the current models below, whose
    # columns may be ahead of this migration's.
    Officer = apps.get_model("org", "Officer")
    if not Officer.objects.filter(certificate_issuer="").exclude(certificate_no="").exists():
        return
    from quanlu.org.services import certificate_history_complete

    certificate_history_complete()


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0005_certificate_issuer"),
        ("ledger", "0004_row_states"),
    ]

    operations = [migrations.RunPython(complete_history, migrations.RunPython.noop)]
