"""Printable invoice documents: one text file per invoice in the documents folder, served by
GET /documents/<name>."""
import time

from .money import fmt, line_amount, totals
from .timeutil import to_iso

# The text documents stand in for the PDF renderer the studio will plug in here. They take
# about as long to make as a PDF does, so that timings in development are the real ones.
RENDER_SECONDS = 0.01


def document_name(number):
    return f"{number}.txt"


def render(invoice):
    time.sleep(RENDER_SECONDS)
    amounts = totals(invoice.lines, invoice.tax_rate)
    rows = [
        f"INVOICE {invoice.number}",
        f"Client:  {invoice.client}",
        f"Issued:  {to_iso(invoice.issued_at)}",
        f"Due:     {to_iso(invoice.due_at)}",
        "",
    ]
    for line in invoice.lines:
        label = f"{line['quantity']} x {line['description']} @ {line['unit_price']}"
        rows.append(f"{label:<48}{fmt(line_amount(line['unit_price'], line['quantity'])):>12}")
    rows += [
        "",
        f"{'Subtotal':<48}{amounts['subtotal']:>12}",
        f"{'Tax (' + invoice.tax_rate + '%)':<48}{amounts['tax']:>12}",
        f"{'Total':<48}{amounts['total']:>12}",
    ]
    return "\n".join(rows) + "\n"


class DocumentStore:
    """The documents folder."""

    def __init__(self, directory):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, invoice):
        """Renders and writes the invoice's document."""
        (self.directory / document_name(invoice.number)).write_text(render(invoice), encoding="utf-8")

    def read(self, name):
        """The bytes of a document, or None when there is no such document. `name` comes from
        the URL: only a plain file name directly inside the folder is served, never a path."""
        if not name or name.startswith(".") or any(c in name for c in ("/", "\\", "\0")):
            return None
        root = self.directory.resolve()
        path = (root / name).resolve()
        if path.parent != root or not path.is_file():
            return None
        return path.read_bytes()
