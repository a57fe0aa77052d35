"""Starts the invoicing API: python3 main.py (listens on $PORT, default 8080)."""
import os

from billing.app import make_server


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = make_server(port)
    print(f"billing API listening on port {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
