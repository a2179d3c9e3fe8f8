"""Every write endpoint under generated input (schemathesis), as the office and as a homeowner:
no server error, only answers the OpenAPI description documents (status codes included), and
answers that match their schemas. Bounded and derandomised, so a run is repeatable.

The read endpoints have their own run in tests/test_security.py.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from zunft.core.auth import issue_token

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# The coverage phase's boundary cases stay; its calls with methods the path does not have (405
# answers, six per operation) are left to the read run in test_security.py.
schema.config.phases.coverage.unexpected_methods = set()
writes = schema.include(method_regex="^(POST|PUT|PATCH|DELETE)$")


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: a request must not close the test's DB connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["office", "homeowner"])
def write_token(request, django_user_model, keep_test_connection):
    """A write-scoped API token of an office clerk, or of a homeowner with a customer record and
    a site (so that her own ids exist)."""
    user = django_user_model.objects.create_user(
        f"fuzz-{request.param}", email=f"{request.param}@example.org", role=request.param
    )
    if request.param == "homeowner":
        from tests import factories as f

        f.SiteFactory(customer=f.CustomerFactory(user=user, email=user.email))
    return issue_token(user, "fuzz", scope="write")[1]


@writes.parametrize()
@hypothesis_settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_write_endpoint_answers_generated_input_within_its_schema(case, write_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {write_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


# --- what the fuzzing found, kept as plain regression tests -------------------------------------


def test_a_calendar_feed_needs_a_worker_workshop_or_package_that_exists(office_user, client):
    """Found by the run above: the office (who may subscribe to anything) asking for a feed of a
    negative or unknown id got a server error or, worse, a feed whose URL then failed."""
    from scheduling.models import FeedToken

    client.force_login(office_user)
    for key in (-177741, 0, 999_999):
        refused = client.post("/api/v1/feeds", {"scope": "worker", "key": key}, "application/json")
        assert refused.status_code == 422, refused.content
        assert refused.json()["detail"][0]["loc"][-1] == "key"
    assert not FeedToken.objects.exists()


def test_a_feed_whose_subject_is_gone_answers_404(office_user, client):
    from tests import factories as f

    client.force_login(office_user)
    worker = f.WorkerFactory()
    created = client.post(
        "/api/v1/feeds", {"scope": "worker", "key": worker.pk}, "application/json"
    )
    assert created.status_code == 201, created.content
    path = created.json()["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    worker.delete()
    assert client.get(f"/{path}").status_code == 404
