"""deploy/kubernetes: the manifests a team applies with `kubectl apply -k`.

Two checks, both required:
  - schema: every object against the Kubernetes API's own OpenAPI schemas
    (types, enums, required fields, formats), through the kubernetes-models
    npm package that scripts/deps.sh installs (tests/deploy/k8s_schema.mjs);
  - meaning, here in Python (python3-yaml): the kustomization lists every
    file; the CronJob's schedule is valid cron, concurrencyPolicy is Forbid,
    timeZone is a real zone (/usr/share/zoneinfo), startingDeadlineSeconds
    is set, the pod runs as non-root with resources on every container;
    every Secret, ConfigMap, key, volume and claim the CronJob names exists;
    the files the pipeline reads (password, input) and writes (metrics) are
    under the mounts that provide them; and the pipeline in the ConfigMap
    passes `cloutly-pipe check`.
The schemas do not reject unknown keys (kubeconform's --strict would), so
the fields that matter are checked by name here.
Each check is also run on a broken copy, to show it can fail."""
import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import yaml

from harness import BIN, SRC

DEPLOY = os.path.join(SRC, "deploy", "kubernetes")
SCHEMA_JS = os.path.join(SRC, "tests", "deploy", "k8s_schema.mjs")
KNOWN = {("v1", "Namespace"), ("v1", "Secret"), ("v1", "ConfigMap"),
         ("v1", "PersistentVolumeClaim"), ("batch/v1", "CronJob")}
CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
               ("day of week", 0, 7)]
MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DAYS = "sun mon tue wed thu fri sat".split()


def load_all():
    with open(os.path.join(DEPLOY, "kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    objs = []
    for name in kust["resources"]:
        with open(os.path.join(DEPLOY, name)) as f:
            objs += [(name, o) for o in yaml.safe_load_all(f) if o]
    return kust, objs


def cron_problems(expr):
    """What is wrong with a five-field cron expression (Kubernetes' grammar), or []."""
    if expr.startswith("@"):
        ok = expr in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                      "@hourly")
        return [] if ok else [f"unknown macro {expr!r}"]
    fields = expr.split()
    if len(fields) != 5:
        return [f"{len(fields)} fields, cron has 5"]
    out = []
    for text, (what, lo, hi) in zip(fields, CRON_FIELDS):
        names = MONTHS if what == "month" else DAYS if what == "day of week" else []
        base = 1 if what == "month" else 0

        def value(v):
            if v.lower() in names:
                return names.index(v.lower()) + base
            if not v.isdigit():
                raise ValueError(v)
            return int(v)
        for part in text.split(","):
            rng, _, step = part.partition("/")
            try:
                if step and (not step.isdigit() or int(step) == 0):
                    raise ValueError(step)
                if rng in ("*", "?"):
                    continue
                a, _, b = rng.partition("-")
                a, b = value(a), value(b) if b else value(a)
                if not (lo <= a <= b <= hi):
                    raise ValueError(rng)
            except ValueError as e:
                out.append(f"{what}: {part!r} ({e} is not in {lo}-{hi})")
    return out


def problems(kust, objs, pipeline_check=None):
    """Every problem found, as text; [] when the manifests hang together."""
    out = []
    listed = set(kust["resources"])
    on_disk = {n for n in os.listdir(DEPLOY) if n.endswith(".yaml") and n != "kustomization.yaml"}
    out += [f"{n}: not in kustomization.yaml" for n in sorted(on_disk - listed)]
    by_kind = {}
    for name, o in objs:
        if (o.get("apiVersion"), o.get("kind")) not in KNOWN:
            out.append(f"{name}: unexpected {o.get('apiVersion')} {o.get('kind')}")
        by_kind.setdefault(o.get("kind"), {})[o["metadata"]["name"]] = o
    secrets, maps = by_kind.get("Secret", {}), by_kind.get("ConfigMap", {})
    claims = by_kind.get("PersistentVolumeClaim", {})

    def secret_keys(n):
        s = secrets.get(n) or {}
        return set((s.get("stringData") or {})) | set((s.get("data") or {}))

    def map_keys(n):
        return set(((maps.get(n) or {}).get("data") or {}))

    jobs = by_kind.get("CronJob", {})
    if not jobs:
        out.append("no CronJob")
    for jname, cj in jobs.items():
        spec = cj["spec"]
        where = f"CronJob {jname}"
        out += [f"{where}: schedule {spec.get('schedule')!r}: {p}"
                for p in cron_problems(str(spec.get("schedule", "")))]
        if spec.get("concurrencyPolicy") != "Forbid":
            out.append(f"{where}: concurrencyPolicy must be Forbid")
        tz = spec.get("timeZone")
        if not tz or tz == "Local" or not os.path.isfile(os.path.join("/usr/share/zoneinfo", tz)):
            out.append(f"{where}: timeZone {tz!r} is not a zone in /usr/share/zoneinfo")
        if not isinstance(spec.get("startingDeadlineSeconds"), int) or \
                spec["startingDeadlineSeconds"] < 10:
            out.append(f"{where}: startingDeadlineSeconds must be set (>= 10)")
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        psc = pod.get("securityContext") or {}
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") in (None, 0):
            out.append(f"{where}: the pod must run as a non-root user (runAsNonRoot, runAsUser)")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            if "secret" in v:
                n = v["secret"]["secretName"]
                if n not in secrets:
                    out.append(f"{where}: volume {v['name']}: no Secret {n!r}")
                out += [f"{where}: volume {v['name']}: Secret {n!r} has no key {i['key']!r}"
                        for i in v["secret"].get("items", []) if i["key"] not in secret_keys(n)]
            if "configMap" in v:
                n = v["configMap"]["name"]
                if n not in maps:
                    out.append(f"{where}: volume {v['name']}: no ConfigMap {n!r}")
                out += [f"{where}: volume {v['name']}: ConfigMap {n!r} has no key {i['key']!r}"
                        for i in v["configMap"].get("items", []) if i["key"] not in map_keys(n)]
            if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in claims:
                out.append(f"{where}: volume {v['name']}: no PersistentVolumeClaim "
                           f"{v['persistentVolumeClaim']['claimName']!r}")
        for c in pod.get("containers", []):
            cw = f"{where}: container {c['name']}"
            res = c.get("resources") or {}
            if not (res.get("requests") and (res.get("limits") or {}).get("memory")):
                out.append(f"{cw}: resources.requests and limits.memory must be set")
            csc = c.get("securityContext") or {}
            if csc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{cw}: allowPrivilegeEscalation must be false")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    out.append(f"{cw}: mounts unknown volume {m['name']!r}")
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {})
                if "secretKeyRef" in ref:
                    r = ref["secretKeyRef"]
                    if r["key"] not in secret_keys(r["name"]):
                        out.append(f"{cw}: env {e['name']}: no key {r['key']!r} in Secret {r['name']!r}")
                if "configMapKeyRef" in ref:
                    r = ref["configMapKeyRef"]
                    if r["key"] not in map_keys(r["name"]):
                        out.append(f"{cw}: env {e['name']}: no key {r['key']!r} in ConfigMap {r['name']!r}")
        main = pod["containers"][0]
        out += pipeline_problems(where, main, volumes, maps, pipeline_check)
    return out


def mounted_file(container, volumes, path):
    """The volume (and the key or sub-path in it) that provides `path` in the container."""
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/") + "/"
        if path.startswith(mp):
            return volumes.get(m["name"]), path[len(mp):]
    return None, None


def pipeline_problems(where, main, volumes, maps, pipeline_check):
    out = []
    pipes = [(n, k, v) for n, m in maps.items() for k, v in (m.get("data") or {}).items()
             if k.endswith(".yaml")]
    if not pipes:
        return [f"{where}: no pipeline in any ConfigMap"]
    for mname, key, text in pipes:
        p = yaml.safe_load(text)
        pw = where + f": pipeline {mname}/{key}"
        state = p.get("state") or {}
        if not str(state.get("url", "")).startswith(("postgresql://", "${")):
            out.append(f"{pw}: state.url must point at PostgreSQL")
        vol, rest = mounted_file(main, volumes, state.get("password_file", ""))
        items = {i["path"]: i["key"] for i in ((vol or {}).get("secret") or {}).get("items", [])}
        if not vol or "secret" not in vol or rest not in items:
            out.append(f"{pw}: state.password_file is not a file of a mounted Secret")
        if not mounted_file(main, volumes, (p.get("output") or {}).get("metrics", ""))[0]:
            out.append(f"{pw}: output.metrics is on no mounted volume")
        vol, _ = mounted_file(main, volumes, p["input"]["path"])
        if not vol:
            out.append(f"{pw}: input.path is on no mounted volume")
        if pipeline_check:
            out += [f"{pw}: {m}" for m in pipeline_check(text, maps[mname]["data"])]
    return out


def cloutly_check(text, data):
    """`cloutly-pipe check` on the ConfigMap's pipeline, with the pod's
    variables set and a small export of the columns it maps."""
    d = tempfile.mkdtemp(prefix="k8s-check-")
    try:
        pfile = os.path.join(d, "pipeline.yaml")
        with open(pfile, "w") as f:
            f.write(text)
        inp = os.path.join(d, "in.csv")
        with open(inp, "w") as f:
            f.write("Reference ID,First Name,Given Name,Last Name,Email Address,Phone Number\r\n"
                    "1,Ada,,Lovelace,ada@example.com,+61 412 345 678\r\n")
        env = dict(os.environ, CLOUTLY_API_KEY="k8s-check-key",
                   CLOUTLY_STATE_URL=data["state-url"], CLOUTLY_STATE_DIR=d)
        r = subprocess.run([BIN, "check", pfile, "--input", inp], env=env,
                           capture_output=True, text=True, timeout=60)
        return [] if r.returncode == 0 else [f"cloutly-pipe check exit {r.returncode}: {r.stderr.strip()}"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def node_modules():
    for d in (os.environ.get("NODE_PATH"), "/usr/lib/node_modules", "/usr/local/lib/node_modules"):
        if d and os.path.isdir(os.path.join(d, "kubernetes-models")):
            return d
    return None


class Manifests(unittest.TestCase):
    def setUp(self):
        self.kust, self.objs = load_all()

    def test_schema(self):
        root = node_modules()
        # scripts/deps.sh installs the validator from npm; where that failed
        # (a node too old for it, no npm registry), the schema check says so
        # and test_fields_references_and_pipeline still checks what matters.
        if not (shutil.which("node") and root):
            self.skipTest("node and the kubernetes-models npm package are not installed")
        probe = subprocess.run(["node", SCHEMA_JS, root, os.path.join(DEPLOY, "namespace.yaml")],
                               capture_output=True, text=True, timeout=120)
        if probe.returncode != 0 and not probe.stdout.strip():
            self.skipTest("the kubernetes-models validator does not run here: " + probe.stderr[-300:])
        files = [os.path.join(DEPLOY, n) for n in self.kust["resources"]]
        r = subprocess.run(["node", SCHEMA_JS, root, *files], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        results = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(len(results), len(self.objs))
        for res in results:
            self.assertTrue(res["ok"], f"{res['file']}: {res['errors']}")
        # A broken CronJob is caught: the checker can fail.
        d = tempfile.mkdtemp(prefix="k8s-bad-")
        try:
            bad = os.path.join(d, "cronjob.yaml")
            with open(os.path.join(DEPLOY, "cronjob.yaml")) as f:
                text = f.read()
            with open(bad, "w") as f:
                f.write(text.replace("concurrencyPolicy: Forbid", "concurrencyPolicy: Never")
                        .replace("claimName: cloutly-pipe-data", "claim: cloutly-pipe-data"))
            r = subprocess.run(["node", SCHEMA_JS, root, bad], capture_output=True, text=True,
                               timeout=120)
            res = json.loads(r.stdout.splitlines()[0])
            self.assertFalse(res["ok"])
            self.assertIn("concurrencyPolicy", " ".join(res["errors"]))
            self.assertIn("claimName", " ".join(res["errors"]))
        finally:
            shutil.rmtree(d, ignore_errors=True)
        print(f"\nkubernetes schema: {len(results)} objects valid (kubernetes-models)")

    def test_fields_references_and_pipeline(self):
        found = problems(self.kust, self.objs, cloutly_check)
        self.assertEqual(found, [])

    def test_push_metrics_sees_the_metrics_file(self):
        cj = next(o for _, o in self.objs if o["kind"] == "CronJob")
        pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        cm = next(o for _, o in self.objs if o["kind"] == "ConfigMap")
        p = yaml.safe_load(cm["data"]["nightly-invites.yaml"])
        metrics = p["output"]["metrics"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        main, pusher = pod["containers"][0], pod["containers"][1]
        v1, _ = mounted_file(main, volumes, metrics)
        v2, _ = mounted_file(pusher, volumes, metrics)
        self.assertIsNotNone(v1)
        self.assertIs(v1, v2, "the pusher must mount the volume the run writes its metrics to")
        self.assertIn(metrics, " ".join(pusher["args"]))

    def test_checks_can_fail(self):
        cron_bad = ["0 25 * * *", "* * *", "*/0 * * * *", "0 0 * foo *", "0 0 32 * *"]
        for expr in cron_bad:
            self.assertTrue(cron_problems(expr), expr)
        for expr in ("0 13,18 * * *", "*/15 9-17 * * mon-fri", "@daily", "0 3 1 jan,jul 0"):
            self.assertEqual(cron_problems(expr), [], expr)
        objs = copy.deepcopy(self.objs)
        cj = next(o for _, o in objs if o["kind"] == "CronJob")
        cj["spec"]["concurrencyPolicy"] = "Allow"
        cj["spec"]["timeZone"] = "Australia/Sydny"
        del cj["spec"]["startingDeadlineSeconds"]
        pod = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        pod["securityContext"]["runAsUser"] = 0
        pod["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] = "missing"
        pod["volumes"][0]["configMap"]["items"][0]["key"] = "other.yaml"
        found = " | ".join(problems(self.kust, objs))
        for want in ("concurrencyPolicy", "timeZone 'Australia/Sydny'", "startingDeadlineSeconds",
                     "non-root", "Secret 'missing'", "no key 'other.yaml'"):
            self.assertIn(want, found)
        self.assertTrue(cloutly_check("version: 1\nkind: invite\nname: x\nstate:\n  urll: y\n",
                                      {"state-url": "postgresql:///x"}))


if __name__ == "__main__":
    unittest.main()
