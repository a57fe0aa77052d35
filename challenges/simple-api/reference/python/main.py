"""Reference solution for the "simple-api" challenge: Python 3 standard library only."""
import json
import os
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_BODY_BYTES = 1024 * 1024

# id -> task; dicts keep insertion order, which is creation order.
tasks = {}
lock = threading.Lock()


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def validate_fields(body, require_title):
    if "title" not in body:
        if require_title:
            raise BadRequest(400, "title is required")
    else:
        title = body["title"]
        if not isinstance(title, str):
            raise BadRequest(400, "title must be a string")
        length = len(title.strip())
        if length < 1:
            raise BadRequest(400, "title must not be empty")
        if length > 200:
            raise BadRequest(400, "title must be at most 200 characters")
    if "done" in body and not isinstance(body["done"], bool):
        raise BadRequest(400, "done must be a boolean")


def parse_list_query(query):
    params = dict(parse_qsl(query, keep_blank_values=True))
    done = None
    limit = 20
    offset = 0
    if "done" in params:
        if params["done"] == "true":
            done = True
        elif params["done"] == "false":
            done = False
        else:
            raise BadRequest(400, "done must be true or false")
    if "limit" in params:
        v = params["limit"]
        if not (v.isascii() and v.isdigit()) or not 1 <= int(v) <= 100:
            raise BadRequest(400, "limit must be an integer from 1 to 100")
        limit = int(v)
    if "offset" in params:
        v = params["offset"]
        if not (v.isascii() and v.isdigit()):
            raise BadRequest(400, "offset must be an integer >= 0")
        offset = int(v)
    return done, limit, offset


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Handler(BaseHTTPRequestHandler):
    server_version = "simple-api"

    def log_message(self, format, *args):  # keep the output quiet
        pass

    # -- responses --------------------------------------------------------------------------

    def send_json(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_empty(self, status):
        self.send_response(status)
        self.end_headers()

    def send_error_json(self, status, message):
        self.send_json(status, {"error": message})

    # -- requests ---------------------------------------------------------------------------

    def read_json_object(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise BadRequest(400, "invalid Content-Length")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise BadRequest(413, "request body too large")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            value = json.loads(raw.decode("utf-8"))
        except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
            raise BadRequest(400, "malformed JSON body")
        if not isinstance(value, dict):
            raise BadRequest(400, "the body must be a JSON object")
        return value

    def dispatch(self, method):
        try:
            self.route(method)
        except BadRequest as e:
            self.send_error_json(e.status, e.message)
        except Exception:  # never let one request take the server down
            self.send_error_json(500, "internal error")

    def route(self, method):
        parts = urlsplit(self.path)
        path = parts.path

        if path == "/health":
            if method == "GET":
                return self.send_json(200, {"status": "ok"})
            return self.send_error_json(404, "not found")

        if path == "/tasks":
            if method == "GET":
                done, limit, offset = parse_list_query(parts.query)
                with lock:
                    items = [dict(t) for t in tasks.values() if done is None or t["done"] == done]
                return self.send_json(200, items[offset:offset + limit])
            if method == "POST":
                body = self.read_json_object()
                validate_fields(body, require_title=True)
                task = {
                    "id": str(uuid.uuid4()),
                    "title": body["title"].strip(),
                    "done": body.get("done", False),
                    "createdAt": now_iso(),
                }
                with lock:
                    tasks[task["id"]] = task
                    out = dict(task)
                return self.send_json(201, out)
            return self.send_error_json(404, "not found")

        segments = path.split("/")
        if len(segments) == 3 and segments[1] == "tasks" and segments[2]:
            task_id = unquote(segments[2])
            if method == "GET":
                with lock:
                    task = tasks.get(task_id)
                    out = dict(task) if task else None
                if out is None:
                    return self.send_error_json(404, "task not found")
                return self.send_json(200, out)
            if method == "PATCH":
                body = self.read_json_object()
                validate_fields(body, require_title=False)
                with lock:
                    task = tasks.get(task_id)
                    if task is not None:
                        if "title" in body:
                            task["title"] = body["title"].strip()
                        if "done" in body:
                            task["done"] = body["done"]
                        out = dict(task)
                if task is None:
                    return self.send_error_json(404, "task not found")
                return self.send_json(200, out)
            if method == "DELETE":
                with lock:
                    removed = tasks.pop(task_id, None)
                if removed is None:
                    return self.send_error_json(404, "task not found")
                return self.send_empty(204)

        return self.send_error_json(404, "not found")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = Server(("0.0.0.0", port), Handler)
    print(f"listening on 0.0.0.0:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
