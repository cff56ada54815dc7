"""Small real servers that serve chat at one exact path only (not a test module).

Each plays one of the guides' providers over a real socket on 127.0.0.1, plain HTTP:

* ``oneapi``      chat at ``/v1/chat/completions``; like OneAPI, an unknown path under
                  ``/v1`` or ``/api`` is a JSON 404 ("Invalid URL"), any other path gets
                  the web UI's HTML page with status 200;
* ``huawei``      chat only at a MaaS invoke URL ``/v1/infers/<uuid>/v1/chat/completions``;
                  anything else is the API gateway's JSON 404 (APIG.0101), no model list;
* ``volcengine``  chat at ``/api/v3/chat/completions``, models at ``/api/v3/models``.

A wrong key gets 401, a body without a model 400, a model it does not know a JSON 404
that names the model. Every request is journaled (method, path, Authorization header).
``redirect`` maps a path to a 308 redirect. ``Serving(kind, tls=True)`` serves HTTPS
with a fresh self-signed certificate for 127.0.0.1 (``.cafile`` trusts it).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import tempfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from servers.local import LocalServer, QuietHandler

KEY = "sk-standin-7Qw3Zr8Lp2Xv5Nk9SECRET"
MODEL = "standin-model"
INVOKE_UUID = "0f6e2b1c-1111-4a4a-9c9c-123456789abc"
CHAT_PATHS = {
    "oneapi": "/v1/chat/completions",
    "huawei": f"/v1/infers/{INVOKE_UUID}/v1/chat/completions",
    "volcengine": "/api/v3/chat/completions",
}


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class StandIn:
    kind: str
    port: int = 0
    scheme: str = "http"
    seen: list[Seen] = field(default_factory=list)
    redirect: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def chat_url(self) -> str:
        return self.root + CHAT_PATHS[self.kind]


def _handler(stand: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):

        def _not_found(self) -> None:
            if stand.kind == "oneapi":
                if self.path.startswith(("/v1", "/api")):
                    self._send(404, {"error": {"message": f"Invalid URL ({self.command} "
                                               f"{self.path})", "type": "invalid_request_error"}})
                else:
                    self._send(200, "<!doctype html><html><head><title>One API</title></head>"
                               "<body><div id=root></div></body></html>", "text/html")
            elif stand.kind == "huawei":
                self._send(404, {"error_msg": "The API does not exist or has not been "
                                 "published in the environment", "error_code": "APIG.0101"})
            else:
                self._send(404, {"error": {"code": "NotFound",
                                           "message": "The specified resource is not found."}})

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            auth = self.headers.get("Authorization")
            stand.seen.append(Seen(self.command, self.path, auth))
            if self.path in stand.redirect:
                self._send(308, {}, headers={"Location": stand.redirect[self.path]})
                return
            chat = CHAT_PATHS[stand.kind]
            if stand.kind == "volcengine" and self.path == "/api/v3/models" \
                    and self.command == "GET":
                self._send(200, {"object": "list", "data": [{"id": MODEL}]})
                return
            if self.path != chat:
                self._not_found()
                return
            if self.command != "POST":
                self._send(405, {"error": {"message": "method not allowed"}})
                return
            if auth != f"Bearer {KEY}":
                self._send(401, {"error": {"message": "invalid api key",
                                           "type": "authentication_error"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict) or not body.get("model"):
                self._send(400, {"error": {"message": "model is required"}})
                return
            if body["model"] != MODEL:
                self._send(404, {"error": {"message": f"The model {body['model']} does not "
                                           "exist", "code": "model_not_found"}})
                return
            self._send(200, {"id": "c1", "object": "chat.completion", "model": MODEL,
                             "choices": [{"index": 0, "finish_reason": "length",
                                          "message": {"role": "assistant", "content": "Hi"}}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                       "total_tokens": 2}})

        do_GET = do_POST = _handle

    return Handler


def _self_signed(folder: str) -> tuple[str, str]:
    """(certificate, key) files for 127.0.0.1, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = f"{folder}/cert.pem", f"{folder}/key.pem"
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_file, key_file


class Serving:
    """A stand-in running on a thread; ``with Serving("oneapi") as s: ...``."""

    def __init__(self, kind: str, *, tls: bool = False) -> None:
        self.stand = StandIn(kind)
        self.local = LocalServer(_handler(self.stand))
        self.stand.port = self.local.port
        self._folder = tempfile.TemporaryDirectory()
        self.cafile = ""
        if tls:
            self.cafile, key_file = _self_signed(self._folder.name)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.cafile, key_file)
            server = self.local.server
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
            self.stand.scheme = "https"

    def __enter__(self) -> StandIn:
        self.local.start()
        return self.stand

    def __exit__(self, *exc: object) -> None:
        self.local.stop()
        self._folder.cleanup()
