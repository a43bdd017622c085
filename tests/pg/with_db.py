#!/usr/bin/env python3
"""Run a program against a fresh PostgreSQL database of the test server.

  with_db.py BASE PREFIX -- CMD ARGS...

creates a database with a unique name starting with PREFIX on the server
that tests/pg/pg_server.py started in BASE (ctest's pg.start fixture), then
runs CMD with
  CLOUTLY_TEST_PG_URL      the database's URL (superuser over the socket, trust)
  CLOUTLY_TEST_PG_PW_URL   the same database for a role that must give a password
  CLOUTLY_TEST_PG_PW_FILE  a file holding that password on its first line
and exits with CMD's exit code. The database is left for the server's
folder to be thrown away with (pg.stop; the next pg.start re-initialises).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_server  # noqa: E402


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print("usage: with_db.py BASE PREFIX -- CMD ARGS...", file=sys.stderr)
        return 2
    base, prefix, cmd = argv[0], argv[1], argv[3:]
    info = pg_server._read_info(os.path.abspath(base))
    name = pg_server.unique_name(prefix)
    env = dict(os.environ)
    env["CLOUTLY_TEST_PG_URL"] = pg_server.create_database(info, name)
    env["CLOUTLY_TEST_PG_PW_URL"] = pg_server.password_url(info, name)
    pw_file = os.path.join(os.path.abspath(base), "password.txt")
    if not os.path.exists(pw_file):
        tmp = f"{pw_file}.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(info["pw_password"] + "\n")
        os.chmod(tmp, 0o644)  # tests only: the clients run as another user than the server
        os.replace(tmp, pw_file)
    env["CLOUTLY_TEST_PG_PW_FILE"] = pw_file
    return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
