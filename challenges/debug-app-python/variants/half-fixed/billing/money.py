"""Money. Amounts arrive as decimal strings ("19.99") or JSON numbers and leave as strings
with two decimals ("59.97"). Tax is a percentage of the subtotal, rounded to the cent."""
import re

from .errors import BadRequest

_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def parse_amount(value, field, maximum=None):
    """Checks an amount (a string or a number, not negative, at most two decimals) and returns
    it as the string it was written as."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadRequest(f'{field} must be a decimal amount such as "19.99"')
    text = value.strip() if isinstance(value, str) else str(value)
    if not _AMOUNT.match(text):
        raise BadRequest(f'{field} must be a decimal amount such as "19.99", not negative, at most two decimals')
    if maximum is not None and float(text) > maximum:
        raise BadRequest(f"{field} must be at most {maximum}")
    return text


def line_amount(unit_price, quantity):
    return float(unit_price) * quantity


def totals(lines, tax_rate):
    """Subtotal, tax and total of an invoice's lines, as strings."""
    subtotal = sum(line_amount(line["unit_price"], line["quantity"]) for line in lines)
    tax = round(subtotal * float(tax_rate) / 100, 2)
    return {"subtotal": fmt(subtotal), "tax": fmt(tax), "total": fmt(subtotal + tax)}


def fmt(amount):
    return f"{amount:.2f}"
