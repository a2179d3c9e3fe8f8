"""factory_boy factories for the cooperative's data; valid German VAT ids and IBANs."""

import itertools
from decimal import Decimal

import factory
from django.contrib.gis.geos import Point
from schwifty import IBAN
from stdnum.iso7064 import mod_11_10

from customers.models import Customer, PostalCode, Site
from trades.models import Certification, Trade, Worker, Workshop, WorkshopTrade

_numbers = itertools.count(10000001)


def vat_id() -> str:
    body = str(next(_numbers))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def iban() -> str:
    return str(IBAN.generate("DE", bank_code="28050100", account_code=str(next(_numbers))))


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cert-{n}")
    name_de = factory.LazyAttribute(lambda o: f"Zertifikat {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Certificate {o.code}")


class TradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trade
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"trade-{n}")
    name_de = factory.LazyAttribute(lambda o: f"Gewerk {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Trade {o.code}")
    licensed = True


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    name = factory.Sequence(lambda n: f"Betrieb {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} GmbH")
    owner_name = "Meisterin Muster"
    craft_register_number = factory.Sequence(lambda n: f"HWK-OL-{n:05d}")
    vat_id = factory.LazyFunction(vat_id)
    iban = factory.LazyFunction(iban)
    email = factory.Sequence(lambda n: f"betrieb{n}@example.org")
    street = "Hauptstraße 1"
    postal_code = "49661"
    city = "Cloppenburg"
    state = "NI"
    location = Point(8.0436, 52.8476, srid=4326)  # Cloppenburg
    service_radius_km = 40


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopTrade

    workshop = factory.SubFactory(WorkshopFactory)
    trade = factory.SubFactory(TradeFactory)
    hourly_rate = Decimal("64.00")
    crews = 2


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker
        skip_postgeneration_save = True

    workshop = factory.SubFactory(WorkshopFactory)
    first_name = factory.Sequence(lambda n: f"Vorname{n}")
    last_name = factory.Sequence(lambda n: f"Nachname{n}")

    @factory.post_generation
    def trades(self, create, extracted, **kwargs):
        if create and extracted:
            self.trades.set(extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = "Hanna"
    last_name = factory.Sequence(lambda n: f"Kundin{n}")
    email = factory.Sequence(lambda n: f"kunde{n}@example.org")
    street = "Lange Straße 5"
    postal_code = "26169"
    city = "Friesoythe"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    customer = factory.SubFactory(CustomerFactory)
    street = "Lange Straße 5"
    postal_code = "26169"
    city = "Friesoythe"
    state = "NI"
    location = Point(7.8590, 53.0207, srid=4326)  # Friesoythe


class PostalCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostalCode
        django_get_or_create = ("country", "code", "place")

    country = "DE"
    code = "26169"
    place = "Friesoythe"
    state = "NI"
    location = Point(7.8590, 53.0207, srid=4326)
