"""The invoice book: numbering, lookups, listing and payments. Invoices live in memory; each
one's printable document is written to the documents folder when it is created."""
import threading
from dataclasses import dataclass

from .errors import BadRequest, Conflict, NotFound
from .money import parse_amount
from .timeutil import now, parse_timestamp

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_TEXT = 200


@dataclass
class Invoice:
    number: str
    client: str
    lines: list
    tax_rate: str
    issued_at: object
    due_at: object
    status: str = "open"
    paid_at: object = None


def _text(value, field):
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} must be a non-empty string")
    if len(value.strip()) > MAX_TEXT:
        raise BadRequest(f"{field} must be at most {MAX_TEXT} characters")
    return value.strip()


def validate_invoice(body):
    """Checks the body of POST /invoices; returns the fields of a new invoice."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    client = _text(body.get("client"), "client")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise BadRequest("items must be a non-empty array")
    if len(items) > MAX_LINES:
        raise BadRequest(f"an invoice has at most {MAX_LINES} items")
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"items[{i}] must be an object")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise BadRequest(f"items[{i}].quantity must be a whole number from 1 to {MAX_QUANTITY}")
        lines.append({
            "description": _text(item.get("description"), f"items[{i}].description"),
            "unit_price": parse_amount(item.get("unit_price"), f"items[{i}].unit_price"),
            "quantity": quantity,
        })
    tax_rate = parse_amount(body.get("tax_rate", "0"), "tax_rate", maximum=100)
    if "due_at" not in body:
        raise BadRequest("due_at is required")
    due_at = parse_timestamp(body["due_at"], "due_at")
    return {"client": client, "lines": lines, "tax_rate": tax_rate, "due_at": due_at}


def is_overdue(invoice):
    return invoice.status == "open" and invoice.due_at < now()


class InvoiceBook:
    def __init__(self, documents):
        self.documents = documents
        self._invoices = {}
        self._next_number = 1
        # Requests are served on threads of their own (ThreadingHTTPServer): every
        # read-modify-write of the book holds this lock.
        self._lock = threading.Lock()

    def create(self, fields):
        number = f"INV-{self._next_number:04d}"
        invoice = Invoice(number=number, issued_at=now(), **fields)
        self.documents.write(invoice)
        with self._lock:
            self._invoices[number] = invoice
            self._next_number += 1
        return invoice

    def get(self, number):
        invoice = self._invoices.get(number)
        if invoice is None:
            raise NotFound(f"no invoice {number}")
        return invoice

    def list(self, client=None, status=None):
        """Invoices in the order they were created, optionally of one client or one status."""
        return [
            invoice for invoice in self._invoices.values()
            if (client is None or invoice.client == client) and (status is None or invoice.status == status)
        ]

    def pay(self, number):
        with self._lock:
            invoice = self.get(number)
            if invoice.status == "paid":
                raise Conflict(f"invoice {number} is already paid")
            invoice.status = "paid"
            invoice.paid_at = now()
            return invoice
