"""scripts/check-layout: the real tree passes, and each rule it keeps fails
on a small tree that breaks that rule (a bare include, an include or a call
against the folders' direction, a library outside its folder, a cycle of
calls, a cycle of allowances). The small trees are compiled for real, so the
call rules see what nm sees in the product's objects."""
import os
import shutil
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECKER = os.path.join(TOP, "scripts", "check-layout")

READMES = {
    "gateway": "May use: base, serve\nLibraries: none\n",
    "gateway/base": "May use: nothing\nLibraries: none\n",
    "gateway/serve": "May use: base, netstack\nLibraries: libevent\n",
    "netstack": "May use: nothing\nLibraries: lwIP\n",
    "dns": "May use: nothing\nLibraries: c-ares\n",
}
SOURCES = {
    "gateway/main.c": '#include "serve/loop.h"\nint main(void) { return loop_run(); }\n',
    "gateway/base/log.h": "int log_msg(void);\n",
    "gateway/base/log.c": '#include "base/log.h"\nint log_msg(void) { return 0; }\n',
    "gateway/serve/loop.h": "int loop_run(void);\n",
    "gateway/serve/loop.c": ('#include "serve/loop.h"\n#include "base/log.h"\n#include "netstack/ns.h"\n'
                             "int loop_run(void) { return log_msg() + ns_input(); }\n"),
    "netstack/ns.h": "int ns_input(void);\nint ns_leaf(void);\n",
    "netstack/ns.c": '#include "netstack/ns.h"\nint ns_input(void) { return ns_leaf(); }\n',
    "netstack/ns_leaf.c": '#include "netstack/ns.h"\nint ns_leaf(void) { return 1; }\n',
    "dns/wire.h": "int wire(void);\n",
    "dns/wire.c": '#include "dns/wire.h"\nint wire(void) { return 2; }\n',
}


def make_tree(tmp, edits=None, readmes=None):
    root = tmp / "tree"
    if root.exists():
        shutil.rmtree(root)
    files = dict(SOURCES)
    files.update(edits or {})
    for d, text in dict(READMES, **(readmes or {})).items():
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d / "README.md").write_text("# %s\n\n%s" % (d, text))
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    objs = root / "obj"
    for path in files:
        if path.endswith(".c"):
            out = objs / (path[:-2] + ".o")
            out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cc", "-c", "-I", str(root / "gateway"), "-I", str(root),
                            "-o", str(out), str(root / path)], check=True)
    return root, objs


def check(root, objs=None):
    args = [CHECKER, "--root", str(root)]
    if objs is not None:
        args += ["--objects", str(objs)]
    return subprocess.run(args, capture_output=True, text=True)


def test_the_real_tree_follows_its_readmes():
    objs = os.path.join(TOP, "build", "obj")
    if not os.path.isdir(os.path.join(objs, "gateway")):
        pytest.fail("build torgate first (make): the call rules read build/obj")
    cp = check(TOP, objs)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "no cycles" in cp.stdout


def test_a_tree_that_follows_the_rules_passes(tmp_path):
    cp = check(*make_tree(tmp_path))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "4 calls between files" in cp.stdout, cp.stdout


@pytest.mark.parametrize("name, edits, readmes, expect", [
    ("bare include", {"gateway/serve/loop.c": SOURCES["gateway/serve/loop.c"].replace(
        '"base/log.h"', '"../base/log.h"')}, None,
     "gateway/serve/loop.c:2: includes \"../base/log.h\": name our headers by their folder"),
    ("include against the direction", {"gateway/base/log.c": SOURCES["gateway/base/log.c"] +
                                       '#include "serve/loop.h"\n'}, None,
     "gateway/base/log.c:3: includes \"serve/loop.h\": base may not use serve"),
    ("netstack outside serve", {"gateway/main.c": '#include "netstack/ns.h"\n' +
                                SOURCES["gateway/main.c"]}, None,
     "gateway/main.c:1: includes \"netstack/ns.h\": gateway may not use netstack"),
    ("lwIP outside netstack", {"dns/pool.h": '#include "lwip/pbuf.h"\n'}, None,
     "dns/pool.h:1: includes \"lwip/pbuf.h\": lwIP is not among dns's libraries"),
    ("libevent outside its folders", {"gateway/base/log.h": "#include <event2/event.h>\nint log_msg(void);\n"},
     None, "gateway/base/log.h:1: includes <event2/event.h>: libevent is not among base's"),
    ("a call against the direction, no include", {"gateway/base/log.c":
        '#include "base/log.h"\nint loop_run(void);\nint log_msg(void) { return loop_run(); }\n'}, None,
     "gateway/base/log.c: calls loop_run (gateway/serve/loop.c): base may not use serve"),
    ("a leaf calling back", {"netstack/ns_leaf.c":
        '#include "netstack/ns.h"\nint ns_leaf(void) { return 1; }\nint ns_more(void) { return ns_input(); }\n'},
     None, "a cycle of calls: netstack/ns.c -> netstack/ns_leaf.c (ns_leaf); netstack/ns_leaf.c -> netstack/ns.c"),
    ("allowances that go round", None, {"gateway/base": "May use: serve\nLibraries: none\n"},
     "the READMEs' May use lines go round"),
    ("a folder without its README lines", None, {"dns": "c-ares and nothing else\n"},
     "dns/README.md: no 'May use:' line"),
    ("an unknown folder", None, {"dns": "May use: resolver\nLibraries: c-ares\n"},
     "dns/README.md: May use: no folder called 'resolver'"),
])
def test_each_rule_fails_when_broken(tmp_path, name, edits, readmes, expect):
    cp = check(*make_tree(tmp_path, edits, readmes))
    assert cp.returncode == 1, "%s passed:\n%s" % (name, cp.stdout)
    assert expect in cp.stdout, cp.stdout
