"""End to end over real TLS, since the real API is HTTPS only: the simulator
serves a certificate from a throwaway CA made here with `openssl`. Trusted
through api.ca_file the run succeeds; without it the run stops with a clear
certificate error and nothing is sent."""
import os
import subprocess
import tempfile
import unittest

from harness import E2E, Sim, contacts, read_csv, write_csv

HEADER = ["Id", "First Name", "Last Name", "Email", "Phone"]


def make_ca(d):
    def sh(*args):
        subprocess.run(args, cwd=d, check=True, capture_output=True)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
       "-subj", "/CN=cloutly-test-ca", "-keyout", "ca.key", "-out", "ca.pem")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
       "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-days", "1", "-extfile", "ext.cnf", "-out", "server.pem")
    return os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"), os.path.join(d, "server.key")


class Tls(E2E):
    sim_args = None  # started in setUp once the certificates exist

    def setUp(self):
        super().setUp()
        self.ca, cert, key = make_ca(self.dir)
        self.tls = (cert, key)
        self.sim = Sim(self.dir, tls=self.tls)
        write_csv(self.input, HEADER, contacts(3))

    def test_trusted_through_ca_file_the_run_succeeds(self):
        self.write_pipeline(extra_api=f"  ca_file: {self.ca}\n")
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 0)
        self.assertTrue(self.sim.base_url.startswith("https://"))
        self.assertEqual([r["status"] for r in read_csv(self.results)], ["sent"] * 3)
        self.assertEqual(len(self.sim.accepted()), 3)

    def test_without_ca_file_a_clear_certificate_error_and_nothing_sent(self):
        self.write_pipeline()
        p = self.run_cli("run", self.pipeline)
        self.assertRun(p, 2)
        self.assertIn("certificate", p.stderr)
        self.assertIn("api.ca_file", p.stderr)
        self.assertEqual(self.sim.accepted(), [])
        self.assertEqual({r["status"] for r in read_csv(self.results)}, {"skipped"})


if __name__ == "__main__":
    unittest.main()
