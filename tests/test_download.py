"""timemachine_path against a real HTTP server on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rnn_tui.corpus import TIMEMACHINE_SHA1, load_corpus, timemachine_path
from rnn_tui.errors import CorpusError


class Server:
    """Serves `body` with `status` at every path; `declared` overrides Content-Length."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.declared: int | None = None
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests += 1
                self.send_response(server.status)
                length = server.declared if server.declared is not None else len(server.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:  # keep pytest output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/timemachine.txt"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def book(timemachine_file: Path) -> bytes:
    return timemachine_file.read_bytes()


def test_downloads_verifies_and_caches(server, book, tmp_path):
    server.body = book
    cache = tmp_path / "cache"  # does not exist yet: created on demand
    path = timemachine_path(url=server.url, cache=cache, timeout=5)
    assert path == cache / "timemachine.txt"
    assert hashlib.sha1(path.read_bytes()).hexdigest() == TIMEMACHINE_SHA1
    assert server.requests == 1
    assert timemachine_path(url=server.url, cache=cache, timeout=5) == path
    assert server.requests == 1  # served from the cache
    assert sorted(p.name for p in cache.iterdir()) == ["timemachine.txt"]


def test_load_corpus_downloads_into_the_env_cache(server, book, tmp_path, monkeypatch):
    server.body = book
    monkeypatch.setenv("RNN_TUI_CACHE_DIR", str(tmp_path))
    assert timemachine_path(url=server.url, timeout=5) == tmp_path / "timemachine.txt"
    # load_corpus(None) finds the cached copy: no second request (and no real network).
    corpus = load_corpus(None, "seed")
    assert corpus.chars == 175_758
    assert server.requests == 1


def test_corrupt_download_is_deleted(server, tmp_path):
    server.body = b"not the book\n" * 100
    cache = tmp_path / "cache"
    with pytest.raises(CorpusError) as info:
        timemachine_path(url=server.url, cache=cache, timeout=5)
    bad = hashlib.sha1(server.body).hexdigest()
    assert str(info.value) == (
        f"downloaded timemachine.txt has SHA-1 {bad}, expected {TIMEMACHINE_SHA1}; deleted it; "
        f"put timemachine.txt at {cache / 'timemachine.txt'} or pass --corpus PATH"
    )
    assert list(cache.iterdir()) == []  # neither the file nor a temporary one


def test_corrupt_cached_file_is_replaced(server, book, tmp_path):
    server.body = book
    target = tmp_path / "timemachine.txt"
    target.write_text("tampered")
    with pytest.warns(UserWarning, match="has SHA-1 .*removed it and downloading it again"):
        path = timemachine_path(url=server.url, cache=tmp_path, timeout=5)
    assert path.read_bytes() == book
    assert server.requests == 1


def test_http_404(server, tmp_path):
    server.status = 404
    server.body = b"no such key"
    with pytest.raises(CorpusError) as info:
        timemachine_path(url=server.url, cache=tmp_path, timeout=5)
    message = str(info.value)
    assert f"from {server.url} (HTTP 404 Not Found);" in message
    assert f"put timemachine.txt at {tmp_path / 'timemachine.txt'} or pass --corpus PATH" in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_leaves_nothing(server, book, tmp_path):
    server.body = book[:1000]
    server.declared = len(book)  # the server promises more than it sends, then closes
    with pytest.raises(CorpusError) as info:
        timemachine_path(url=server.url, cache=tmp_path, timeout=5)
    assert str(info.value).startswith(
        f"could not download The Time Machine from {server.url} (connection closed after 1,000 of "
    )
    assert list(tmp_path.iterdir()) == []


def test_server_down(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/timemachine.txt"
    with pytest.raises(CorpusError) as info:
        timemachine_path(url=url, cache=tmp_path, timeout=2)
    message = str(info.value)
    assert message == (
        f"could not download The Time Machine from {url} (Connection refused); "
        f"put timemachine.txt at {tmp_path / 'timemachine.txt'} or pass --corpus PATH"
    )
    assert list(tmp_path.iterdir()) == []


def test_server_that_never_answers_times_out(tmp_path):
    with socket.socket() as sock:  # the kernel accepts the connection; nobody replies
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/timemachine.txt"
        with pytest.raises(CorpusError) as info:
            timemachine_path(url=url, cache=tmp_path, timeout=0.3)
    message = str(info.value)
    assert "timed out" in message
    assert f"{tmp_path / 'timemachine.txt'} or pass --corpus PATH" in message
    assert list(tmp_path.iterdir()) == []
