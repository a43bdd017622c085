"""End to end: the ledger on PostgreSQL (issue 16), through the binary.

Run by ctest as e2e.pg.pg_state (the pg fixture's server; see harness.py's
PG_BASE). Proves:
  - state.url with state.password_file reaches a role that must give a
    password, and the password shows in no output of check, doctor or run
    (also when it is written into the URL itself);
  - a database that cannot be reached at start means nothing is sent:
    exit 2, the reason, the URL without its password;
  - `ledger copy` SQLite -> PostgreSQL -> SQLite keeps every attempt and
    its cooldown effect: a second pipeline's run over the same people is
    skipped by the cooldown on the copy, and a second copy adds nothing.
"""
import os
import re
import unittest

from harness import E2E, PG_BASE, contacts, pg_server, pipeline_yaml, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


@unittest.skipUnless(PG_BASE, "needs the PostgreSQL test server (ctest e2e.pg.pg_state)")
class PgState(E2E):
    def setUp(self):
        super().setUp()
        self.pg = pg_server()
        self.url = os.environ["CLOUTLY_STATE_URL"]
        self.db = re.match(r"postgresql:///(\w+)\?", self.url).group(1)
        self.password = self.pg.PW_PASSWORD
        self.pw_file = os.path.join(self.dir, "db-password")
        with open(self.pw_file, "w") as f:
            f.write(self.password + "\n")

    def pipeline_at(self, name, rows, state_block):
        d = os.path.join(self.dir, name)
        os.makedirs(d, exist_ok=True)
        write_csv(os.path.join(d, "input.csv"), HEADER, rows)
        path = os.path.join(d, "pipeline.yaml")
        with open(path, "w") as f:
            f.write(pipeline_yaml(os.path.join(d, "input.csv"), os.path.join(d, "results.csv"),
                                  os.path.join(d, "rejects.csv"), name=name) + state_block)
        return path

    def statuses(self, name):
        return [r["status"] for r in read_csv(os.path.join(self.dir, name, "results.csv"))]

    def assertNoPassword(self, p):
        for stream in (p.stdout, p.stderr):
            self.assertNotIn(self.password, stream)

    def test_password_file_reaches_the_database_and_the_password_is_never_shown(self):
        pw_url = self.pg.password_url(PG_BASE, self.db)
        path = self.pipeline_at("nightly", contacts(3),
                                f"state:\n  url: {pw_url}\n  password_file: {self.pw_file}\n")
        for args in (("check", path), ("doctor", path), ("run", "-v", path)):
            p = self.run_cli(*args, env={"CLOUTLY_STATE_URL": "", "PGPASSWORD": ""})
            self.assertNoPassword(p)
            if args[0] == "doctor":
                self.assertIn("the server answers", p.stdout + p.stderr)
        self.assertRun(p, 0)
        self.assertEqual(self.statuses("nightly"), ["sent"] * 3)
        # The run's rows are in that database: a second run of the file sends nothing.
        self.assertRun(self.run_cli("run", path, env={"CLOUTLY_STATE_URL": ""}), 0)
        self.assertEqual(len(self.sim.requests()), 3)
        self.assertEqual(self.ledger_rows(None, "SELECT count(*) FROM attempts WHERE status = 'sent'"),
                         [("3",)])
        # The password written into the URL itself is not shown either.
        in_url = pw_url.replace("postgresql:///", f"postgresql://cp_pw:{self.password}@/", 1)
        path = self.pipeline_at("campaign", contacts(1, start=5), f"state:\n  url: {in_url}\n")
        for args in (("check", path), ("run", "-v", "--dry-run", path), ("run", "-v", path)):
            p = self.run_cli(*args, env={"CLOUTLY_STATE_URL": ""})
            self.assertNoPassword(p)
        self.assertRun(p, 0)
        self.assertEqual(self.statuses("campaign"), ["sent"])
        # The HTML report reads SQLite: refused, without the password (or a page holding it).
        p = self.run_cli("report", "--ledger", in_url, "-o", os.path.join(self.dir, "r.html"))
        self.assertRun(p, 2)
        self.assertNoPassword(p)
        self.assertIn("on PostgreSQL", p.stderr)

    def test_an_unreachable_database_at_start_sends_nothing_and_exits_2(self):
        gone = (f"postgresql://cp_pw:{self.password}@/{self.db}"
                f"?host={os.path.join(self.dir, 'no-server-here')}&port=5432")
        path = self.pipeline_at("nightly", contacts(3), f"state:\n  url: {gone}\n")
        p = self.run_cli("run", path, env={"CLOUTLY_STATE_URL": ""})
        self.assertRun(p, 2)
        self.assertNoPassword(p)
        self.assertIn("cannot connect to the database 'postgresql://cp_pw@/", p.stderr)
        self.assertEqual(self.sim.requests(), [])
        # The same through the environment, with no state in the pipeline.
        path = self.pipeline_at("env", contacts(2), "")
        p = self.run_cli("run", path, env={"CLOUTLY_STATE_URL": gone})
        self.assertRun(p, 2)
        self.assertNoPassword(p)
        self.assertEqual(self.sim.requests(), [])
        # doctor says so too, from the environment's URL, without the password.
        p = self.run_cli("doctor", path, env={"CLOUTLY_STATE_URL": gone})
        self.assertNoPassword(p)
        self.assertIn("cannot connect to the database 'postgresql://cp_pw@/", p.stdout + p.stderr)
        self.assertEqual(self.sim.requests(), [])

    def test_ledger_copy_round_trip_keeps_every_attempt_and_its_cooldown(self):
        local = os.path.join(self.dir, "local.sqlite")
        first = self.pipeline_at("nightly", contacts(4), f"state:\n  path: {local}\n")
        self.assertRun(self.run_cli("run", first, env={"CLOUTLY_STATE_URL": ""}), 0)
        self.assertEqual(len(self.sim.requests()), 4)

        p = self.run_cli("ledger", "copy", "--from", local, "--to", self.url)
        self.assertRun(p, 0)
        self.assertIn("added: 1 runs, 4 attempts", p.stdout)
        p = self.run_cli("ledger", "copy", "--from", local, "--to", self.url)
        self.assertRun(p, 0)
        self.assertIn("added: 0 runs, 0 attempts, 0 watermarks, 0 suppressions, 0 erasures", p.stdout)
        self.assertIn("now held: 1 runs, 4 attempts", p.stdout)

        # Another pipeline of the account, on PostgreSQL now (CLOUTLY_STATE_URL):
        # the people the SQLite ledger invited are skipped by the cooldown.
        second = self.pipeline_at("campaign", contacts(6, start=2), "")
        p = self.run_cli("run", second)
        self.assertRun(p, 0)
        self.assertEqual(self.statuses("campaign"), ["skipped", "skipped", "sent", "sent", "sent",
                                                     "sent"])
        self.assertIn("cooldown", read_csv(os.path.join(self.dir, "campaign", "results.csv"))[0]["reason"])

        # And back to a new SQLite file: both pipelines' attempts, cooldowns intact.
        back = os.path.join(self.dir, "back.sqlite")
        p = self.run_cli("ledger", "copy", "--from", self.url, "--to", back)
        self.assertRun(p, 0)
        self.assertIn("added: 2 runs, 8 attempts", p.stdout)  # 4 + the 4 sent (skips are not attempts)
        third = self.pipeline_at("later", contacts(9), f"state:\n  path: {back}\n")
        self.assertRun(self.run_cli("run", third, env={"CLOUTLY_STATE_URL": ""}), 0)
        self.assertEqual(self.statuses("later"), ["skipped"] * 8 + ["sent"])
        counts = {}
        for r in self.sim.requests():
            e = r["body"]["channel"]["email"]
            counts[e] = counts.get(e, 0) + 1
        self.assertEqual(max(counts.values()), 1)  # 0 duplicates over the whole story
        self.assertEqual(len(counts), 9)


if __name__ == "__main__":
    unittest.main()
