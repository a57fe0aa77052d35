"""HTTP layer: routes requests to the invoice book and answers JSON."""
import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from .documents import DocumentStore, document_name
from .errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from .invoices import InvoiceBook, is_overdue, validate_invoice
from .money import fmt, line_amount, totals
from .timeutil import to_iso

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def present(invoice):
    """An invoice as the API shows it."""
    return {
        "number": invoice.number,
        "client": invoice.client,
        "items": [
            {**line, "amount": fmt(line_amount(line["unit_price"], line["quantity"]))}
            for line in invoice.lines
        ],
        "tax_rate": invoice.tax_rate,
        **totals(invoice.lines, invoice.tax_rate),
        "issued_at": to_iso(invoice.issued_at),
        "due_at": to_iso(invoice.due_at),
        "status": invoice.status,
        "paid_at": to_iso(invoice.paid_at) if invoice.paid_at else None,
        "overdue": is_overdue(invoice),
        "document": f"/documents/{document_name(invoice.number)}",
    }


def _positive_int(query, name, default):
    raw = query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadRequest(f"{name} must be a whole number from 1")
    return int(raw)


class Handler(BaseHTTPRequestHandler):
    server_version = "billing"

    def log_message(self, format, *args):  # one line per request is too chatty here
        pass

    @property
    def book(self):
        return self.server.book

    # --- answers ---------------------------------------------------------------------------

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_text(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- requests --------------------------------------------------------------------------

    def read_json(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise BadRequest("invalid Content-Length") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise PayloadTooLarge("request body too large")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise BadRequest("the body is not valid JSON") from None

    def dispatch(self, method):
        try:
            self.route(method)
        except ApiError as e:
            self.send_json(e.status, {"error": e.message})
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self.send_json(500, {"error": "internal server error"})

    def route(self, method):
        url = urlsplit(self.path)
        segments = [unquote(s) for s in url.path.split("/")[1:]]
        query = dict(parse_qsl(url.query, keep_blank_values=True))

        if segments == ["health"]:
            self.allow(method, "GET")
            return self.send_json(200, {"status": "ok"})

        if segments == ["invoices"]:
            self.allow(method, "GET", "POST")
            if method == "GET":
                return self.list_invoices(query)
            invoice = self.book.create(validate_invoice(self.read_json()))
            return self.send_json(201, present(invoice), {"Location": f"/invoices/{invoice.number}"})

        if len(segments) == 2 and segments[0] == "invoices" and segments[1]:
            self.allow(method, "GET")
            return self.send_json(200, present(self.book.get(segments[1])))

        if len(segments) == 3 and segments[0] == "invoices" and segments[2] == "pay":
            self.allow(method, "POST")
            return self.send_json(200, present(self.book.pay(segments[1])))

        if len(segments) == 2 and segments[0] == "documents" and segments[1]:
            self.allow(method, "GET")
            data = self.book.documents.read(segments[1])
            if data is None:
                raise NotFound("no such document")
            return self.send_text(200, data)

        raise NotFound(f"no route for {url.path}")

    def allow(self, method, *allowed):
        if method not in allowed:
            raise MethodNotAllowed(f"method {method} not allowed here")

    def list_invoices(self, query):
        page = _positive_int(query, "page", 1)
        per_page = _positive_int(query, "per_page", DEFAULT_PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise BadRequest(f"per_page must be at most {MAX_PER_PAGE}")
        status = query.get("status")
        if status not in (None, "open", "paid"):
            raise BadRequest("status must be open or paid")
        invoices = self.book.list(client=query.get("client"), status=status)
        start = (page - 1) * per_page
        return self.send_json(200, {
            "items": [present(invoice) for invoice in invoices[start:start + per_page]],
            "page": page,
            "per_page": per_page,
            "total": len(invoices),
            "pages": (len(invoices) + per_page - 1) // per_page,
        })

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def make_server(port, host="0.0.0.0", data_dir=DEFAULT_DATA_DIR):
    """A server for the API on host:port (port 0: any free port), not yet serving."""
    server = Server((host, port), Handler)
    server.book = InvoiceBook(DocumentStore(Path(data_dir) / "documents"))
    return server
