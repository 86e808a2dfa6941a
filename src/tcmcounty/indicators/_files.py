"""Reading TOML/CSV files shipped with the package or given by the user, with located errors."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from tcmcounty.errors import InputError, Problem

#: Largest user file read (a targets file is a few KB).
MAX_USER_BYTES = 1024 * 1024
#: Folder (inside the ``tcmcounty`` package) holding the registry and the shipped target sets.
DATA_FOLDER = "data/indicators"


def packaged_text(name: str) -> str:
    """Return the text of a file shipped in ``tcmcounty/data/indicators`` (via importlib.resources).

    Examples
    --------
    >>> "[[indicator]]" in packaged_text("registry.toml")
    True
    """
    return (
        resources.files("tcmcounty").joinpath(f"{DATA_FOLDER}/{name}").read_text(encoding="utf-8")
    )


def packaged_names() -> list[str]:
    """Names of the files shipped in ``tcmcounty/data/indicators``."""
    folder = resources.files("tcmcounty").joinpath(DATA_FOLDER)
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def problem(file: str, key: str | None, en: str, zh: str, value: object = None) -> Problem:
    """Return an error :class:`~tcmcounty.errors.Problem` located at ``key`` of ``file``."""
    return Problem("error", file, en, zh, column=key, value=None if value is None else str(value))


def fail(file: str, key: str | None, en: str, zh: str, value: object = None) -> InputError:
    """Return an :class:`~tcmcounty.errors.InputError` for one problem (to be raised)."""
    return InputError([problem(file, key, en, zh, value)], file)


def read_user_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Read a user file as UTF-8 (with or without BOM); return (name for messages, text).

    Raises
    ------
    TypeError
        If ``path`` is not a str or path.
    InputError
        If the file is missing or not UTF-8.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path, not {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise fail(str(p), None, "file not found", "文件不存在")
    if not p.is_file():
        raise fail(
            str(p),
            None,
            "not a regular file (a folder, pipe or device)",
            "不是普通文件（文件夹、管道或设备）",
        )
    if p.stat().st_size > MAX_USER_BYTES:
        raise fail(
            str(p),
            None,
            f"larger than {MAX_USER_BYTES // 1024} KB: not a targets or settings file",
            f"文件超过 {MAX_USER_BYTES // 1024} KB，不是目标值或设置文件",
        )
    try:
        return str(p), p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail(
            str(p), None, "cannot decode the file: expected UTF-8", "无法解码：应为 UTF-8 编码"
        ) from None


def parse_toml(text: str, file: str) -> dict[str, object]:
    """Parse TOML text, turning syntax errors into an :class:`InputError` naming the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(file, None, f"not valid TOML: {exc}", f"不是有效的 TOML 格式：{exc}") from None
