"""End to end: the pipelines shipped in pipelines/ really run. Each is
copied with samples/ into a temp folder (so outputs stay out of the tree)
and checked; the demo pipeline runs against the simulator as the README's
demo does."""
import os
import shutil
import unittest

from harness import E2E, SRC, read_csv


class ShippedPipelines(E2E):
    # These pipelines keep the default quiet hours (09:00-20:00 in the
    # recipient's zone): run them at 14:00 in Sydney, 16:00 in Auckland.
    clock = "2026-12-02T03:00:00Z"
    sim_args = ("--api-key", "demo-key")

    def setUp(self):
        super().setUp()
        for d in ("pipelines", "samples"):
            shutil.copytree(os.path.join(SRC, d), os.path.join(self.dir, d))

    def shipped(self, name):
        return os.path.join(self.dir, "pipelines", name)

    def test_every_shipped_pipeline_loads_and_checks(self):
        names = sorted(n for n in os.listdir(os.path.join(SRC, "pipelines")) if n.endswith(".yaml"))
        self.assertIn("demo-invites.yaml", names)
        for name in names:
            p = self.run_cli("check", self.shipped(name))
            if name == "nightly-invites.yaml":
                # Written for a real server: its export is not on this machine.
                self.assertEqual(p.returncode, 4, p.stderr)
                self.assertIn("/srv/pos-exports/customers-latest.csv", p.stderr)
            else:
                self.assertEqual(p.returncode, 0, f"{name}: {p.stdout}{p.stderr}")

    def test_the_demo_pipeline_runs_against_the_simulator(self):
        p = self.run_cli("run", self.shipped("demo-invites.yaml"), env={"CLOUTLY_API_KEY": "demo-key"})
        self.assertRun(p, 0)
        out = os.path.join(self.dir, "out")
        results = [f for f in os.listdir(out) if f.endswith("-results.csv")]
        self.assertEqual(len(results), 1)
        rows = read_csv(os.path.join(out, results[0]))
        # One results row per data row of the sample, every send accounted for.
        with open(os.path.join(SRC, "samples", "square-customers.csv"), newline="", encoding="utf-8") as f:
            self.assertEqual(len(rows), len(read_csv(f.name)))
        self.assertEqual(sum(1 for r in rows if r["status"] == "sent"), len(self.sim.accepted()))
        self.assertGreater(len(self.sim.accepted()), 10)
        self.assertIn("results:", p.stderr)


if __name__ == "__main__":
    unittest.main()
