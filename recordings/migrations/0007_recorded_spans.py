"""Recorded spans: each camera's continuous recordings kept as rows beside its segments."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0020_record_audio'),
        ('recordings', '0006_track_summaries'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordedSpan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.DateTimeField()),
                ('end', models.DateTimeField()),
                ('longest_segment', models.FloatField(help_text='Seconds: no segment of the span lasts longer (not lowered when segments go, so an upper bound); it bounds how far back a deletion must look to find where the span splits')),
                ('camera', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recorded_spans', to='devices.camera')),
            ],
            options={
                'ordering': ['camera', 'start'],
                'indexes': [models.Index(fields=['camera', 'end'], name='recordedspan_camera_end'), models.Index(fields=['camera', 'start'], name='recordedspan_camera_start')],
            },
        ),
    ]
