"""`cloutly-pipe doctor` against the simulator: a ready pipeline exits 0;
each thing a run needs, broken, is its own named FAIL and a non-zero exit;
no invite is ever sent unless --probe-invite names the address."""
import os
import re
import unittest

import harness
from harness import E2E, Sim, write_csv, contacts
from test_invite_tls import make_ca

PROBE = "operator@example.com"


def findings(out):
    """{name: level} from doctor's lines ("ok    key  ...")."""
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(ok|note|warn|FAIL)\s+(\S+)\s", line)
        if m:
            got.setdefault(m.group(2), m.group(1))
    return got


class Doctor(E2E):
    def setUp(self):
        super().setUp()
        write_csv(self.input, ["Id", "First Name", "Last Name", "Email", "Phone"], contacts(2))
        self.write_pipeline()

    def doctor(self, *args, code, **kw):
        p = self.run_cli("doctor", self.pipeline, *args, **kw)
        self.assertRun(p, code)
        return findings(p.stdout), p

    def test_ready_pipeline_exits_0_and_sends_nothing(self):
        f, p = self.doctor(code=0)
        for name in ("pipeline", "base_url", "key", "business_id", "ledger", "clock"):
            self.assertEqual(f.get(name), "ok", p.stdout)
        self.assertEqual(f["campaign_id"], "note")
        self.assertIn("not checked", p.stdout)
        self.assertEqual(self.sim.requests(), [], "doctor sent an invite on its own")
        self.assertEqual(len(self.sim.requests("/api/v1/businesses")), 1)
        self.assertIn("ready: 0 failures", p.stdout)

    def test_probe_with_right_ids(self):
        f, p = self.doctor("--probe-invite", PROBE, code=0)
        self.assertEqual(f["campaign_id"], "ok", p.stdout)
        self.assertEqual(f["api_shape"], "ok", p.stdout)
        sent = self.sim.requests()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["body"]["channel"], {"email": PROBE})
        self.assertIn("ONE real invite", p.stderr)

    def test_wrong_key(self):
        f, p = self.doctor(code=1, env={"CLOUTLY_API_KEY": "not-the-key"})
        self.assertEqual(f["key"], "FAIL", p.stdout)
        self.assertIn("refused the key", p.stdout)

    def test_unset_key_variable(self):
        e = {"CLOUTLY_API_KEY": ""}
        f, p = self.doctor(code=1, env=e)
        self.assertEqual(f["key"], "FAIL", p.stdout)

    def test_wrong_business(self):
        text = open(self.pipeline).read().replace(harness.BUSINESS,
                                                   "11111111-2222-3333-4444-555555555555")
        with open(self.pipeline, "w") as fh:
            fh.write(text)
        f, p = self.doctor(code=1)
        self.assertEqual(f["business_id"], "FAIL", p.stdout)

    def test_wrong_campaign(self):
        text = open(self.pipeline).read().replace(harness.CAMPAIGN,
                                                   "11111111-2222-3333-4444-555555555555")
        with open(self.pipeline, "w") as fh:
            fh.write(text)
        f, p = self.doctor("--probe-invite", PROBE, code=1)
        self.assertEqual(f["campaign_id"], "FAIL", p.stdout)
        self.assertIn("404", p.stdout)
        self.assertEqual(f["key"], "ok")

    def test_server_drops_source_contact_id(self):
        self.start_sim("--drop-source-contact-id")
        f, p = self.doctor("--probe-invite", PROBE, code=1)
        self.assertEqual(f["api_shape"], "FAIL", p.stdout)
        self.assertIn("ignored the field", p.stdout)
        self.assertEqual(f["campaign_id"], "ok")

    def test_corrupted_ledger(self):
        self.assertRun(self.run_cli("run", self.pipeline), 0)
        ledger = os.path.join(self.dir, "state.sqlite")
        size = os.path.getsize(ledger)
        self.assertGreater(size, 8192)
        with open(ledger, "r+b") as fh:  # every page but the header's, half overwritten
            for page in range(4096, size, 4096):
                fh.seek(page)
                fh.write(b"\xde\xad\xbe\xef" * 512)
        f, p = self.doctor(code=1)
        self.assertEqual(f["ledger"], "FAIL", p.stdout)
        self.assertEqual(f["key"], "ok")

    def test_not_a_ledger(self):
        with open(os.path.join(self.dir, "state.sqlite"), "w") as fh:
            fh.write("this is not sqlite\n" * 100)
        f, p = self.doctor(code=1)
        self.assertEqual(f["ledger"], "FAIL", p.stdout)

    def test_unreachable_base_url(self):
        f, p = self.doctor(code=1, base_url="http://127.0.0.1:9/api/v1")
        self.assertEqual(f["base_url"], "FAIL", p.stdout)

    def test_help(self):
        p = self.run_cli("doctor", "--help")
        self.assertRun(p, 0)
        self.assertIn("--probe-invite", p.stdout)



class DoctorTls(E2E):
    sim_args = None  # started in setUp once the certificates exist

    def setUp(self):
        super().setUp()
        self.ca, cert, key = make_ca(self.dir)
        self.tls = (cert, key)
        self.sim = Sim(self.dir, tls=self.tls)
        write_csv(self.input, ["Id", "First Name", "Last Name", "Email", "Phone"], contacts(1))

    def test_tls_verified_with_ca_file(self):
        self.write_pipeline(extra_api=f"  ca_file: {self.ca}\n")
        p = self.run_cli("doctor", self.pipeline)
        self.assertRun(p, 0)
        self.assertEqual(findings(p.stdout)["tls"], "ok", p.stdout)

    def test_untrusted_certificate_is_a_tls_finding(self):
        self.write_pipeline()
        p = self.run_cli("doctor", self.pipeline)
        self.assertRun(p, 1)
        f = findings(p.stdout)
        self.assertEqual(f["tls"], "FAIL", p.stdout)
        self.assertIn("api.ca_file", p.stdout)
        self.assertNotIn("key", f)  # never reached: nothing said about the key


if __name__ == "__main__":
    unittest.main()
