"""The recorded spans of the footage indexed before spans were kept, merged from its segments once."""

from django.db import migrations


def build(apps, schema_editor):
    from recordings.recorded_spans import rebuild

    rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ("recordings", "0007_recorded_spans"),
    ]

    operations = [
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
