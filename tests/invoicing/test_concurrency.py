"""Numbers under load: many clerks issuing at once for one issuer."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from invoicing import samples, services
from invoicing.models import Invoice


@pytest.mark.django_db(transaction=True)
def test_fifty_invoices_issued_at_once_get_fifty_distinct_gapless_numbers(frozen):
    samples.build_world()
    customer, _site = samples.private_customer()
    drafts = [
        services.create_draft(
            customer=customer,
            lines=[services.LineInput("labour", "Arbeit", Decimal("1"), "HUR", Decimal("50.00"))],
            title=f"Auftrag {n}",
            performance_start=frozen,
            performance_end=frozen,
        )
        for n in range(50)
    ]
    start = threading.Barrier(len(drafts))
    errors = []

    def issue(draft):
        try:
            start.wait()
            services.issue_invoice(draft)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 51))
    assert Invoice.objects.values("number").distinct().count() == 50
    assert Invoice.objects.filter(state=Invoice.State.ISSUED).count() == 50
