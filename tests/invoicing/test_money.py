from decimal import Decimal

import pytest

from zunft.core.money import (
    TaxedAmount,
    format_eur,
    format_eur_english,
    parse_amount,
    round_money,
)


def test_half_a_cent_rounds_away_from_zero():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        round_money(0.1)


def test_a_taxed_amount_refuses_to_exist_unless_net_plus_tax_is_gross():
    with pytest.raises(ValueError, match="gross"):
        TaxedAmount(Decimal("100.00"), Decimal("19.00"), Decimal("119.01"))


def test_tax_is_rounded_once_on_the_net_amount():
    amount = TaxedAmount.from_net(Decimal("10.05"), Decimal("19"))
    assert (amount.net, amount.tax, amount.gross) == (
        Decimal("10.05"),
        Decimal("1.91"),
        Decimal("11.96"),
    )


def test_sums_and_negation_keep_the_amounts_consistent():
    total = TaxedAmount.from_net("10.05", "19") + TaxedAmount.from_net("3.33", "7")
    assert -total == TaxedAmount(Decimal("-13.38"), Decimal("-2.14"), Decimal("-15.52"))


def test_amounts_print_the_german_way():
    assert format_eur(Decimal("12345.6")) == "12.345,60 €"
    assert format_eur(Decimal("-3.5")) == "-3,50 €"


@pytest.mark.parametrize(
    ("typed", "language", "amount"),
    [
        ("1.234,56", "de", "1234.56"),
        ("1234,56", "de", "1234.56"),
        ("1234.56", "de", "1234.56"),
        ("1.234", "de", "1234"),  # German thousands
        ("1,234.56", "en", "1234.56"),
        ("1,234", "en", "1234"),  # English thousands
        ("1.5", "en", "1.5"),
        ("0,500", "en", "0.500"),  # no thousands group starts with 0: a decimal comma
        ("-1.000", "de", "-1000"),
        ("-1,000", "en", "-1000"),
        # With both separators the last is the decimal point in either language: an English
        # "1,000.00" typed on the German page was read as 1 €.
        ("1,000.00", "de", "1000.00"),
        ("1.000,00", "en", "1000.00"),
        ("-1.000,50", "de", "-1000.50"),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, language, amount):
    assert parse_amount(typed, language) == Decimal(amount)


@pytest.mark.parametrize("typed", ["zehn", "1.2,3", "1,2,3", "1e3", "1,00.000"])
def test_what_is_no_amount_is_refused(typed):
    with pytest.raises(ValueError):
        parse_amount(typed, "de")


@pytest.mark.parametrize("typed", ["1.000", "2.500"])
def test_german_thousands_on_an_english_page_are_asked_again_not_read_as_one(typed):
    with pytest.raises(ValueError):
        parse_amount(typed, "en")


def test_english_pages_write_amounts_the_english_way():
    assert format_eur_english(Decimal("24056.825")) == "€24,056.83"
    assert format_eur_english(Decimal("-5")) == "-€5.00"
