"""End to end: `check` is as strict as `run` about the pipeline (issue 8 item
4, issue 9 item 5, issue 14 item 5). For each pipeline problem that can be
known without sending, both commands exit 2 with the same FILE:LINE:COL
message, and the simulator receives nothing. Values the one date parser
accepts load in both."""
import os
import re
import unittest

from harness import BUSINESS, CAMPAIGN, E2E, contacts, pipeline_yaml, write_csv

HEADER = ("Id", "First Name", "Last Name", "Email", "Phone")
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def export_yaml(since=None, state="state.sqlite"):
    return ("version: 1\nkind: export\nname: arch\n"
            "api:\n  api_key: ${CLOUTLY_API_KEY}\n"
            "export:\n  format: CSV\n  output: reviews.csv\n"
            + (f"  since: {since}\n" if since else "")
            + f"state:\n  path: {state}\n")


class CheckAgreesWithRun(E2E):
    sim_args = ()

    def setUp(self):
        super().setUp()
        write_csv(self.input, HEADER, contacts(3))

    def save(self, text):
        with open(self.pipeline, "w") as f:
            f.write(text)

    def invite(self, **kw):
        self.save(pipeline_yaml(self.input, self.results, self.rejects, **kw))

    def both_refuse(self, pattern, env=None):
        """check and run both exit 2, both stderr lines match `pattern`
        (after the file name), they say the same, and nothing is sent."""
        said = []
        for cmd in ("check", "run"):
            p = self.run_cli(cmd, self.pipeline, env=env)
            self.assertRun(p, 2)
            m = re.search(re.escape(self.pipeline) + r":(\d+):(\d+): (.*)", p.stderr)
            self.assertIsNotNone(m, f"{cmd}: no FILE:LINE:COL in {p.stderr!r}")
            self.assertRegex(m.group(3), pattern)
            said.append(m.group(0))
        self.assertEqual(said[0], said[1])
        self.assertEqual(self.sim.requests(None), [])
        return said[0]

    def test_impossible_since_date(self):
        self.save(export_yaml(since="2026-02-31"))
        where = self.both_refuse(r"^invalid since '2026-02-31' \(expected last_run or an ISO date")
        self.assertIn(":9:10: ", where)  # the `since:` line, its value

    def test_since_offsets_both_forms(self):
        for since in ("2026-01-31T10:00:00+1000", "2026-01-31T10:00:00+10:00"):
            self.save(export_yaml(since=since))
            p = self.run_cli("check", self.pipeline)
            self.assertRun(p, 0)
            self.assertIn("ok, an export pipeline", p.stdout)
        # and --since on the command line reads the same text
        p = self.run_cli("export", self.pipeline, "--since", "2026-01-31T10:00:00+1000",
                         "--output", os.path.join(self.dir, "x.ndjson"), "--format", "ndjson")
        self.assertRun(p, 0)
        p = self.run_cli("export", self.pipeline, "--since", "2026-02-31")
        self.assertRun(p, 2)
        self.assertIn("invalid --since '2026-02-31'", p.stderr)

    def test_state_path_that_changes_every_run(self):
        for template in ("{run_id}", "{time}", "{date}"):
            self.invite()
            with open(self.pipeline) as f:
                text = f.read().replace("  path: state.sqlite\n", f"  path: x-{template}.sqlite\n")
            self.save(text)
            self.both_refuse(re.escape(f"'{template}' in 'state.path' changes from run to run"))
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith("x-")], [])

    def test_unknown_country_codes(self):
        self.invite(validate="  default_country: UK\n")
        self.both_refuse(r"^unknown default_country 'UK' \(did you mean GB\?")
        self.invite(validate="  default_country: XX\n")
        self.both_refuse(r"^unknown default_country 'XX' \(expected an ISO 3166 two-letter code")
        self.invite(validate="  default_country: gb\n")
        self.assertRun(self.run_cli("check", self.pipeline), 0)

    def test_misspelt_key_variable(self):
        self.invite()
        with open(self.pipeline) as f:
            text = f.read().replace("${CLOUTLY_API_KEY}", "${CLOUTY_API_KEY}")
        self.save(text)
        self.both_refuse(r"^environment variable 'CLOUTY_API_KEY' is not set "
                         r"\(did you mean CLOUTLY_API_KEY\?\)$")

    def test_no_key_at_all(self):
        self.invite()
        with open(self.pipeline) as f:
            text = f.read().replace("  api_key: ${CLOUTLY_API_KEY}\n", "")
        self.save(text)
        for cmd in ("check", "run"):
            p = self.run_cli(cmd, self.pipeline, env={"CLOUTLY_API_KEY": ""})
            self.assertRun(p, 2)
            self.assertIn("no API key: set CLOUTLY_API_KEY", p.stderr)
        # a dry run needs no key, as before
        self.assertRun(self.run_cli("run", "--dry-run", self.pipeline, env={"CLOUTLY_API_KEY": ""}), 0)
        self.assertEqual(self.sim.requests(None), [])

    def test_guess_placeholders(self):
        self.invite()
        with open(self.pipeline) as f:
            text = f.read().replace(CAMPAIGN, PLACEHOLDER)
        self.save(text)
        c = self.run_cli("check", self.pipeline)
        self.assertRun(c, 2)
        self.assertRegex(c.stderr, re.escape(self.pipeline) + r":\d+:16: invite\.campaign_id is "
                         r"still the placeholder 'guess' wrote")
        self.assertIn("rows:     3: 3 valid", c.stdout)  # the rows were still read
        r = self.run_cli("run", self.pipeline)
        self.assertRun(r, 2)
        self.assertIn("invite.campaign_id is still the placeholder 'guess' wrote", r.stderr)
        self.assertEqual(self.sim.requests(None), [])
        # a dry run shows what would go out, placeholders or not
        self.assertRun(self.run_cli("run", "--dry-run", self.pipeline), 0)

    def test_ca_file_only_matters_over_https(self):
        # The simulator is http:// on loopback: curl never reads a CA file
        # there, so neither command refuses a missing one (a unit test covers
        # the https case, where check refuses it as the first request would).
        self.invite(extra_api=f"  ca_file: {os.path.join(self.dir, 'none.pem')}\n")
        self.assertRun(self.run_cli("check", self.pipeline), 0)
        self.assertRun(self.run_cli("run", self.pipeline), 0)

    def test_enum_words_in_any_case(self):
        self.invite(validate="  default_country: au\n  landlines: SEND\n")
        self.assertRun(self.run_cli("check", self.pipeline), 0)
        self.save(export_yaml())  # format: CSV
        self.assertRun(self.run_cli("check", self.pipeline), 0)


if __name__ == "__main__":
    unittest.main()
