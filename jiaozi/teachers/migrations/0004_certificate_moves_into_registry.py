# The certificate now lives in the registry app (certificates 0002, decision 0135).
# Its table stays where it is: this removes the teachers app's state only, after every
# foreign key has been pointed at certificates.Certificate.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("applicants", "0002_teacherlink_certificate_in_registry"),
        ("certificates", "0002_certificate_moves_into_registry"),
        ("registration", "0008_application_certificate_in_registry"),
        ("teachers", "0003_composite_indexes_serve_teacher"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Certificate")],
            database_operations=[],
        ),
    ]
