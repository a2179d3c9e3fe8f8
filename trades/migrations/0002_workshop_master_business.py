from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trades", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="workshop",
            name="master_business",
            field=models.BooleanField(
                default=False,
                help_text="The business is led by a Meister; shown in the public member directory.",
                verbose_name="Meister business (Meisterbetrieb)",
            ),
        ),
    ]
