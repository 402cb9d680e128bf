"""Which store opens (--store, $RNN_TUI_STORE, settings, default), the URL forms, and that a
password never shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_tui.errors import StoreError
from rnn_tui.store import mask_url, parse_store_url, resolve_store_url, sqlalchemy_url_string


def test_mask_url_hides_every_password():
    assert mask_url("postgresql://ann:pw@h/db") == "postgresql://ann:***@h/db"
    assert mask_url("postgresql+psycopg://ann:p%40ss:w@h:5/db?x=1") == (
        "postgresql+psycopg://ann:***@h:5/db?x=1"
    )
    assert mask_url("a postgres://u:one@h/d and postgresql://v:two@k/e") == (
        "a postgres://u:***@h/d and postgresql://v:***@k/e"
    )
    for same in ("postgresql://ann@h/db", "/tmp/runs.sqlite3", "sqlite:////x", "no url"):
        assert mask_url(same) == same


def test_plain_paths_and_sqlite_urls_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ("runs.db", "sqlite:///runs.db", "./runs.db"):
        url = parse_store_url(text)
        assert (url.backend, url.path, url.text) == (
            "sqlite",
            tmp_path / "runs.db",
            f"sqlite:///{tmp_path}/runs.db",
        )
    absolute = parse_store_url(f"sqlite:///{tmp_path}/a/../b.db")
    assert absolute.path == tmp_path / "b.db" and absolute.display == str(tmp_path / "b.db")
    assert parse_store_url("~/x.db").path == Path("~/x.db").expanduser()


def test_postgres_urls_normalize_to_psycopg_without_the_password():
    url = parse_store_url("postgresql://ann:pw@db.lab:6543/runs")
    assert url.text == "postgresql+psycopg://ann@db.lab:6543/runs"
    assert "pw" not in repr(url) and "pw" not in str(url) and "pw" not in url.display
    assert (url.user, url.host, url.port, url.database) == ("ann", "db.lab", 6543, "runs")
    assert sqlalchemy_url_string(url) == "postgresql+psycopg://ann:pw@db.lab:6543/runs"
    assert str(url.sqlalchemy_url()) == "postgresql+psycopg://ann:***@db.lab:6543/runs"
    for scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        assert parse_store_url(f"{scheme}://ann@h/d").text == "postgresql+psycopg://ann@h/d"
    socket_url = parse_store_url("postgresql:///runs?host=/tmp/pg")
    assert socket_url.text == "postgresql+psycopg:///runs?host=/tmp/pg"
    assert socket_url.sqlalchemy_url().query == {"host": "/tmp/pg"}


def test_password_comes_from_the_same_url_in_the_environment(monkeypatch):
    monkeypatch.setenv("RNN_TUI_STORE", "postgresql://ann:envpw@h:1/d")
    bare = parse_store_url("postgresql+psycopg://ann@h:1/d")  # as a plan or argv carries it
    assert sqlalchemy_url_string(bare) == "postgresql+psycopg://ann:envpw@h:1/d"
    other = parse_store_url("postgresql://ann@h:1/other")  # not that database: libpq decides
    assert sqlalchemy_url_string(other) == "postgresql+psycopg://ann@h:1/other"


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "is empty"),
        ("mysql://ann:pw@h/d", "unknown run store 'mysql://ann:***@h/d'"),
        ("postgresql://ann:pw@h/", "names one database"),
        ("postgresql://ann:pw@h:99999/d", "bad PostgreSQL store URL"),
        ("sqlite://relative", "sqlite:///path"),
    ],
)
def test_bad_store_urls_are_one_line_without_the_password(text, words):
    with pytest.raises(StoreError) as info:
        parse_store_url(text)
    message = str(info.value)
    assert words in message and "\n" not in message and ":pw@" not in message


def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_store_url().path == tmp_path / "data" / "runs.sqlite3"  # the default
    settings = tmp_path / "config" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"version": 1, "store": "from-settings.db"}))
    assert resolve_store_url().path == tmp_path / "from-settings.db"
    monkeypatch.setenv("RNN_TUI_STORE", "from-env.db")
    assert resolve_store_url().path == tmp_path / "from-env.db"
    assert resolve_store_url("from-flag.db").path == tmp_path / "from-flag.db"


def test_a_child_command_line_carries_the_store_without_its_password(tmp_path, monkeypatch):
    from rnn_tui.runs.processes import train_argv
    from rnn_tui.ui.training import TrainingController

    monkeypatch.setenv("RNN_TUI_STORE", "postgresql://ann:pw@h:1/d")
    controller = TrainingController(post=lambda message: None, run_worker=None)  # type: ignore[arg-type]
    argv = train_argv({}, store_path=controller.location.text)
    assert "--store=postgresql+psycopg://ann@h:1/d" in argv
    assert not any("pw" in arg for arg in argv)


def test_the_tui_header_names_a_store_other_than_the_default(monkeypatch):
    from rnn_tui.store import default_db_path
    from rnn_tui.ui.app import store_title

    assert store_title(parse_store_url(default_db_path())) == ""
    shown = store_title(parse_store_url("postgresql://ann:pw@h:1/d"))
    assert shown == "store postgresql+psycopg://ann@h:1/d"
