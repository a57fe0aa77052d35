"""Tests of the API over HTTP against a server on a free port: python3 -m unittest"""
import json
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

from billing.app import make_server


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = make_server(0, host="127.0.0.1", data_dir=cls.tmp.name)
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.tmp.cleanup()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_health(self):
        status, body = self.call("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"status": "ok"})

    def test_invoice_totals(self):
        status, body = self.call("POST", "/invoices", {
            "client": "Acme",
            "items": [{"description": "Consulting", "unit_price": "19.99", "quantity": 3}],
            "tax_rate": "10",
            "due_at": "2030-01-31T17:00:00Z",
        })
        self.assertLess(status, 300)
        invoice = json.loads(body)
        self.assertEqual((invoice["subtotal"], invoice["tax"], invoice["total"]), ("59.97", "6.00", "65.97"))
        self.assertFalse(invoice["overdue"])

    def test_missing_client_is_rejected(self):
        status, _ = self.call("POST", "/invoices", {"items": [], "due_at": "2030-01-31T17:00:00Z"})
        self.assertEqual(status, 400)


if __name__ == "__main__":
    unittest.main()
