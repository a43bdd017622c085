"""The progress line on a real terminal (tmux), issue 14: at 60 and 160
columns it never wraps, it shows live sent/failed/in-doubt counts, the
Ctrl-C warning is printed above it (never on its line), a resize redraws it
at the new width, and a resumed run's ETA counts only the rows still to
send (its numbers are proved on a controlled clock in unit/test_progress.c).

Waits are for what the screen shows, polled, never fixed sleeps."""
import os
import re
import shlex
import shutil
import subprocess
import time
import unittest

import harness
from harness import E2E, contacts, write_csv

TMUX = shutil.which("tmux")


@unittest.skipUnless(TMUX, "tmux (scripts/deps.sh installs it)")
class ProgressOnATerminal(E2E):
    def setUp(self):
        super().setUp()
        self.socket = "cloutly-%d-%s" % (os.getpid(), self.id().rsplit(".", 1)[-1])
        write_csv(self.input, ["Id", "First Name", "Last Name", "Email", "Phone"],
                  contacts(300) + [("B", "Bad", "Row", "bad@@x.com", "")])
        self.write_pipeline(rate="20/s")

    def tearDown(self):
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True)
        super().tearDown()

    def tmux(self, *args):
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def start(self, width, *extra):
        cmd = " ".join(shlex.quote(a) for a in [
            "env", "CLOUTLY_API_KEY=" + harness.API_KEY, "CLOUTLY_BASE_URL=" + self.sim.base_url,
            "CLOUTLY_THREADS=1", harness.BIN, "run", self.pipeline, *extra])
        self.n = getattr(self, "n", 0) + 1
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "s%d" % self.n, "-x", str(width),
                  "-y", "30",
                  "bash -c 'trap : INT; %s; echo EXIT=$?; sleep 600'" % cmd.replace("'", "'\\''"))
        # Per window: a global window-size crashes tmux 3.3a's next new-session.
        self.tmux("set-option", "-w", "-t", "s%d" % self.n, "window-size", "manual")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "s%d" % self.n)

    def wait_for(self, pattern, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = self.screen()
            if re.search(pattern, s):
                return s
            time.sleep(0.05)
        self.fail("screen never showed %r:\n%s" % (pattern, self.screen()))

    def progress_lines(self, screen):
        return [l for l in screen.splitlines() if re.search(r"\d+/\d+ (rows|sent)", l)]

    def check_width(self, screen, width):
        for line in screen.splitlines():
            self.assertLessEqual(len(line.rstrip()), width - 1, line)

    def test_160_columns_bar_counts_and_ctrl_c_above_the_bar(self):
        self.start(160)
        s = self.wait_for(r"\] \d+/301 rows  sent [1-9]\d*  failed 0  in doubt 0  \d+/min  ETA ")
        self.check_width(s, 160)
        self.assertEqual(len(self.progress_lines(s)), 1, s)
        self.tmux("send-keys", "-t", "s%d" % self.n, "C-c")
        s = self.wait_for(r"EXIT=5")
        lines = s.splitlines()
        warn = [i for i, l in enumerate(lines) if "interrupted: finishing" in l]
        self.assertEqual(len(warn), 1, s)
        self.assertTrue(lines[warn[0]].startswith("cloutly-pipe: warning: interrupted"), s)
        self.assertNotIn("rows", lines[warn[0]])
        self.assertEqual(self.progress_lines(s), [], "the bar is erased at the end:\n" + s)
        self.check_width(s, 160)

    def test_60_columns_never_wraps_and_redraws_on_resize(self):
        self.start(60)
        s = self.wait_for(r"\d+/301 sent [1-9]\d* fail 0 doubt 0 ETA ")
        self.check_width(s, 60)
        self.assertEqual(len(self.progress_lines(s)), 1, s)
        self.tmux("resize-window", "-t", "s%d" % self.n, "-x", "40")
        # After the resize the line is drawn again within 39 columns.
        deadline = time.time() + 30
        while time.time() < deadline:
            s = self.screen()
            p = self.progress_lines(s)
            if p and all(len(l.rstrip()) <= 39 for l in s.splitlines()):
                break
            time.sleep(0.05)
        else:
            self.fail("not redrawn at 40 columns:\n" + s)
        s = self.wait_for(r"EXIT=0", timeout=120)
        self.assertIn("e2e: sent 300", s)
        self.assertEqual(self.progress_lines(s), [], s)

    def test_resumed_run_says_what_earlier_runs_sent(self):
        self.start(160)
        self.wait_for(r"sent [1-9]\d*  failed")
        self.tmux("send-keys", "-t", "s%d" % self.n, "C-c")
        self.wait_for(r"EXIT=5")
        sent_first = len(self.sim.accepted())
        self.start(160)
        # The ETA waits for fresh rows: "?" while the resumed rows go by, a
        # time once sends are measured, and never 0s while sends remain.
        s = self.wait_for(r"ETA \d+(m\d\ds|s)")
        m = re.search(r"(\d+)/301 rows  sent (\d+) .* ETA (\d+m\d\ds|\d+s)", s)
        self.assertIsNotNone(m, s)
        s = self.wait_for(r"EXIT=0", timeout=120)
        self.assertIn("earlier run of this file: sent %d" % sent_first, s)
        self.assertEqual(len(self.sim.accepted()), 300)


if __name__ == "__main__":
    unittest.main()
