from decimal import Decimal

import pytest

from zunft.core.money import TaxedAmount, format_eur, round_money


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
