"""read_regular_file refuses what is not a regular file at once and bounds what it reads."""

from __future__ import annotations

import os
import threading

import pytest

from maos_tui.safe_read import UnsafeFileError, read_regular_file, read_regular_text


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"x = 1\n")
    assert read_regular_file(path) == b"x = 1\n"


def test_a_symlink_to_a_regular_file_is_followed(tmp_path):
    (tmp_path / "real").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert read_regular_file(tmp_path / "link") == b"data"


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "nope")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_regular_file(fifo)
        except BaseException as exc:  # handed to the main thread to assert on
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # unblock the open so the daemon thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], UnsafeFileError)
    assert "is a FIFO, not a regular file" in str(outcome[0])


def test_a_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "config.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(UnsafeFileError, match="is a device, not a regular file"):
        read_regular_file(link)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(UnsafeFileError, match="is a directory"):
        read_regular_file(tmp_path)


def test_a_file_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "big"
    path.write_bytes(b"a" * 101)
    with pytest.raises(UnsafeFileError, match="larger than 100 bytes"):
        read_regular_file(path, limit=100)
    assert read_regular_file(path, limit=101) == b"a" * 101


def test_text_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert read_regular_text(path) == "x = 1\n"
