"""End to end: what a resumed run says about rows the ledger already knows
(issue 9 weaknesses). An in_doubt row says what was recorded (a 500, a
timeout), not always "stopped while in flight"; a status the ledger should
never hold (a cell edited by hand) is in doubt, never "try again"; a ledger
file of 0 bytes is a warning, not a silent fresh start."""
import os
import sqlite3
import unittest

from harness import E2E, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


class ResumeWords(E2E):
    sim_args = ("--fault", "2=500")

    def state(self):
        return os.path.join(self.dir, "state.sqlite")

    def test_in_doubt_on_resume_says_what_was_recorded(self):
        write_csv(self.input, HEADER, contacts(3))
        self.write_pipeline(extra_api="  max_in_flight: 1\n")
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 1)
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertRun(p, 1)
        res = read_csv(self.results)
        self.assertEqual(res[1]["status"], "in_doubt")
        self.assertIn("HTTP 500", res[1]["reason"])
        self.assertNotIn("stopped while", res[1]["reason"])
        self.assertEqual(len(self.sim.requests()), 3)

    def test_an_unknown_status_in_the_ledger_is_in_doubt(self):
        self.start_sim()
        write_csv(self.input, HEADER, contacts(4))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 0)
        with sqlite3.connect(self.state()) as db:
            db.execute("update attempts set status = 'SENT?'")
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertRun(p, 1)
        res = read_csv(self.results)
        self.assertEqual({r["status"] for r in res}, {"in_doubt"})
        self.assertIn("unknown status 'SENT?'", res[0]["reason"])
        self.assertEqual(len(self.sim.requests()), 4, "nothing sent again")

    def test_an_empty_ledger_file_is_a_warning(self):
        self.start_sim()
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        open(self.state(), "w").close()
        p = self.run_cli("run", "--no-progress", self.pipeline)
        self.assertRun(p, 0)
        self.assertIn("is empty (0 bytes)", p.stderr)


class StaleTemps(E2E):
    sim_args = ()

    def test_temporary_files_of_killed_runs_are_removed(self):
        import subprocess
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = f"{self.results}.tmp-{dead.pid}"
        alive = f"{self.results}.tmp-{os.getpid()}"  # a live process's: left alone
        for path in (stale, alive):
            with open(path, "w") as f:
                f.write("Ann,Smith,ann@example.com\n")
        write_csv(self.input, HEADER, contacts(2))
        self.write_pipeline()
        self.assertRun(self.run_cli("run", "--no-progress", self.pipeline), 0)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(alive))
        os.unlink(alive)


if __name__ == "__main__":
    unittest.main()
