"""One body-size limit for every route outside /v1, enforced before the body is read.

Raw sockets send what a browser or an attacker would: a declared length and nothing after
it, or chunks without any length, and stop sending once past the limit. An answer that
comes back anyway proves the server decided without reading further.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.conftest import start_agora, stop_agora

MB = 1024 * 1024


def raw_request(url: str, path: str, *, headers: dict[str, str], chunks=(), chunked: bool = False,
                complete: bool = False) -> tuple[int, dict, bytes]:
    """Send a request by hand, then read the answer (status, headers, body) without sending more.

    Chunks are left open-ended (no last chunk) unless `complete`: the server cannot have
    waited for an end that never comes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"] + [f"{k}: {v}" for k, v in headers.items()]
        if chunked:
            head.append("Transfer-Encoding: chunked")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for chunk in chunks:
            sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
        if chunked and complete:
            sock.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        found = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(found.get("content-length", "0"))
        while len(body) < length:
            body += sock.recv(65536)
        return int(lines[0].split()[1]), found, body[:length]


def test_a_declared_length_over_the_limit_is_refused_before_csrf_and_unread(server):
    """Regression (issue 15, item 3): 300 MB to /api/auth/signup were read whole before the 403."""
    status, headers, body = raw_request(server.url, "/api/auth/signup",
                                        headers={"Content-Type": "application/json", "Content-Length": str(300 * MB)})
    assert status == 413, body
    error = json.loads(body)["error"]
    assert error["code"] == "request_too_large" and "1 MB" in error["message"]


def test_chunks_without_a_length_are_refused_once_past_the_limit(server):
    limit = server.settings.max_body_bytes
    pieces = [b"email=" + b"a" * (64 * 1024)] * (limit // (64 * 1024) + 2)  # just past the limit, then nothing more
    status, headers, body = raw_request(server.url, "/signup", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                        chunks=pieces, chunked=True)
    assert status == 413 and headers["content-type"].startswith("text/html")
    assert "larger than 1 MB" in body.decode()


def test_json_api_and_pages_answer_413_in_their_own_shape(browser):
    def chunks(total: int):
        for _ in range(total // MB):
            yield b"x" * MB

    api = browser.post("/api/auth/login", content=chunks(8 * MB), headers={"Content-Type": "application/json"})
    assert api.status_code == 413 and api.json()["error"]["code"] == "request_too_large"
    page = browser.post("/login", content=b"x" * (2 * MB), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "Send less" in page.text and "<form" in page.text  # the site's page, header and all
    french = browser.post("/login", content=b"x" * (2 * MB), headers={"Content-Type": "application/x-www-form-urlencoded",
                                                                       "Accept-Language": "fr"})
    assert french.status_code == 413 and 'lang="fr"' in french.text


def test_routes_that_need_more_accept_more(browser):
    browser.signup()
    headers = {**browser.api_headers(), "Content-Type": "application/json"}
    document = json.dumps({"name": "Big", "instructions": "x" * 100, "padding": " " * (3 * MB)}).encode()
    imported = browser.post("/api/gpts/import", content=document, headers=headers)
    assert imported.status_code == 422 and imported.json()["error"]["code"] != "request_too_large"  # judged on its content
    too_big = browser.post("/api/gpts/import", content=b" " * (17 * MB), headers=headers)
    assert too_big.status_code == 413 and "16 MB" in too_big.json()["error"]["message"]


def test_a_worker_reads_nothing_past_the_limit(tmp_path: Path):
    """A single-worker `agora serve`: its peak memory stays put while 3 x 100 MB bodies arrive."""
    process, url, _log = start_agora(tmp_path, database_url=f"sqlite:///{tmp_path / 'agora.db'}", workers=1)
    try:
        def peak_kib() -> int:
            status = Path(f"/proc/{process.pid}/status").read_text()
            return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))

        raw_request(url, "/api/auth/signup", headers={"Content-Type": "application/json"}, chunks=[b"{}"], chunked=True, complete=True)
        before = peak_kib()
        for _ in range(3):
            status, _headers, _body = raw_request(url, "/api/auth/signup", headers={"Content-Type": "application/json"},
                                                  chunks=[b"x" * MB] * 100, chunked=True, complete=True)
            assert status == 413
        assert peak_kib() - before < 32 * 1024, "the worker's peak memory grew with the bodies it refused"
    finally:
        stop_agora(process)
