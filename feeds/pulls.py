"""Scheduled pulls (issue 13 item 3): a source's watched folder or HTTPS address, read on the
schedule feeds.sources keeps in django-celery-beat, each file imported once.

A file is known by the SHA-256 of its bytes. It is skipped when this source already imported it
(feeds.selectors.already_imported), and also while an import of it is queued or running, once an
administrator rolled its import back (pulling it again would undo their rollback), and after a
pull's import of it failed (it would fail again every few minutes; its batch says why, and a
person can upload it once it is fixed).

A pull that fails (folder missing, address unreachable, file too big, import refused) leaves its
reason in words on the source, and the supervisors who look after the source hear once per
streak of failures, not at every retry; the next good pull clears it."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from urllib3.exceptions import ReadTimeoutError

from feeds import files
from feeds.models import FeedSource, ImportBatch
from feeds.pull_alerts import pull_failed
from feeds.selectors import already_imported
from feeds.services import ImportRefused, start_import

log = logging.getLogger(__name__)

# A file still being written is left for the next pull: one changed this recently, or named as
# the partial copies upload tools write.
SETTLE_SECONDS = 10
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")
MAX_REDIRECTS = 5
BLOCK = 1024 * 1024
# The advisory locks' key space for pulls (their second key is the source's id).
PULL_LOCKS = 0x46454544


class PullError(Exception):
    """Why a pull did not bring what it should, in words: no file content, no personal data."""


def pull_source(source_id: int) -> None:
    """Import every new file of the source's folder or address (the pull_source task)."""
    source = FeedSource.objects.filter(pk=source_id, is_active=True).first()
    if source is None or not (source.watch_folder or source.pull_url):
        return
    # No transaction is held while files are read or fetched (that can take minutes, and on
    # SQLite it would hold up every other write): each import is its own, in start_import.
    with _only_pull_of(source) as ours:
        if not ours:
            return  # the previous pull of this source is still at work (a slow download)
        try:
            if source.watch_folder:
                _pull_folder(source)
            else:
                _pull_url(source)
        except PullError as exc:
            pull_failed(source, str(exc))
        else:
            _succeeded(source)


@contextmanager
def _only_pull_of(source: FeedSource) -> Iterator[bool]:
    """Whether this is the only pull of the source under way: a PostgreSQL advisory lock held by
    this connection, let go at the end (or when the worker dies and its connection with it). The
    embedded parts run tasks in-process one at a time, with no beat to start a second one."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [PULL_LOCKS, source.pk])
        ours = cursor.fetchone()[0]
    try:
        yield ours
    finally:
        if ours:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCKS, source.pk])


# The folder -----------------------------------------------------------------------------------


def _pull_folder(source: FeedSource) -> None:
    folder = Path(source.watch_folder)
    if not folder.is_dir():
        raise PullError("The watched folder is missing (or is not a folder).")
    try:
        ready = sorted(_ready_files(folder), key=lambda entry: (entry.stat().st_mtime, entry.name))
    except OSError as exc:
        raise PullError("The watched folder cannot be read.") from exc
    problems = []
    for entry in ready:
        try:
            _import_file(source, Path(entry.path), origin=ImportBatch.Origin.FOLDER)
        except PullError as exc:
            problems.append(str(exc))
    if problems:
        more = f" ({len(problems) - 1} more in other files)" if len(problems) > 1 else ""
        raise PullError(f"{problems[0]}{more}")


def _ready_files(folder: Path) -> Iterator[os.DirEntry]:
    settled = time.time() - SETTLE_SECONDS
    with os.scandir(folder) as entries:
        for entry in entries:
            # Symbolic links are not followed: the folder holds the files it is given, and a link
            # would let whoever can write there have Lantern read any file it can open.
            if not entry.is_file(follow_symlinks=False) or entry.name.startswith("."):
                continue
            if entry.name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            if entry.stat(follow_symlinks=False).st_mtime > settled:
                continue
            yield entry


def _import_file(source: FeedSource, path: Path, *, origin: str) -> None:
    name = path.name
    try:
        # not through a link put in the file's place since the folder was listed
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as file:
            if os.fstat(file.fileno()).st_size > _max_bytes():
                raise PullError(f"A file in the folder is larger than the {_limit()} limit.")
            checksum = _sha256(file)
            if _taken(source, checksum):
                return
            file.seek(0)
            _start(source, file, file_name=name, origin=origin)
    except OSError as exc:
        raise PullError("A file in the folder cannot be read.") from exc


# The address ----------------------------------------------------------------------------------


def _pull_url(source: FeedSource) -> None:
    with _download(source.pull_url) as file:
        checksum = _sha256(file)
        if _taken(source, checksum):
            return
        file.seek(0)
        _start(source, file, file_name=_file_name(source), origin=ImportBatch.Origin.URL)


@contextmanager
def _download(url: str) -> Iterator[IO[bytes]]:
    """The file at `url` in a temporary file among the feed files (they may hold personal data),
    fetched over HTTPS only (redirects too), at most FEED_MAX_FILE_MB; removed afterwards.
    FEED_PULL_TIMEOUT seconds is the longest wait for any answer, and the download is abandoned
    once it has run that long (checked between blocks)."""
    timeout = settings.FEED_PULL_TIMEOUT
    deadline = time.monotonic() + timeout
    with (
        requests.Session() as session,
        tempfile.TemporaryFile(dir=files.folder(), prefix=".pull-") as file,
    ):
        try:
            answer = _follow(session, url, timeout)
            with answer:
                _save(answer, file, deadline)
        except requests.exceptions.SSLError as exc:
            raise PullError("The address's certificate is not trusted.") from exc
        except requests.exceptions.Timeout as exc:
            raise PullError(f"The address did not answer within {timeout} seconds.") from exc
        except requests.exceptions.RequestException as exc:
            raise PullError("The address cannot be reached.") from exc
        except OSError as exc:  # after requests' own, which are OSErrors too
            raise PullError("The fetched file could not be written to the feed files.") from exc
        file.seek(0)
        yield file


def _follow(session: requests.Session, url: str, timeout: int) -> requests.Response:
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(url).scheme.lower() != "https":
            raise PullError("Files are fetched over https:// only: the address is refused.")
        answer = session.get(
            url,
            stream=True,
            timeout=timeout,
            allow_redirects=False,
            verify=settings.FEED_PULL_CA_BUNDLE or True,
        )
        if not answer.is_redirect:
            if answer.status_code != 200:
                answer.close()
                raise PullError(f"The address answered with HTTP status {answer.status_code}.")
            return answer
        answer.close()
        url = urljoin(url, answer.headers["Location"])
    raise PullError("The address redirects too many times.")


def _save(answer: requests.Response, file: IO[bytes], deadline: float) -> None:
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > _max_bytes():
        raise PullError(f"The file at the address is larger than the {_limit()} limit.")
    size = 0
    try:
        for block in answer.iter_content(BLOCK):
            size += len(block)
            if size > _max_bytes():
                raise PullError(f"The file at the address is larger than the {_limit()} limit.")
            if time.monotonic() > deadline:
                raise requests.exceptions.Timeout
            file.write(block)
    except requests.exceptions.ConnectionError as exc:
        # requests reports a body that stops coming as a lost connection
        if isinstance(exc.args[0] if exc.args else None, ReadTimeoutError):
            raise requests.exceptions.Timeout from exc
        raise


def _file_name(source: FeedSource) -> str:
    """The address's last path segment, as the batch's file name."""
    segments = [unquote(part) for part in urlsplit(source.pull_url).path.split("/") if part]
    return (segments[-1] if segments else source.slug)[:255]


# Shared ---------------------------------------------------------------------------------------


def _taken(source: FeedSource, checksum: str) -> bool:
    if already_imported(source, checksum):
        return True
    pulled = [ImportBatch.Origin.FOLDER, ImportBatch.Origin.URL]
    in_hand = Q(status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING])
    in_hand |= Q(status=ImportBatch.Status.ROLLED_BACK)
    in_hand |= Q(status=ImportBatch.Status.FAILED, origin__in=pulled)
    return ImportBatch.objects.filter(
        in_hand, source=source, checksum=checksum, dry_run=False
    ).exists()


def _start(source: FeedSource, file: IO[bytes], *, file_name: str, origin: str) -> None:
    try:
        start_import(source=source, upload=file, file_name=file_name, actor=None, origin=origin)
    except ImportRefused as exc:
        raise PullError(f"A pulled file's import was refused: {exc}") from exc
    except OSError as exc:
        raise PullError("A pulled file could not be stored for its import.") from exc


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while block := file.read(BLOCK):
        digest.update(block)
    return digest.hexdigest()


def _max_bytes() -> int:
    return settings.FEED_MAX_FILE_MB * 1024 * 1024


def _limit() -> str:
    return f"{settings.FEED_MAX_FILE_MB} MB"


# What a pull leaves on the source -------------------------------------------------------------
# Plain updates, not save(): these are the pull's bookkeeping, not a change an administrator made,
# and a history row every few minutes would bury the real ones.


def _succeeded(source: FeedSource) -> None:
    FeedSource.objects.filter(pk=source.pk).update(
        last_pulled_at=timezone.now(), last_pull_error=""
    )
