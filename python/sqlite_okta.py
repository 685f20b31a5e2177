"""sqlite-okta for Python: finds the extension (okta.so) and loads it into a
sqlite3 connection.

    import sqlite3
    import sqlite_okta

    db = sqlite3.connect(":memory:")
    sqlite_okta.load(db)                   # or: db.load_extension(sqlite_okta.loadable_path())
    db.execute("SELECT count(*) FROM okta_users").fetchone()

okta.so is looked for, in this order: beside this module; one directory up
(make install puts this module in PREFIX/lib/sqlite-okta/python and okta.so
in PREFIX/lib/sqlite-okta); in the install prefix make install wrote into
the installed copy (for PYTHONDIR=a site-packages directory); in ../build
(this module in a source checkout's python/, after make).

The connection's Python must allow extension loading (Debian's
/usr/bin/python3 does; some other builds do not).
"""

import os

__all__ = ["load", "loadable_path"]

# make install replaces None with PREFIX/lib/sqlite-okta.
_LIBDIR = None


def _candidates():
    """Directories that may hold okta.so, most specific first."""
    here = os.path.dirname(os.path.abspath(__file__))
    dirs = [here, os.path.dirname(here)]
    if _LIBDIR:
        dirs.append(_LIBDIR)
    dirs.append(os.path.join(os.path.dirname(here), "build"))
    return dirs


def loadable_path():
    """The path of okta.so without its suffix, as sqlite3's load_extension()
    (and SQL's load_extension(), and the shell's .load) take it."""
    dirs = _candidates()
    for d in dirs:
        if os.path.isfile(os.path.join(d, "okta.so")):
            return os.path.join(d, "okta")
    raise FileNotFoundError("sqlite-okta: okta.so not found in %s (build it with make, or make install)"
                            % ", ".join(dirs))


def load(conn):
    """Loads sqlite-okta into the sqlite3 connection conn: enables extension
    loading, loads it, and disables extension loading again (so SQL run on
    conn later cannot load other extensions)."""
    if not hasattr(conn, "enable_load_extension"):
        raise RuntimeError("sqlite-okta: this Python's sqlite3 module was built without extension loading; "
                           "use a Python that has it (Debian's /usr/bin/python3) or the okta-sqlite3 shell")
    path = loadable_path()
    conn.enable_load_extension(True)
    try:
        conn.load_extension(path)
    finally:
        conn.enable_load_extension(False)
