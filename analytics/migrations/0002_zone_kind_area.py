"""A zone's closed shape is an "area" (as the app and Axis call it), no longer "polygon" in the API."""

from django.db import migrations, models


def rename_kind(old: str, new: str):
    def run(apps, schema_editor):
        apps.get_model("analytics", "Zone").objects.filter(kind=old).update(kind=new)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="zone",
            name="kind",
            field=models.CharField(choices=[("area", "Area"), ("line", "Line")], max_length=10),
        ),
        migrations.RunPython(rename_kind("polygon", "area"), rename_kind("area", "polygon")),
    ]
