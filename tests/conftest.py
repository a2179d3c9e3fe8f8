import pytest

from tests.live import Stack


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker):
    """The ASGI server and a Celery worker as real processes on the test database."""
    stack = Stack()
    stack.start_web()
    stack.start_worker()
    try:
        stack.wait_healthy()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def office_user(django_user_model):
    return django_user_model.objects.create_user(
        "birte", password="pw-birte-123", role="office", first_name="Birte"
    )


@pytest.fixture
def homeowner_user(django_user_model):
    return django_user_model.objects.create_user("karla", password="pw-karla-123", role="homeowner")
