from datetime import date

import pytest
import time_machine

TODAY = date(2026, 3, 2)


@pytest.fixture
def frozen():
    """Invoices depend on dates: freeze the clock on a Monday in March 2026."""
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        yield TODAY


@pytest.fixture
def world(db, frozen):
    from invoicing import samples

    return samples.build_world()


def repair_without_email(day):
    """A draft for a small repair, to a private customer with no e-mail address (post only)."""
    from decimal import Decimal

    from customers.services import save_customer
    from invoicing import samples, services

    customer, _site = samples.private_customer()
    save_customer({"email": ""}, customer=customer)  # as the office takes a Notdienst caller
    return services.create_draft(
        customer=customer,
        lines=[
            services.LineInput(
                kind="labour",
                text="Reparatur",
                quantity=Decimal(2),
                unit="HUR",
                unit_price=Decimal("55"),
            )
        ],
        title="Reparatur Wasserhahn",
        performance_start=day,
        performance_end=day,
    )


@pytest.fixture(autouse=True)
def _travel_rate(settings):
    # The hand-checked totals in these tests were worked out at 0.90 € per km.
    from decimal import Decimal

    settings.TRAVEL_RATE_PER_KM = Decimal("0.90")
