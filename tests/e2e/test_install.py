"""Installs like a tool (issue 14): `cmake --install` into a temporary root
puts every piece in its GNUInstallDirs place, CPack's .deb holds the same and
its binary runs from a fresh root, every man page renders with `man -l`, the
pages cannot drift from --help (they are made from it), the bash completion
registers, and the systemd units pass `systemd-analyze security` under 3.0."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

BUILD = os.path.dirname(os.path.abspath(harness.BIN))
PAGES = ["man1/cloutly-pipe.1", "man5/cloutly-pipe.yaml.5"]
EXPECTED = [
    "usr/bin/cloutly-pipe",
    "usr/share/bash-completion/completions/cloutly-pipe",
    "usr/share/zsh/vendor-completions/_cloutly-pipe",
    "usr/share/fish/vendor_completions.d/cloutly-pipe.fish",
    "usr/share/doc/cloutly-pipe/examples/nightly-invites.yaml",
    "usr/share/doc/cloutly-pipe/examples/reviews-archive.yaml",
    "usr/lib/systemd/system/cloutly-nightly.service",
    "usr/lib/systemd/system/cloutly-nightly.timer",
    "usr/lib/systemd/system/cloutly-alert@.service",
]


def commands():
    out = subprocess.run([harness.BIN, "--help"], capture_output=True, text=True).stdout
    block = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in block.splitlines()]


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def slurp(path):
    with open(path) as f:
        return f.read()


def man(path, width=100):
    """(rc, text, stderr) of `man -l`, overstrike bold and underline taken out."""
    p = run("man", "--warnings", "-l", path,
            env=dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8"))
    return p.returncode, re.sub(r".\x08", "", p.stdout).replace("\u2010", "-"), p.stderr


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cloutly-install-")
        cls.root = os.path.join(cls.tmp.name, "root")
        env = dict(os.environ, DESTDIR=cls.root)
        p = run("cmake", "--install", BUILD, "--prefix", "/usr", env=env)
        assert p.returncode == 0, p.stdout + p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_piece_in_its_place(self):
        for rel in EXPECTED + ["usr/share/man/" + p for p in PAGES] + [
                "usr/share/man/man1/cloutly-pipe-%s.1" % c for c in commands()]:
            self.assertTrue(os.path.isfile(os.path.join(self.root, rel)), rel)
        self.assertTrue(os.access(os.path.join(self.root, "usr/bin/cloutly-pipe"), os.X_OK))

    def test_man_pages_render_and_match_help(self):
        mandir = os.path.join(self.root, "usr/share/man")
        pages = PAGES + ["man1/cloutly-pipe-%s.1" % c for c in commands()]
        for page in pages:
            rc, text, err = man(os.path.join(mandir, page))
            self.assertEqual(rc, 0, page + err)
            self.assertEqual(err.strip(), "", page + ": " + err)
            self.assertIn("NAME", text)
            self.assertIn("SYNOPSIS", text)
        # Every option --help lists is in the command's page: they come from one table.
        for c in ("run", "check", "ledger", "doctor"):
            help_text = run(harness.BIN, c, "--help").stdout
            page = man(os.path.join(mandir, "man1/cloutly-pipe-%s.1" % c), 200)[1]
            for opt in set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", help_text)):
                self.assertIn(opt, page, f"{c}: {opt}")
            self.assertIn("EXIT STATUS", page)
        yaml5 = man(os.path.join(mandir, "man5/cloutly-pipe.yaml.5"), 200)[1]
        self.assertIn("campaign_id", yaml5)

    def test_bash_completion_registers_and_completes(self):
        comp = os.path.join(self.root, "usr/share/bash-completion/completions/cloutly-pipe")
        p = run("bash", "-c", f"source {comp}; complete -p cloutly-pipe; "
                "COMP_WORDS=(cloutly-pipe ''); COMP_CWORD=1; _cloutly_pipe; echo \"${COMPREPLY[*]}\"; "
                "COMP_WORDS=(cloutly-pipe run --dr); COMP_CWORD=2; _cloutly_pipe; echo \"${COMPREPLY[*]}\"; "
                "COMP_WORDS=(cloutly-pipe run --log-format ''); COMP_CWORD=3; _cloutly_pipe; "
                "echo \"${COMPREPLY[*]}\"")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn("complete -o filenames -F _cloutly_pipe cloutly-pipe", lines[0])
        for c in commands():
            self.assertIn(c, lines[1].split())
        self.assertEqual(lines[2], "--dry-run")
        self.assertEqual(sorted(lines[3].split()), ["json", "text"])
        for shell, path in (("zsh", "usr/share/zsh/vendor-completions/_cloutly-pipe"),
                            ("fish", "usr/share/fish/vendor_completions.d/cloutly-pipe.fish")):
            text = slurp(os.path.join(self.root, path))
            for c in commands():
                self.assertIn(c, text, shell)
            if shutil.which(shell):
                flag = ["-n"] if shell == "zsh" else ["--no-execute"]
                p = run(shell, *flag, os.path.join(self.root, path))
                self.assertEqual(p.returncode, 0, p.stderr)
        fish = os.path.join(self.root, "usr/share/fish/vendor_completions.d/cloutly-pipe.fish")
        if shutil.which("fish"):
            p = run("fish", "-c", f"source {fish}; complete -C 'cloutly-pipe run --dr'; "
                    "complete -C 'cloutly-pipe run --log-format '; complete -C 'cloutly-pipe do'")
            self.assertEqual(p.returncode, 0, p.stderr)
            got = p.stdout.splitlines()
            self.assertEqual(got[0], "--dry-run")
            self.assertEqual(sorted(got[1:3]), ["json", "text"])
            self.assertTrue(got[3].startswith("doctor\t"), got)

    @unittest.skipUnless(shutil.which("dpkg-deb") and shutil.which("cpack"), "dpkg-deb/cpack")
    def test_deb_installs_into_a_fresh_root_and_runs(self):
        out = os.path.join(self.tmp.name, "pkg")
        p = run("cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, debs)
        deb = os.path.join(out, debs[0])
        info = run("dpkg-deb", "--info", deb).stdout
        self.assertIn("Package: cloutly-pipe", info)
        for lib in ("libcurl4", "libsqlite3-0", "libyaml-0-2", "libcjson1"):
            self.assertIn(lib, info)
        contents = run("dpkg-deb", "--contents", deb).stdout
        for rel in EXPECTED + ["usr/share/man/man1/cloutly-pipe-run.1"]:
            self.assertIn("./" + rel, contents)
        fresh = os.path.join(self.tmp.name, "fresh")
        self.assertEqual(run("dpkg", "-x", deb, fresh).returncode, 0)
        p = run(os.path.join(fresh, "usr/bin/cloutly-pipe"), "--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ("cloutly-pipe", "libcurl", "SQLite", "libphonenumber", "build:"):
            self.assertIn(word, p.stdout)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze")
    def test_units_are_hardened(self):
        units = os.path.join(harness.SRC, "pipelines", "systemd")
        for unit in ("cloutly-nightly.service", "cloutly-alert@.service"):
            p = run("systemd-analyze", "security", "--offline=yes", "--threshold=30",
                    os.path.join(units, unit))
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLess(float(m.group(1)), 3.0, unit)
        text = slurp(os.path.join(units, "cloutly-nightly.service"))
        self.assertIn("OnFailure=", text)
        self.assertNotIn("SuccessExitStatus", text)
        for key in ("DynamicUser=yes", "StateDirectory=cloutly-pipe\n", "ProtectSystem=strict",
                    "NoNewPrivileges=yes"):
            self.assertIn(key, text)
        # One state folder: the unit's is where the account's ledger goes by
        # default (store/account.c: $STATE_DIRECTORY) and where the shipped
        # pipelines write.
        for name in ("nightly-invites.yaml", "reviews-mirror.yaml", "reviews-archive.yaml"):
            shipped = slurp(os.path.join(harness.SRC, "pipelines", name))
            self.assertNotRegex(shipped, r"/var/lib/cloutly(?!-pipe)", name)
            self.assertIn("/var/lib/cloutly-pipe/", shipped, name)


class Help(unittest.TestCase):
    def test_help_version_and_exit_codes(self):
        run_help = run(harness.BIN, "help", "run").stdout
        self.assertTrue(run_help.startswith("usage: cloutly-pipe run "), run_help[:80])
        v = run(harness.BIN, "-V")
        self.assertEqual(v.returncode, 0)
        self.assertIn("libcurl", v.stdout)
        check = run(harness.BIN, "check", "--help").stdout
        self.assertNotIn("interrupted", check)
        self.assertIn("EXIT STATUS", man(os.path.join(BUILD, "doc/man/man1/cloutly-pipe-check.1"))[1])


if __name__ == "__main__":
    unittest.main()
