"""Local files of printer transfers: allowed paths, atomic writes, the job picture cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
import tempfile
from typing import IO, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .const import (
    DOMAIN,
)

THUMBNAIL_CACHE_FILES: Final = 200
THUMBNAIL_CACHE_BYTES: Final = 50 * 1024 * 1024
DEFAULT_SUBFOLDER: Final = "printernizer"


def default_folder(hass: HomeAssistant) -> Path:
    """Return ``<media>/printernizer`` (``/media/printernizer`` on Home Assistant OS)."""
    media = hass.config.media_dirs.get("local", "/media")
    return Path(media) / DEFAULT_SUBFOLDER


def _not_allowed(path: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="local_path_not_allowed",
        translation_placeholders={"path": path},
    )


def resolve_local_path(hass: HomeAssistant, raw: str, *, base: Path | None = None) -> Path:
    """Return the real path behind ``raw`` if Home Assistant allows it (blocking).

    Relative paths are taken below ``base`` (default: :func:`default_folder`). ``..`` is refused
    outright; symlinks are resolved first, so a link out of an allowed folder is refused too.
    """
    text = raw.strip()
    if not text or "\0" in text:
        raise _not_allowed(raw)
    candidate = Path(text)
    if ".." in candidate.parts:
        raise _not_allowed(raw)
    if not candidate.is_absolute():
        candidate = (base or default_folder(hass)) / candidate
    resolved = candidate.resolve(strict=False)
    # The resolved path: a symlink (even a dangling one) is judged by where it points.
    if not hass.config.is_allowed_path(str(resolved)):
        raise _not_allowed(raw)
    return resolved


class PartialFile:
    """A download in progress: a temporary file beside the target, renamed into place at the end.

    The rename replaces a symlink at the target instead of following it (blocking methods).
    """

    def __init__(self, target: Path, *, overwrite: bool) -> None:
        """Create the temporary file; FileExistsError when the target exists."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if (target.exists() or target.is_symlink()) and not overwrite:
            raise FileExistsError(str(target))
        self.target = target
        fd, self._temp = tempfile.mkstemp(
            prefix=".printernizer-", suffix=".part", dir=target.parent
        )
        self.file: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """Close and move the file into place."""
        self.file.close()
        os.replace(self._temp, self.target)

    def discard(self) -> None:
        """Close and remove the unfinished file."""
        self.file.close()
        Path(self._temp).unlink(missing_ok=True)


# ---------------------------------------------------------------------------- thumbnail cache


class ThumbnailCache:
    """Job pictures on disk, bounded in count and bytes (oldest dropped first)."""

    def __init__(
        self,
        folder: Path,
        *,
        max_files: int = THUMBNAIL_CACHE_FILES,
        max_bytes: int = THUMBNAIL_CACHE_BYTES,
    ) -> None:
        """Keep pictures in ``folder``."""
        self.folder = folder
        self.max_files = max_files
        self.max_bytes = max_bytes

    @staticmethod
    def key(*parts: object) -> str:
        """Return a file-name-safe key for the parts."""
        return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]

    def path(self, key: str, content_type: str) -> Path:
        """Return where a picture of ``key`` is stored."""
        suffix = ".jpg" if content_type == "image/jpeg" else ".png"
        return self.folder / f"{key}{suffix}"

    def find(self, key: str) -> tuple[Path, str] | None:
        """Return a cached picture and its content type (blocking)."""
        for suffix, content_type in ((".png", "image/png"), (".jpg", "image/jpeg")):
            path = self.folder / f"{key}{suffix}"
            if path.is_file():
                os.utime(path)
                return path, content_type
        return None

    def put(self, key: str, data: bytes, content_type: str) -> Path:
        """Store a picture and keep the cache within its bounds (blocking)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key, content_type)
        temp = path.with_suffix(".part")
        temp.write_bytes(data)
        os.replace(temp, path)
        self.prune()
        return path

    def prune(self) -> None:
        """Drop the least recently used pictures beyond the bounds (blocking)."""
        entries = sorted(
            (entry for entry in self.folder.iterdir() if entry.suffix in (".png", ".jpg")),
            key=lambda entry: entry.stat().st_mtime,
            reverse=True,
        )
        total = 0
        for index, entry in enumerate(entries):
            total += entry.stat().st_size
            if index >= self.max_files or total > self.max_bytes:
                entry.unlink(missing_ok=True)


def prune_folder(folder: Path, *, max_files: int, max_bytes: int) -> list[Path]:
    """Delete the oldest files of ``folder`` beyond the bounds; return what was deleted."""
    if not folder.is_dir():
        return []
    files = sorted(
        (entry for entry in folder.iterdir() if entry.is_file() and not entry.name.startswith(".")),
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    deleted: list[Path] = []
    total = 0
    for index, entry in enumerate(files):
        total += entry.stat().st_size
        if index >= max_files or total > max_bytes:
            entry.unlink(missing_ok=True)
            deleted.append(entry)
    return deleted


# ---------------------------------------------------------------------------- progress
