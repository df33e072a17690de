"""Money as an integer number of minor units plus an ISO 4217 currency.

Floats never touch money: user input is parsed once, at the edge, with Decimal, and refused when
it has more decimals than the currency has minor units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from common.errors import AmountTooLarge, AmountTooPrecise, InvalidAmount, InvalidInput

# Minor-unit exponents of the currencies a deposit may be held in.
CURRENCY_EXPONENTS: dict[str, int] = {"CNY": 2, "HKD": 2, "USD": 2, "EUR": 2, "JPY": 0}
CURRENCY_CHOICES = [(code, code) for code in CURRENCY_EXPONENTS]
# Larger than any deposit (10^15 fen = 10 trillion yuan) yet far inside a signed 64-bit column,
# so sums of many entries cannot overflow either.
MAX_AMOUNT_MINOR = 10**15
_PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def validate_currency(currency: str, *, field: str = "currency") -> str:
    if currency not in CURRENCY_EXPONENTS:
        raise InvalidInput(
            f"Unknown currency {currency!r}.",
            fields={field: [f"Must be one of {', '.join(CURRENCY_EXPONENTS)}."]},
        )
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("Money.amount_minor must be an int")
        validate_currency(self.currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a major-unit amount such as "1,000.50" for CNY into 100050 fen."""
        validate_currency(currency)
        exponent = CURRENCY_EXPONENTS[currency]
        cleaned = str(text).replace(",", "").replace("¥", "").replace("￥", "").strip()
        try:
            # Plain decimal notation only: Decimal also reads "1e5" (100,000) and "NaN", which no
            # person typing an amount means.
            if not _PLAIN_DECIMAL.fullmatch(cleaned):
                raise InvalidOperation
            value = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidAmount(
                f"{text!r} is not an amount.",
                fields={"amount": ["Enter a number such as 1000.00."]},
            ) from None
        if not value.is_finite():
            raise InvalidAmount("Not a finite amount.", fields={"amount": ["Enter a number."]})
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise AmountTooPrecise(
                f"{text!r} has more than {exponent} decimal places.",
                fields={"amount": [f"At most {exponent} decimal places for {currency}."]},
            )
        minor = int(scaled)
        if abs(minor) > MAX_AMOUNT_MINOR:
            raise AmountTooLarge("Amount too large.", fields={"amount": ["Amount is too large."]})
        return cls(minor, currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")

    def major_str(self) -> str:
        """ "1,000.50" — grouped, with exactly the currency's decimals."""
        exponent = CURRENCY_EXPONENTS[self.currency]
        sign = "-" if self.amount_minor < 0 else ""
        whole, frac = divmod(abs(self.amount_minor), 10**exponent)
        text = f"{whole:,}"
        if exponent:
            text += f".{frac:0{exponent}d}"
        return sign + text

    def __str__(self) -> str:
        return f"{self.currency} {self.major_str()}"


def format_minor(amount_minor: int, currency: str) -> str:
    return Money(int(amount_minor), currency).major_str()


def decimal_text(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal string in major units, for files other programs read:
    "-1250.50" (no grouping, exactly the currency's decimals; "1250" for JPY)."""
    exponent = CURRENCY_EXPONENTS[validate_currency(currency)]
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(int(amount_minor)), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}" if exponent else f"{sign}{whole}"
