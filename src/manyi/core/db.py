"""Database helpers shared by long-running work (refresh, import)."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def unmapped():
    """SQLite maps up to 2 GB of the database file into memory (settings);
    work that reads or writes most of the file (a refresh, a large import)
    goes through SQLite's own page cache instead, so the file does not become
    the process's resident memory."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        row = cursor.fetchone()  # none for an in-memory database
        if row is None:
            mapped = None
        else:
            mapped = row[0]
            cursor.execute("PRAGMA mmap_size=0")
    if mapped is None:
        yield
        return
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size={int(mapped)}")
