"""Where the lake lives: a local directory or object storage, through pyarrow's filesystems.

A lake root is a string: a directory (no scheme), ``file:///abs/path``, or a URI pyarrow can
open (``s3://bucket/prefix``, ``gs://bucket/prefix``; options such as ``?region=`` go in the
query string). ``lake_at`` opens it once per process and caches it, so a Beam DoFn keeps only
the root string (which pickles) and reopens it in ``setup()``. Paths inside a ``Lake`` are the
filesystem's own (``/abs/dir/file`` locally, ``bucket/prefix/file`` on object storage);
``Lake.uri`` turns one into what users and DuckDB see.

Writes are atomic on both kinds of storage, in different ways:

- On the local filesystem the bytes go to a hidden ``.<name>.tmp`` file (0600) in the target
  directory, are fsynced, renamed over the final name, and the directory is fsynced, so a
  reader sees the old file or the new one and a crash loses neither. Directories are 0700:
  guardrail rows carry raw user prompts.
- On any other filesystem the final object is written in one ``open_output_stream``. Object
  stores publish an object only when its upload completes, which is the atomicity we need;
  there is no rename (it would be a copy). The bytes are encoded in memory first, so a failure
  while encoding never reaches the store.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class Lake:
    """A lake root on one filesystem: ``root`` is its path as ``filesystem`` names it.

    ``scheme`` names the filesystem in URIs (``s3``, ``gs``); it is empty for a local lake.
    Build one directly to put a lake on a filesystem no URI names (tests use pyarrow's
    in-memory ``_MockFileSystem``).
    """

    filesystem: pafs.FileSystem
    root: str
    scheme: str = ""

    @property
    def local(self) -> bool:
        """True on the local filesystem, where writes take the POSIX path (module doc)."""
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    def path(self, *parts: str) -> str:
        """The path of ``parts`` under the root (empty parts are skipped)."""
        return join(self.root, *parts)

    def uri(self, path: str) -> str:
        """``path`` as users and DuckDB name it: a local path, or ``scheme://path``."""
        return path if self.local else f"{self.scheme}://{path}"

    def exists(self, path: str) -> bool:
        return self.filesystem.get_file_info(path).type != pafs.FileType.NotFound

    def data_files(self, directory: str) -> list[str]:
        """The non-hidden ``*.parquet`` files directly in ``directory``, sorted (none if absent)."""
        return sorted(
            info.path
            for info in self._list(directory)
            if info.type == pafs.FileType.File
            and info.base_name.endswith(".parquet")
            and not info.base_name.startswith(".")
        )

    def directories(self, directory: str) -> list[str]:
        """The subdirectories of ``directory``, sorted (none if it is absent)."""
        return sorted(i.path for i in self._list(directory) if i.type == pafs.FileType.Directory)

    def files_named(self, directory: str, name: str) -> list[str]:
        """Every file called ``name`` anywhere under ``directory``, sorted."""
        infos = self._list(directory, recursive=True)
        return sorted(i.path for i in infos if i.type == pafs.FileType.File and i.base_name == name)

    def makedirs(self, directory: str) -> None:
        """Create ``directory`` and its parents; locally those under the root are 0700."""
        if not self.local:
            self.filesystem.create_dir(directory, recursive=True)
            return
        root = Path(self.root)
        root.mkdir(parents=True, exist_ok=True)
        current = root
        for part in Path(directory).relative_to(root).parts:
            current = current / part
            current.mkdir(mode=0o700, exist_ok=True)

    def delete(self, paths: Iterable[str]) -> None:
        """Remove files (missing ones are fine); locally the removals are made durable."""
        directories = set()
        for path in paths:
            try:
                self.filesystem.delete_file(path)
            except FileNotFoundError:
                continue
            directories.add(posixpath.dirname(path))
        if self.local:
            for directory in sorted(directories):
                _fsync_directory(directory)

    def delete_dir(self, directory: str) -> None:
        """Remove ``directory`` and everything under it, if it exists."""
        if self.filesystem.get_file_info(directory).type == pafs.FileType.Directory:
            self.filesystem.delete_dir(directory)

    def delete_dir_if_empty(self, directory: str) -> None:
        if self.exists(directory) and not self._list(directory):
            self.filesystem.delete_dir(directory)

    def read_parquet(self, path: str, columns: Sequence[str] | None = None) -> pa.Table:
        with self.filesystem.open_input_file(path) as source:
            return pq.read_table(source, columns=list(columns) if columns else None)

    def read_bytes(self, path: str) -> pa.Buffer:
        with self.filesystem.open_input_file(path) as source:
            return source.read_buffer()

    def write_parquet(self, path: str, rows: pa.Table, compression: str) -> None:
        """Write ``rows`` as the Parquet file ``path``, atomically and durably."""
        sink = pa.BufferOutputStream()
        pq.write_table(rows, sink, compression=compression)
        self.write_bytes(path, sink.getvalue())

    def write_bytes(self, path: str, data: bytes | pa.Buffer, *, durable: bool = True) -> None:
        """Write ``data`` as the file ``path`` atomically (module doc); ``durable=False``
        skips the fsyncs, for files that only live for one run."""
        if self.local:
            _replace_locally(path, data, durable=durable)
        else:
            with self.filesystem.open_output_stream(path) as out:
                out.write(data)

    def discard_unfinished(self, path: str) -> None:
        """Remove what an interrupted write of ``path`` left: locally its hidden temporary
        file; on object storage nothing, since an unfinished upload is never published."""
        if self.local:
            _temporary(path).unlink(missing_ok=True)

    def _list(self, directory: str, *, recursive: bool = False) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(directory, allow_not_found=True, recursive=recursive)
        return list(self.filesystem.get_file_info(selector))


LakeRoot = str | Path | Lake


def join(directory: str, *parts: str) -> str:
    """``parts`` under ``directory``, with ``/`` (which every pyarrow filesystem accepts)."""
    return posixpath.join(directory, *(p for p in parts if p))


def lake_at(root: LakeRoot) -> Lake:
    """The lake at ``root``: a directory, ``file://`` URI or object-store URI (module doc).

    Raises ``ConfigError`` when pyarrow cannot open the URI's scheme.
    """
    if isinstance(root, Lake):
        return root
    text = str(root)
    if "://" not in text:
        text = str(Path(text).resolve())  # before the cache: relative to today's directory
    return _open(text)


def query_root(root: LakeRoot) -> str:
    """The lake root as DuckDB should read it: a local path or ``scheme://bucket/prefix``.

    Object-store URIs are rewritten without opening the store (which may need the network);
    their query options and credentials are pyarrow's and are dropped (``shown``).
    """
    if isinstance(root, Lake) or "://" not in str(root) or str(root).startswith("file://"):
        lake = lake_at(root)
        return lake.uri(lake.root)
    return shown(root)


def shown(root: LakeRoot) -> str:
    """The lake root as it may be printed, logged or raised: pyarrow reads credentials from a
    URI's user part (``s3://KEY:SECRET@bucket``) and query (``?secret_key=``), so an
    object-store URI is shown as ``scheme://bucket/prefix`` alone."""
    if isinstance(root, Lake):
        return root.uri(root.root)
    text = str(root)
    if "://" not in text or text.startswith("file://"):
        return text
    scheme, rest = text.split("://", 1)
    location = rest.split("?", 1)[0].split("#", 1)[0]
    host, slash, path = location.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}".rstrip("/")


@lru_cache(maxsize=16)
def _open(text: str) -> Lake:
    if "://" not in text:
        return Lake(pafs.LocalFileSystem(), text)
    try:
        filesystem, path = pafs.FileSystem.from_uri(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        reason = str(err).replace(text, shown(text))  # pyarrow quotes the URI, credentials too
        raise ConfigError(
            f"cannot open the lake {shown(text)}: {reason}; use a directory, file:///abs/path, "
            "s3://bucket/prefix or gs://bucket/prefix"
        ) from None
    if isinstance(filesystem, pafs.LocalFileSystem):
        return Lake(filesystem, path.rstrip("/") or "/")
    return Lake(filesystem, path.rstrip("/"), text.split("://", 1)[0].lower())


def _temporary(path: str) -> Path:
    target = Path(path)
    return target.with_name(f".{target.name}.tmp")


def _replace_locally(path: str, data: bytes | pa.Buffer, *, durable: bool) -> None:
    tmp = _temporary(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(memoryview(data))
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(os.path.dirname(path))


def _fsync_directory(directory: str) -> None:
    # Makes a rename or an unlink itself durable, not only a file's bytes.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
