"""A local stand-in for the two Stripe API calls Agora makes, Stripe's webhook signature, and its events.

Answers POST /v1/checkout/sessions, /v1/billing_portal/sessions and /v1/transfers like Stripe
does (form-encoded in, JSON out), recording each request so tests can check what Agora asked
for. Transfers honour the Idempotency-Key header as Stripe does (the same key answers the same
transfer); `hold_transfer_number` makes that transfer request wait until `release` is set (a
caller killed while it waits), and `refused_destinations` are refused with 400.
Events are made in the shape of the API version a Stripe account sends them in (`API_VERSIONS`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


def sign(payload: bytes, secret: str, *, at: int | None = None) -> str:
    """The documented scheme: t=timestamp, v1=HMAC-SHA256(secret, "{t}.{payload}") in hex."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


# The last API version before the invoice's subscription moved, and the first after (2025-03-31.basil
# moved `invoice.subscription` to `invoice.parent.subscription_details.subscription`).
ACACIA, BASIL = "2024-06-20", "2025-03-31.basil"
API_VERSIONS = (ACACIA, BASIL)


def event(kind: str, obj: dict, *, event_id: str, created: int | None = None, api_version: str = ACACIA) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "created": created or int(time.time()),
                       "data": {"object": obj}, "livemode": False, "api_version": api_version}).encode()


def invoice(invoice_id: str, subscription: str | None, *, api_version: str = ACACIA, **fields) -> dict:
    """An invoice object as `api_version` shows it: its subscription at the top, or under `parent` from basil on."""
    obj = {"id": invoice_id, "object": "invoice", **fields}
    if api_version == ACACIA:
        return {**obj, "subscription": subscription}
    parent = {"type": "subscription_details", "quote_details": None,
              "subscription_details": {"metadata": {}, "subscription": subscription}} if subscription else None
    return {**obj, "parent": parent}


class StripeStandIn:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.idempotency_keys: list[str] = []
        self.transfers: dict[str, dict] = {}  # by idempotency key
        self.hold_transfer_number: int | None = None  # the nth transfer request (1-based) waits for `release`
        self.held = threading.Event()  # set once that request arrived
        self.release = threading.Event()
        self.refused_destinations: set[str] = set()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                standin.requests.append((self.path, form))
                if self.path == "/v1/checkout/sessions":
                    answer = {"id": f"cs_test_{len(standin.requests)}", "object": "checkout.session", "url": f"https://checkout.stripe.test/c/{len(standin.requests)}"}
                elif self.path == "/v1/billing_portal/sessions":
                    answer = {"id": "bps_test", "object": "billing_portal.session", "url": "https://billing.stripe.test/p/session"}
                elif self.path == "/v1/transfers":
                    key = self.headers.get("Idempotency-Key", "")
                    standin.idempotency_keys.append(key)
                    if len(standin.idempotency_keys) == standin.hold_transfer_number:
                        standin.held.set()
                        standin.release.wait(60)
                    if form.get("destination") in standin.refused_destinations:
                        self._answer(400, {"error": {"type": "invalid_request_error", "message": "No such destination: this account is closed"}})
                        return
                    answer = standin.transfers.setdefault(key, {"id": f"tr_test_{len(standin.transfers) + 1}", "object": "transfer",
                                                                 "amount": int(form["amount"]), "currency": form["currency"],
                                                                 "destination": form["destination"]})
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self._answer(200, answer)

            def _answer(self, status: int, answer: dict) -> None:
                data = json.dumps(answer).encode()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller was killed while it waited
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
