#!/usr/bin/env python3
"""The Debian package (CTest label package; docs/packaging.md).

Builds ypa_<version>_<arch>.deb with cpack into a temporary folder and checks it without installing:
its files and their modes, the conffile, Depends (every shared library the binary needs, found by dpkg -S)
and Suggests, no postinst (nothing enabled at install), the systemd units (systemd-analyze verify, on the unpacked package),
the man page (groff and man without a warning; every subcommand and flag of `ypa --help` on it), the
/etc/ypa/ypa.env template (every variable of docs/configuration.md, commented out, with its default) and
lintian (no tag but the three that docs/packaging.md explains).

As root with CI=true or YPA_PACKAGE_INSTALL_TEST=1 it also installs the package with apt-get, runs
/usr/bin/ypa --version, verifies the installed units and finds them not enabled, enables them and edits
the conffile as an administrator would, removes the package (only the edited conffile stays, the
enablement links are gone) and purges it (nothing stays). It refuses to start when dpkg knows a ypa
package already or /usr/bin/ypa exists.

Prints one "problem: ..." line per finding and exits 1 when there is any.
"""
import argparse
import glob
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

# What the package must hold: path -> (mode, file type). Written down here, not read from the package.
EXPECTED_FILES = {
    "/usr/bin/ypa": 0o755,
    "/lib/systemd/system/ypa-schedule.service": 0o644,
    "/lib/systemd/system/ypa-serve.service": 0o644,
    "/etc/ypa/ypa.env": 0o600,
    "/usr/share/man/man1/ypa.1.gz": 0o644,
    "/usr/share/doc/ypa/copyright": 0o644,
    "/usr/share/doc/ypa/changelog.gz": 0o644,
}
# The lintian tags the package keeps on purpose (docs/packaging.md, "lintian"): tag -> why.
LINTIAN_ACCEPTED = {
    # /etc/ypa/ypa.env is 0600: it is meant to hold passwords.
    "non-standard-file-perm": "etc/ypa/ypa.env",
    # prerm stops and disables the units with systemctl: an administrator enables them with systemctl,
    # which deb-systemd-helper would not know of.
    "maintainer-script-calls-systemctl": "prerm",
}
# Accepted only while the Maintainer field is the build's placeholder (CPACK_PACKAGE_CONTACT sets it).
PLACEHOLDER_MAINTAINER = "ypa-engine@localhost"
CONFFILE = "/etc/ypa/ypa.env"
OWN_DIRECTORIES = ("/etc/ypa", "/usr/share/doc/ypa")  # the package's alone: gone after purge
UNITS = {"ypa-schedule.service": "schedule", "ypa-serve.service": "serve"}
# The design document's commands; `ypa --help` may list more, and the page must show every one it lists.
CORE_SUBCOMMANDS = ["init", "run_pipeline", "list_runs", "drop_run", "promote_run", "compare_runs", "serve",
                    "schedule"]

problems = []
_check_start = 0


def begin():
    """Starts a check: its ok() line prints only when it found no problem."""
    global _check_start
    _check_start = len(problems)


def problem(text):
    problems.append(text)
    print("problem: " + text, flush=True)


def ok(text):
    if len(problems) == _check_start:
        print("ok: " + text, flush=True)


def run(cmd, check=True, **kwargs):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=kwargs.pop("timeout", 600), **kwargs)
    if check and p.returncode != 0:
        raise SystemExit(f"deb_test: `{' '.join(cmd)}` exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


# Building ----------------------------------------------------------------------------------------------

def build_package(cpack, build_dir, out_dir):
    run([cpack, "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"), "-B", out_dir],
        cwd=build_dir, timeout=900)
    debs = glob.glob(os.path.join(out_dir, "ypa_*.deb"))
    if len(debs) != 1:
        raise SystemExit(f"deb_test: cpack wrote {debs or 'no'} ypa_*.deb in {out_dir}, expected one")
    return debs[0]


# Static checks -----------------------------------------------------------------------------------------

def check_fields(deb, version):
    begin()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    expected = {"Package": "ypa", "Version": version, "Architecture": arch}
    for field, want in expected.items():
        got = run(["dpkg-deb", "-f", deb, field]).stdout.strip()
        if got != want:
            problem(f"{field} is {got!r}, expected {want!r}")
    if os.path.basename(deb) != f"ypa_{version}_{arch}.deb":
        problem(f"the package file is {os.path.basename(deb)}, expected ypa_{version}_{arch}.deb")
    description = run(["dpkg-deb", "-f", deb, "Description"]).stdout.rstrip("\n").splitlines()
    if len(description) < 2 or not all(line.startswith(" ") and not line.startswith(" ;")
                                        for line in description[1:]):
        problem(f"Description is not a synopsis and indented lines (a CMake list joined with ';'?): {description}")
    maintainer = run(["dpkg-deb", "-f", deb, "Maintainer"]).stdout.strip()
    if not re.fullmatch(r".+ <[^<>@\s]+@[^<>@\s]+>", maintainer):
        problem(f"Maintainer {maintainer!r} is not 'Name <address>'")
    ok(f"package ypa {version} {arch}, maintainer {maintainer}")


def check_listing(deb):
    """dpkg-deb -c: exactly the expected regular files, with their modes, owned by root."""
    begin()
    listing = run(["dpkg-deb", "-c", deb]).stdout.splitlines()
    files = {}
    for line in listing:
        # -rwxr-xr-x root/root   123 2026-12-03 05:31 ./usr/bin/ypa
        parts = line.split(None, 5)
        path = parts[5][1:] if parts[5].startswith("./") else parts[5]
        if parts[0].startswith("-"):
            files[path] = (parts[0], parts[1])
    for path, mode in EXPECTED_FILES.items():
        if path not in files:
            problem(f"dpkg-deb -c does not list {path}")
            continue
        want = stat.filemode(stat.S_IFREG | mode)
        if files[path] != (want, "root/root"):
            problem(f"{path} is {files[path][0]} {files[path][1]}, expected {want} root/root")
    for path in sorted(set(files) - set(EXPECTED_FILES)):
        problem(f"the package holds {path}, which it should not")
    ok(f"dpkg-deb -c lists {', '.join(sorted(EXPECTED_FILES))}")


def control_field(deb, name):
    value = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    return [re.split(r"[\s(]", alt.strip(), maxsplit=1)[0] for part in value.split(",") if part.strip()
            for alt in part.split("|")] if value else []


def package_of_library(path):
    """The Debian package that holds a shared library, trying the paths of a merged /usr."""
    candidates = [path, os.path.realpath(path)]
    for c in list(candidates):
        if c.startswith("/lib/"):
            candidates.append("/usr" + c)
        elif c.startswith("/usr/lib/"):
            candidates.append(c[len("/usr"):])
    for c in candidates:
        p = run(["dpkg", "-S", c], check=False)
        if p.returncode == 0:
            return p.stdout.split(":", 1)[0].strip()
    return None


def check_control(deb, root):
    begin()
    info = run(["dpkg-deb", "-I", deb]).stdout
    members = set(re.findall(r"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*(\S+)", info, re.M))
    if "conffiles" not in members:
        problem(f"dpkg-deb -I shows no conffiles member (members: {sorted(members)})")
    else:
        conffiles = run(["dpkg-deb", "-I", deb, "conffiles"]).stdout.split()
        if conffiles != [CONFFILE]:
            problem(f"conffiles is {conffiles}, expected [{CONFFILE}]")
    scripts = members & {"preinst", "postinst"}
    if scripts:
        problem(f"maintainer scripts {sorted(scripts)}: nothing should run at install (the units stay disabled)")
    if "prerm" not in members:
        problem("no prerm: removing the package would leave the units' enablement links behind")

    depends = control_field(deb, "Depends")
    # Oracle: the libraries the packaged binary needs (its ELF NEEDED entries) and the packages holding them.
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", run(["objdump", "-p", os.path.join(root, "usr/bin/ypa")]).stdout,
                        re.M)
    cache = run(["ldconfig", "-p"]).stdout
    for soname in needed:
        m = re.search(r"^\s*" + re.escape(soname) + r" \([^)]*x86-64[^)]*\) => (\S+)", cache, re.M) or \
            re.search(r"^\s*" + re.escape(soname) + r" \([^)]*\) => (\S+)", cache, re.M)
        if not m:
            problem(f"ypa needs {soname}, which ldconfig does not know")
            continue
        package = package_of_library(m.group(1))
        if package is None:
            problem(f"ypa needs {soname} ({m.group(1)}), which no Debian package holds")
            continue
        # The library's shlibs may name a virtual package it provides (libspdlog1.10 provides
        # libspdlog1.10-fmt9, the ABI it was built against).
        provides = run(["dpkg-query", "-W", "-f=${Provides}", package]).stdout
        names = {package.split(":")[0]} | {re.split(r"[\s(]", v.strip(), maxsplit=1)[0]
                                           for v in provides.split(",") if v.strip()}
        if not names & set(depends):
            problem(f"ypa needs {soname} from {package} (providing {sorted(names)}), which Depends "
                    f"({', '.join(depends)}) lacks")
    if "libpq5" not in depends:
        problem(f"Depends lacks libpq5: {depends}")
    suggests = control_field(deb, "Suggests")
    for want in ("postgresql-15", "clickhouse-server"):
        if want not in suggests:
            problem(f"Suggests lacks {want} (ypa stack runs it): {suggests}")
    if set(depends) & {"postgresql-15", "clickhouse-server"}:
        problem(f"Depends names a server, which only ypa stack needs: {depends}")
    ok(f"conffiles {CONFFILE}; Depends {', '.join(depends)} covers the {len(needed)} libraries ypa links; "
       f"Suggests {', '.join(suggests)}")


def unit_settings(path):
    settings, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def check_units(root, systemd_analyze):
    begin()
    for unit, subcommand in UNITS.items():
        s = unit_settings(os.path.join(root, "lib/systemd/system", unit))
        expected = {("Service", "ExecStart"): f"/usr/bin/ypa {subcommand}",
                    ("Service", "EnvironmentFile"): CONFFILE,
                    ("Service", "DynamicUser"): "yes",
                    ("Service", "Restart"): "on-failure",
                    ("Install", "WantedBy"): "multi-user.target"}
        for key, want in expected.items():
            got = s.get(key, [None])[-1]
            if got != want:
                problem(f"{unit}: {key[0]}.{key[1]} is {got!r}, expected {want!r}")
    # systemd-analyze verify on the unpacked package: --root finds ExecStart's /usr/bin/ypa there, and the
    # root needs the system's own units (sysinit.target, ...) to load ours. It exits 0 on unknown keys and
    # bad values too, only printing them: any output is a finding.
    shutil.copytree("/usr/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True,
                    dirs_exist_ok=True)
    p = run([systemd_analyze, "verify", f"--root={root}", "--man=no"] +
            [f"/lib/systemd/system/{u}" for u in UNITS], check=False)
    if p.returncode != 0 or (p.stdout + p.stderr).strip():
        problem(f"systemd-analyze verify (exit {p.returncode}): {(p.stdout + p.stderr).strip()}")
    else:
        ok(f"systemd-analyze verify accepts {', '.join(UNITS)}")


def subcommands_of(help_text):
    lines = help_text.splitlines()
    start = lines.index("Subcommands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        m = re.match(r"^  (\S+)", line)
        if m:
            names.append(m.group(1))
    return names


def check_man_page(root, ypa):
    begin()
    page = os.path.join(root, "usr/share/man/man1/ypa.1.gz")
    env = dict(os.environ, MANWIDTH="80", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    troff = run(["sh", "-c", 'zcat "$0" | groff -man -Tutf8 -ww -z', page], check=False)
    if troff.returncode != 0 or troff.stderr.strip():
        problem(f"groff -ww warns about ypa.1: {troff.stderr.strip()}")
    man = run(["man", "--warnings", "-l", page], check=False, env=env)
    if man.returncode != 0 or man.stderr.strip():
        problem(f"man -l ypa.1.gz (exit {man.returncode}) warns: {man.stderr.strip()}")
    text = man.stdout
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "FILES"):
        if not re.search(r"^" + heading + r"$", text, re.M):
            problem(f"the rendered man page has no {heading} section")
    if not re.search(r"^NAME\n\s+ypa - \S", text, re.M):
        problem("the man page's NAME is not 'ypa - ...'")
    if not re.search(r"^SYNOPSIS\n\s+ypa \[OPTIONS\] SUBCOMMAND", text, re.M):
        problem("the man page's SYNOPSIS is not 'ypa [OPTIONS] SUBCOMMAND'")
    subcommands = subcommands_of(run([ypa, "--help"]).stdout)
    for core in CORE_SUBCOMMANDS:
        if core not in subcommands:
            problem(f"ypa --help does not list {core}")
    for sub in subcommands:
        if not re.search(r"^\s+ypa " + re.escape(sub) + r" \[OPTIONS\]", text, re.M):
            problem(f"the man page has no section 'ypa {sub} [OPTIONS]'")
        for flag in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", run([ypa, sub, "--help"]).stdout))):
            if flag not in text:
                problem(f"`ypa {sub} --help` shows {flag}, the man page does not")
    ok(f"man -l renders ypa(1) without warnings, with {len(subcommands)} subcommands: {' '.join(subcommands)}")


def documented_variables(doc_path):
    """{name: default or None} of docs/configuration.md's runtime tables (the first table, Source tables)."""
    variables, section, table = {}, None, 0
    with open(doc_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                section, table = line.strip("# \n"), 0
                continue
            if not line.startswith("|") or line.startswith("|---") or line.startswith("| variable"):
                continue
            if section not in ("Configuration", "Source tables"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
            default = re.fullmatch(r"`([^`]*)`", cells[1]) if len(cells) > 1 else None
            for name in names:
                if name == "USER":
                    continue  # set by systemd for the service's user
                variables[name] = default.group(1) if default and len(names) == 1 else None
    return variables


def check_lintian(deb):
    """lintian on the package: any error or warning tag beyond the accepted ones is a problem."""
    begin()
    p = run(["lintian", "--tag-display-limit", "0", deb], check=False)
    maintainer = run(["dpkg-deb", "-f", deb, "Maintainer"]).stdout.strip()
    tags = []
    for line in p.stdout.splitlines():
        m = re.match(r"([EWIXPNCO]): ypa(?: \S+)?: (\S+)\s*(.*)", line)
        if not m:
            continue
        kind, tag, where = m.groups()
        tags.append(tag)
        if kind not in ("E", "W"):
            continue
        if tag in ("bogus-mail-host", "bogus-mail-host-in-debian-changelog") and PLACEHOLDER_MAINTAINER in maintainer:
            continue
        if tag in LINTIAN_ACCEPTED and LINTIAN_ACCEPTED[tag] in where:
            continue
        problem(f"lintian: {line.strip()}")
    if p.returncode not in (0, 1, 2):  # 1 or 2: tags were found; anything else: lintian failed
        problem(f"lintian exited {p.returncode}: {p.stderr.strip()}")
    ok(f"lintian: no error or warning beyond the accepted ones ({len(tags)} tags in all)")


def check_env_template(root, doc_path):
    begin()
    path = os.path.join(root, CONFFILE.lstrip("/"))
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    active = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if active:
        problem(f"{CONFFILE} sets variables, it should only show them commented out: {active}")
    template = {}
    for line in lines:
        m = re.match(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", line)
        if m:
            template[m.group(1)] = m.group(2)
    variables = documented_variables(doc_path)
    if len(variables) < 30:
        problem(f"read only {len(variables)} variables from {doc_path}: its tables changed shape")
    for name, default in sorted(variables.items()):
        if name not in template:
            problem(f"{CONFFILE} lacks '# {name}=...' ({doc_path} lists it)")
        elif default is not None and template[name] != default:
            problem(f"{CONFFILE}: {name}={template[name]}, docs/configuration.md's default is {default}")
    for name in sorted(set(template) - set(variables)):
        if not name.startswith("PG"):
            problem(f"{CONFFILE} shows {name}, which docs/configuration.md's tables do not list")
    ok(f"{CONFFILE}: all {len(variables)} documented variables commented out with their defaults")


# Installing --------------------------------------------------------------------------------------------

def dpkg_status(package):
    p = run(["dpkg-query", "-W", "-f=${Status}", package], check=False)
    return p.stdout.strip() if p.returncode == 0 else "unknown"


def install_cycle(deb, version, systemd_analyze):
    status = dpkg_status("ypa")
    if status not in ("unknown", "unknown ok not-installed", "purge ok not-installed"):
        raise SystemExit(f"deb_test: dpkg already knows the package ypa ({status}); this test installs and purges "
                         f"it: purge it first (dpkg -P ypa)")
    for path in ("/usr/bin/ypa", "/etc/ypa"):
        if os.path.lexists(path):
            raise SystemExit(f"deb_test: {path} exists and belongs to no ypa package; this test would install "
                             f"over it and then delete it: move it away first")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    installed = False
    links = []
    try:
        begin()
        p = run(["apt-get", "install", "-y", "--no-install-recommends", "./" + os.path.basename(deb)],
                check=False, cwd=os.path.dirname(deb), env=env, timeout=900)
        installed = dpkg_status("ypa") != "unknown"
        if p.returncode != 0 or dpkg_status("ypa") != "install ok installed":
            problem(f"apt-get install ./{os.path.basename(deb)} exited {p.returncode}: {p.stdout[-2000:]} "
                    f"{p.stderr[-2000:]}")
            return
        ok("apt-get install ./" + os.path.basename(deb))
        begin()
        v = run(["/usr/bin/ypa", "--version"], check=False)
        if v.returncode != 0 or v.stdout.strip() != f"ypa {version}":
            problem(f"/usr/bin/ypa --version: exit {v.returncode}, {v.stdout.strip()!r} {v.stderr.strip()!r}; "
                    f"expected 'ypa {version}'")
        else:
            ok(f"/usr/bin/ypa --version: ypa {version}")
        begin()
        owned = [line for line in run(["dpkg", "-L", "ypa"]).stdout.splitlines() if line.strip()]
        owned_files = [path for path in owned if os.path.isfile(path) and not os.path.islink(path)]
        for path, mode in EXPECTED_FILES.items():
            if path not in owned:
                problem(f"dpkg -L ypa does not list {path}")
            elif not os.path.isfile(path):
                problem(f"{path} is not on disk after the install (a path-exclude in /etc/dpkg/dpkg.cfg.d?)")
            elif stat.S_IMODE(os.stat(path).st_mode) != mode or os.stat(path).st_uid != 0:
                problem(f"{path} has mode {oct(stat.S_IMODE(os.stat(path).st_mode))} uid {os.stat(path).st_uid}, "
                        f"expected {oct(mode)} uid 0")
        enabled = glob.glob("/etc/systemd/system/*/ypa-*.service") + glob.glob("/etc/systemd/system/ypa-*")
        if enabled:
            problem(f"the install enabled units: {enabled}")
        ok(f"dpkg -L ypa lists the {len(EXPECTED_FILES)} files, on disk with their modes; no unit enabled")
        begin()
        p = run([systemd_analyze, "verify"] + [f"/lib/systemd/system/{u}" for u in UNITS], check=False)
        if p.returncode != 0 or (p.stdout + p.stderr).strip():
            problem(f"systemd-analyze verify of the installed units (exit {p.returncode}): "
                    f"{(p.stdout + p.stderr).strip()}")
        else:
            ok("systemd-analyze verify accepts the installed units (man:ypa(1) resolves)")
        begin()
        where = run(["man", "-w", "ypa"], check=False).stdout.strip()
        rendered = run(["man", "ypa"], check=False, env=dict(os.environ, MANPAGER="cat", PAGER="cat",
                                                            MANWIDTH="80")).stdout
        if where != "/usr/share/man/man1/ypa.1.gz" or "run_pipeline" not in rendered:
            problem(f"man ypa: man -w gives {where!r}; the page {'renders' if rendered else 'does not render'}")
        else:
            ok("man ypa renders /usr/share/man/man1/ypa.1.gz")

        # An administrator enables the units and edits the conffile; removal drops the links and keeps the
        # edited conffile, purge deletes it all the same.
        begin()
        p = run(["systemctl", "enable"] + list(UNITS), check=False)
        links = glob.glob("/etc/systemd/system/*.wants/ypa-*.service")
        if p.returncode != 0 or len(links) != len(UNITS):
            problem(f"systemctl enable (exit {p.returncode}, {p.stderr.strip()!r}) made links {links}")
        with open(CONFFILE, "a", encoding="utf-8") as f:
            f.write("# edited by deb_test\n")
        run(["dpkg", "-r", "ypa"], env=env)
        if dpkg_status("ypa") != "deinstall ok config-files":
            problem(f"after dpkg -r the status is {dpkg_status('ypa')!r}, expected 'deinstall ok config-files'")
        left = [path for path in owned_files + ["/usr/share/doc/ypa"] + links
                if os.path.lexists(path) and path != CONFFILE]
        if left:
            problem(f"dpkg -r left {left}")
        if not os.path.isfile(CONFFILE) or "# edited by deb_test" not in open(CONFFILE, encoding="utf-8").read():
            problem(f"dpkg -r did not keep the edited {CONFFILE}")
        else:
            ok(f"dpkg -r removed the {len(owned_files) - 1} other files and the {len(links)} enablement links, kept "
               f"the edited {CONFFILE}")
        begin()
        run(["dpkg", "-P", "ypa"], env=env)
        installed = False
        left = [path for path in owned_files + list(OWN_DIRECTORIES) + links if os.path.lexists(path)]
        if left:
            problem(f"dpkg -P left {left}")
        elif dpkg_status("ypa") not in ("unknown", "unknown ok not-installed", "purge ok not-installed"):
            problem(f"after dpkg -P the status is {dpkg_status('ypa')!r}")
        else:
            ok("dpkg -P removed everything, /etc/ypa included")
    finally:
        if installed or dpkg_status("ypa") != "unknown":
            run(["dpkg", "-P", "ypa"], check=False, env=env)
        for link in links:  # made by this test's systemctl enable; a failed removal may have left them
            if os.path.islink(link):
                os.unlink(link)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--ypa", required=True, help="the built binary (its --help is the man page's source)")
    parser.add_argument("--version", required=True, help="project()'s version")
    parser.add_argument("--cpack", default="cpack")
    parser.add_argument("--configuration-doc", required=True, help="docs/configuration.md")
    args = parser.parse_args()
    systemd_analyze = shutil.which("systemd-analyze")
    for tool in ("dpkg-deb", "dpkg-shlibdeps", "objdump", "groff", "man", "help2man", "lintian"):
        if not shutil.which(tool):
            raise SystemExit(f"deb_test: {tool} is missing: scripts/install-deps.sh installs it")
    if not systemd_analyze:
        raise SystemExit("deb_test: systemd-analyze is missing: scripts/install-deps.sh installs systemd")

    with tempfile.TemporaryDirectory(prefix="ypa-deb-") as tmp:
        os.chmod(tmp, 0o755)  # apt-get reads the package as its _apt user
        deb = build_package(args.cpack, args.build_dir, tmp)
        ok(f"cpack wrote {os.path.basename(deb)}")
        root = os.path.join(tmp, "root")
        run(["dpkg-deb", "-x", deb, root])
        check_fields(deb, args.version)
        check_listing(deb)
        check_control(deb, root)
        check_units(root, systemd_analyze)
        check_man_page(root, args.ypa)
        check_env_template(root, args.configuration_doc)
        check_lintian(deb)
        wanted = os.environ.get("CI") == "true" or os.environ.get("YPA_PACKAGE_INSTALL_TEST") == "1"
        if os.geteuid() == 0 and wanted:
            install_cycle(deb, args.version, systemd_analyze)
        else:
            print("install, remove and purge: not run (they need root and CI=true or YPA_PACKAGE_INSTALL_TEST=1)")
    print(f"deb_test: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
