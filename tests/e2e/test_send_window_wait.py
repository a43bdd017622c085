"""End to end: what the run does outside the window when the pipeline does
not say (issue 12: "Default: defer for cron (non-interactive) runs"; a
person at a terminal waits), and invite.outside_window: wait on the
progress line, as an event, and under Ctrl-C. The clock is CLOUTLY_NOW
(the wall clock stands still there, and a waiting run sleeps on the
monotonic clock for the difference); assertions are on the simulator's
counters, its request log, the results and the ledger, never on timing."""
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import unittest

import harness
from harness import E2E, pipeline_yaml, read_csv, wait_until, write_csv

TMUX = shutil.which("tmux")
HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]
VALIDATE = "  default_country: AU\n  landlines: send\n"
SYDNEY = [("SYD1", "Ann", "One", "", "+61 2 9374 4001"),
          ("NYC", "Bob", "East", "", "+1 212 456 7890"),
          ("SYD2", "Cat", "Two", "", "+61 2 9374 4002"),
          ("SYD3", "Dan", "Three", "", "+61 2 9374 4003")]


class OutsideWindowDefault(E2E):
    def write(self, extra=""):
        text = pipeline_yaml(self.input, self.results, self.rejects, validate=VALIDATE,
                             invite_extra="  send_window: 09:00-20:00\n" + extra)
        with open(self.pipeline, "w") as f:
            f.write(text.replace("  invite_delay_days: 1\n", ""))

    def events(self, text):
        # Whole lines only: the child may be halfway through writing one.
        return [json.loads(l) for l in text.split("\n")[:-1] if l.startswith("{")]

    def test_without_a_terminal_the_default_is_defer_and_the_summary_says_so(self):
        write_csv(self.input, HEADER, SYDNEY)
        self.write()
        # 16:00Z: 03:00 in Sydney, 11:00 in New York.
        p = self.run_cli("run", "--no-progress", self.pipeline, env={"CLOUTLY_NOW": "2026-12-01T16:00:00Z"})
        self.assertRun(p, 0)
        self.assertEqual([r["body"]["sourceContactId"] for r in self.sim.accepted()], ["NYC"])
        res = {r["source_contact_id"]: r["status"] for r in read_csv(self.results)}
        self.assertEqual(res, {"SYD1": "deferred", "NYC": "sent", "SYD2": "deferred", "SYD3": "deferred"})
        self.assertIn("deferred 3: outside 09:00-20:00 in the recipient's zone; next window opens "
                      "Wed 2026-12-02 09:00 AEDT (Australia/Sydney)", p.stderr)
        self.assertNotIn("waiting until", p.stderr)

    def test_ctrl_c_while_waiting_leaves_nothing_in_flight_and_a_rerun_sends_the_rest(self):
        write_csv(self.input, HEADER, SYDNEY)
        self.write("  outside_window: wait\n")
        # 20:00Z: 15:00 in New York (goes now), 07:00 in Sydney (two hours to wait).
        child = self.start_cli("run", "--no-progress", "--log-format", "json", self.pipeline,
                               env={"CLOUTLY_NOW": "2026-12-01T20:00:00Z"})
        waiting = wait_until("the waiting event", lambda: [e for e in self.events(child.stderr())
                                                           if e["event"] == "waiting"])
        # The row behind the first waiting one went; the three Sydney rows wait.
        self.assertEqual(self.sim.counters()["posts"], 1)
        self.assertEqual(waiting[0]["contacts"], 3)
        self.assertEqual(waiting[0]["until"], "Wed 2026-12-02 09:00 AEDT (Australia/Sydney)")
        self.assertGreater(waiting[0]["wait_s"], 7000)
        self.assertIn("waiting until Wed 2026-12-02 09:00 AEDT (Australia/Sydney) for 3 contacts "
                      "(invite.outside_window: wait;", waiting[0]["msg"])
        child.signal(signal.SIGINT)
        code, err = child.finish()
        self.assertEqual(code, 5, err)
        harness.assert_json_events(self, err)
        self.assertEqual(self.sim.counters()["posts"], 1)
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertEqual(res["NYC"]["status"], "sent")
        for k in ("SYD1", "SYD2", "SYD3"):
            self.assertEqual(res[k]["status"], "skipped")
            self.assertIn("not attempted: the run was interrupted", res[k]["reason"])
        db = sqlite3.connect(os.path.join(self.dir, "state.sqlite"))
        statuses = sorted(s for (s,) in db.execute("select status from attempts"))
        db.close()
        self.assertEqual(statuses, ["sent"])  # no intent left, nothing in doubt
        # The rerun inside the window sends the three, each once.
        p = self.run_cli("run", "--no-progress", self.pipeline, env={"CLOUTLY_NOW": "2026-12-01T22:00:00Z"})
        self.assertRun(p, 0)
        ids = [r["body"]["sourceContactId"] for r in self.sim.accepted()]
        self.assertEqual(len(ids), 4)
        self.assertCountEqual(ids[1:], ["SYD1", "SYD2", "SYD3"])  # overlapping: any order


@unittest.skipUnless(TMUX, "tmux (scripts/deps.sh installs it)")
class OutsideWindowOnATerminal(E2E):
    def tearDown(self):
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True)
        super().tearDown()

    def test_on_a_terminal_the_default_is_wait_with_the_wait_on_the_progress_line(self):
        self.socket = "cloutly-win-%d" % os.getpid()
        write_csv(self.input, HEADER, [SYDNEY[0], SYDNEY[2]])
        text = pipeline_yaml(self.input, self.results, self.rejects, validate=VALIDATE,
                             invite_extra="  send_window: 09:00-20:00\n")
        with open(self.pipeline, "w") as f:
            f.write(text.replace("  invite_delay_days: 1\n", ""))
        # Six seconds before 09:00 in Sydney: the run waits that long, then sends.
        cmd = " ".join(shlex.quote(a) for a in [
            "env", "CLOUTLY_API_KEY=" + harness.API_KEY, "CLOUTLY_BASE_URL=" + self.sim.base_url,
            "CLOUTLY_NOW=2026-12-01T21:59:54Z", "XDG_STATE_HOME=" + os.environ["XDG_STATE_HOME"],
            harness.BIN, "run", self.pipeline])
        subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", "w",
                        "-x", "160", "-y", "30",
                        "bash -c '%s; echo EXIT=$?; sleep 600'" % cmd.replace("'", "'\\''")],
                       check=True)

        def screen():
            return subprocess.run([TMUX, "-L", self.socket, "capture-pane", "-p", "-t", "w"],
                                  capture_output=True, text=True).stdout
        # The bar says what it waits for, instead of an ETA.
        wait_until("the wait on the progress line",
                   lambda: "0/2 rows  sent 0  failed 0  in doubt 0  waiting until Wed 2026-12-02 "
                           "09:00 AEDT (Australia/Sydney) for 2 contacts" in screen())
        self.assertEqual(self.sim.counters()["posts"], 0)
        s = wait_until("the run's end", lambda: "EXIT=" in screen() and screen())
        self.assertIn("EXIT=0", s)
        self.assertIn("waiting until Wed 2026-12-02 09:00 AEDT (Australia/Sydney) for 2 contacts "
                      "(invite.outside_window: wait, the default on a terminal;", s.replace("\n", ""))
        self.assertEqual([r["body"]["sourceContactId"] for r in self.sim.accepted()], ["SYD1", "SYD2"])
        res = {r["source_contact_id"]: r for r in read_csv(self.results)}
        self.assertTrue(all(r["status"] == "sent" and "waited:" in r["reason"] for r in res.values()))


if __name__ == "__main__":
    unittest.main()
