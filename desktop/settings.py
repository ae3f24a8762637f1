"""Where the app keeps its settings (QSettings) and its own files (demo cache, recovery file).

Tests, ``--smoke`` and ``--screenshot`` call :func:`configure` with a settings file and a data
folder of their own, so they never read or change a user's settings. The environment variables
``BEATWISE_SETTINGS_FILE`` and ``BEATWISE_DATA_DIR`` do the same from outside.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QSettings, QStandardPaths

ORGANISATION = "Beatwise"
APPLICATION = "Beatwise"
MAX_RECENT = 10

_settings_file: Optional[Path] = None
_data_dir: Optional[Path] = None


def configure(settings_file: Optional[os.PathLike | str] = None,
              data_dir: Optional[os.PathLike | str] = None) -> None:
    """Use this INI file for settings and this folder for app files (None: the user's defaults)."""
    global _settings_file, _data_dir
    _settings_file = Path(settings_file) if settings_file else None
    _data_dir = Path(data_dir) if data_dir else None


def settings() -> QSettings:
    """The app's QSettings (the configured INI file, else the platform's per-user store)."""
    path = _settings_file or (Path(os.environ["BEATWISE_SETTINGS_FILE"])
                              if os.environ.get("BEATWISE_SETTINGS_FILE") else None)
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


def data_dir() -> Path:
    """Folder for the demo cache and the recovery file (created on demand)."""
    folder = _data_dir
    if folder is None and os.environ.get("BEATWISE_DATA_DIR"):
        folder = Path(os.environ["BEATWISE_DATA_DIR"])
    if folder is None:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
        folder = Path(base) if base else Path.home() / ".beatwise"
        if folder.name != APPLICATION:
            folder = folder / APPLICATION
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def recovery_path() -> Path:
    return data_dir() / "recovery.beatwise"


def recovery_info_path() -> Path:
    return data_dir() / "recovery.json"


def get_json(key: str, default: Any = None) -> Any:
    """A JSON value stored as text (QSettings' own types differ between INI and registry)."""
    raw = settings().value(key)
    if raw is None or raw == "":
        return default
    try:
        return json.loads(str(raw))
    except (TypeError, ValueError):
        return default


def set_json(key: str, value: Any) -> None:
    s = settings()
    s.setValue(key, json.dumps(value))
    s.sync()


def recent_files() -> list[str]:
    return [p for p in get_json("recent_files", []) if isinstance(p, str)]


def add_recent_file(path: os.PathLike | str) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [p for p in recent_files() if p != path]
    files = files[:MAX_RECENT]
    set_json("recent_files", files)
    return files


def last_folder() -> str:
    folder = get_json("last_folder", "")
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def set_last_folder(path: os.PathLike | str) -> None:
    p = Path(path)
    set_json("last_folder", str(p if p.is_dir() else p.parent))
