#!/usr/bin/env python3
"""A real PostgreSQL 15 server for the tests, started in a folder of its own.

Debian's postgresql binaries (/usr/lib/postgresql/*/bin) run initdb in
BASE/data and the server listens on a Unix socket in BASE only
(listen_addresses = '': no TCP at all), with fsync off (a test database is
thrown away). initdb and postgres refuse to run as root; CI runs as root,
so then they run as the unprivileged `postgres` user Debian's package
creates (runuser), and BASE becomes theirs. The clients (the tests and
cloutly-pipe) connect over the socket as the superuser `postgres` with
trust, or as the role `cp_pw` that must give a password (scram-sha-256):
that role is how a test proves state.password_file works and that the
password shows up nowhere.

How a test gets its database (one per test, so tests run in parallel):

  ctest: tests/CMakeLists.txt registers `pg.start` (FIXTURES_SETUP pg) that
  starts one server under ${CMAKE_BINARY_DIR}/pg-test and `pg.stop`
  (FIXTURES_CLEANUP pg). A test that needs PostgreSQL sets
  FIXTURES_REQUIRED pg and the environment CLOUTLY_PG_BASE=<that folder>.

  Python:  import pg_server (sys.path += tests/pg)
           url = pg_server.create_database(os.environ["CLOUTLY_PG_BASE"],
                                           pg_server.unique_name("ledger"))
  Any program (C unit tests): tests/pg/with_db.py BASE NAME -- CMD ARGS
           creates a fresh database and runs CMD with CLOUTLY_TEST_PG_URL
           set to its URL (and CLOUTLY_TEST_PG_PW_URL / _PW_FILE for the
           password role).
  Shell:   python3 tests/pg/pg_server.py start DIR      prints the server URL
           python3 tests/pg/pg_server.py createdb DIR NAME  prints the db URL
           python3 tests/pg/pg_server.py stop DIR

start() on a folder whose server still runs (a ctest run that was killed)
reuses it; a folder left by a stopped server is initialised afresh.
Python 3 standard library only.
"""
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid

PORT = 5432  # only names the socket file: nothing listens on TCP
PW_ROLE = "cp_pw"
PW_PASSWORD = "fixture-Secret-6e1d93"  # a test asserts this never appears in output


def _bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
                       "(install Debian's 'postgresql' package: scripts/deps.sh)")


def _as_server_user(cmd):
    """The command as the unprivileged user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def _info_path(base):
    return os.path.join(base, "server.json")


def _read_info(base):
    with open(_info_path(base)) as f:
        return json.load(f)


def _url(socket_dir, db="postgres", user="postgres"):
    return f"postgresql:///{db}?host={socket_dir}&port={PORT}&user={user}"


def _running(base):
    pidfile = os.path.join(base, "data", "postmaster.pid")
    try:
        with open(pidfile) as f:
            pid = int(f.readline().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return 0


def _psql(info, sql, db="postgres"):
    cmd = [os.path.join(info["bindir"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
           "-h", info["socket_dir"], "-p", str(PORT), "-U", "postgres", "-d", db, "-c", sql]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed ({sql}): {r.stderr.strip()}")
    return r.stdout


def start(base_dir):
    """Start (or reuse) the server in base_dir: dict(url, socket_dir, pid, ...)."""
    base = os.path.abspath(base_dir)
    os.makedirs(base, exist_ok=True)
    pid = _running(base)
    if pid and os.path.exists(_info_path(base)):
        info = _read_info(base)
        info["pid"] = pid
        return info
    bindir = _bindir()
    data = os.path.join(base, "data")
    if os.path.exists(data):
        shutil.rmtree(data)
    # A Unix socket's path is at most 107 bytes: a deep build folder gets a
    # short private socket folder under /tmp instead.
    sock = base if len(base) + len("/.s.PGSQL.5432") < 100 else tempfile.mkdtemp(prefix="cp-pg-")
    for d in {base, sock}:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o755)
    r = subprocess.run(_as_server_user([os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres",
                                        "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
                                        "--no-locale", "--no-sync"]),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("initdb failed: " + r.stderr.strip())
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("\n# tests/pg/pg_server.py\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{sock}'\n"
                f"port = {PORT}\n"
                "fsync = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 32MB\n"
                "log_min_messages = warning\n")
    # The password role must give one; everyone else is trusted on the socket.
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write(f"local all {PW_ROLE} scram-sha-256\nlocal all all trust\n")
    log = os.path.join(base, "server.log")
    r = subprocess.run(_as_server_user([os.path.join(bindir, "pg_ctl"), "-D", data, "-l", log,
                                        "-w", "-t", "60", "-s", "start"]),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        tail = open(log).read()[-2000:] if os.path.exists(log) else ""
        raise RuntimeError("pg_ctl start failed: " + r.stderr.strip() + "\n" + tail)
    info = {"url": _url(sock), "socket_dir": sock, "base": base, "pid": _running(base), "bindir": bindir,
            "port": PORT, "pw_role": PW_ROLE, "pw_password": PW_PASSWORD}
    _psql(info, f"CREATE ROLE {PW_ROLE} LOGIN SUPERUSER PASSWORD '{PW_PASSWORD}'")
    with open(_info_path(base), "w") as f:
        json.dump(info, f)
    return info


def stop(base_dir):
    """Stop the server of base_dir (fast shutdown); nothing when none runs."""
    base = os.path.abspath(base_dir)
    if not _running(base):
        return
    data = os.path.join(base, "data")
    subprocess.run(_as_server_user([os.path.join(_bindir(), "pg_ctl"), "-D", data, "-m", "fast",
                                    "-w", "-t", "60", "-s", "stop"]),
                   capture_output=True, text=True, timeout=120)
    try:
        sock = _read_info(base)["socket_dir"]
    except (OSError, ValueError, KeyError):
        return
    if sock != base:
        shutil.rmtree(sock, ignore_errors=True)


def restart(base_dir):
    """Stop and start the same server (fault tests: the database restarted)."""
    base = os.path.abspath(base_dir)
    data = os.path.join(base, "data")
    r = subprocess.run(_as_server_user([os.path.join(_bindir(), "pg_ctl"), "-D", data, "-l",
                                        os.path.join(base, "server.log"), "-m", "fast", "-w",
                                        "-t", "60", "-s", "restart"]),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("pg_ctl restart failed: " + r.stderr.strip())


def unique_name(prefix):
    """A database name no other test of this or another run uses."""
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}".lower()


def create_database(url_or_info, name):
    """CREATE DATABASE name on the server (a base folder, its info dict or
    its URL); return the new database's URL (superuser, trust)."""
    if isinstance(url_or_info, dict):
        info = url_or_info
    elif isinstance(url_or_info, str) and url_or_info.startswith("postgres"):
        host = url_or_info.split("host=", 1)[1].split("&", 1)[0]
        info = {"socket_dir": host, "bindir": _bindir()}
    else:
        info = _read_info(os.path.abspath(url_or_info))
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name {name!r}: letters, digits and _ only")
    _psql(info, f"CREATE DATABASE {name}")
    return _url(info["socket_dir"], name)


def password_url(info_or_base, db):
    """The URL of database `db` for the role that must give a password (none in the URL)."""
    info = info_or_base if isinstance(info_or_base, dict) else _read_info(os.path.abspath(info_or_base))
    return _url(info["socket_dir"], db, PW_ROLE)


def main(argv):
    if len(argv) >= 2 and argv[0] == "start":
        try:
            print(start(argv[1])["url"])
        except RuntimeError as e:
            print(f"pg_server: {e}", file=sys.stderr)
            return 1
        return 0
    if len(argv) >= 2 and argv[0] == "stop":
        stop(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "createdb":
        print(create_database(argv[1], argv[2]))
        return 0
    print("usage: pg_server.py start DIR | stop DIR | createdb DIR NAME", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
