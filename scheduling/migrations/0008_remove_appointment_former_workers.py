from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0007_handover"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="appointment",
            name="former_workers",
        ),
    ]
