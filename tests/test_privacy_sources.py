"""The apps above customers add their parts of the DSGVO export and erasure from ``ready()``."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from customers import privacy

KEYS = ["format", "generated_at", "user", "customer", "sites", "requests", "packages", "invoices"]


def exported_keys(user) -> list[str]:
    _name, content = privacy.export_data(user, None)
    return list(json.loads(zipfile.ZipFile(io.BytesIO(content)).read("daten.json")))


def test_the_export_has_every_apps_part_in_a_fixed_order(db, django_user_model):
    user = django_user_model.objects.create_user("olga", role="office")
    assert privacy.export_keys() == KEYS
    assert exported_keys(user) == KEYS


def test_running_ready_again_registers_nothing_twice(db):
    from jobs.models import Package
    from tests import factories as f

    site = f.SiteFactory()
    customer = site.customer
    Package.objects.create(
        customer=customer,
        site=site,
        title="Bad",
        status="accepted",
        earliest_start=date(2026, 3, 2),
    )
    for label in ("jobs", "scheduling", "invoicing"):
        apps.get_app_config(label).ready()

    assert privacy.export_keys() == KEYS
    assert [b["kind"] for b in privacy.erasure_blockers(customer)] == ["package"]


@pytest.mark.parametrize("key", ["packages", "user"])
def test_a_source_cannot_take_a_key_that_is_already_written(key):
    with pytest.raises(ImproperlyConfigured, match=key):
        privacy.register_privacy_source("stray", export={key: lambda customer, archive: []})
    assert privacy.export_keys() == KEYS
