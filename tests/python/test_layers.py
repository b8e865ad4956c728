"""scripts/check_layers.py: the tree follows its declared module graph, and
the check catches what it is meant to catch."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_layers.py"


def run(root):
    return subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)


def test_tree_follows_module_graph():
    result = run(ROOT)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def make_tree(tmp_path, low_cmake="", extra_low_source=""):
    """A tree of two modules: low (bottom) and high (DEPENDS low)."""
    (tmp_path / "include" / "mimicit").mkdir(parents=True)
    (tmp_path / "include" / "mimicit" / "low.h").write_text("#pragma once\n")
    (tmp_path / "include" / "mimicit" / "high.h").write_text('#include "mimicit/low.h"\n')
    for name, deps in (("low", ""), ("high", "DEPENDS low")):
        (tmp_path / "src" / name).mkdir(parents=True)
        (tmp_path / "src" / name / f"{name}.cc").write_text(f'#include "mimicit/{name}.h"\n')
        (tmp_path / "src" / name / "CMakeLists.txt").write_text(
            f"mimicit_add_module({name} {deps}\n  HEADERS {name}.h\n  SOURCES {name}.cc {low_cmake if name == 'low' else ''})\n")
    if extra_low_source:
        (tmp_path / "src" / "low" / "extra.cc").write_text(extra_low_source)
    return tmp_path


def test_accepts_a_tree_that_follows_its_graph(tmp_path):
    result = run(make_tree(tmp_path))
    assert result.returncode == 0, result.stderr


def test_rejects_an_upward_include(tmp_path):
    result = run(make_tree(tmp_path, low_cmake="extra.cc", extra_low_source='#include "high/x.h"\n'))
    assert result.returncode == 1
    assert 'low includes "high/x.h" of high, which is not below it' in result.stderr


def test_rejects_an_upward_public_include(tmp_path):
    tree = make_tree(tmp_path)
    (tree / "include" / "mimicit" / "low.h").write_text('#include "mimicit/high.h"\n')
    result = run(tree)
    assert result.returncode == 1
    assert "include/mimicit/low.h:1: low includes" in result.stderr


def test_rejects_an_unlisted_source_and_an_undeclared_header(tmp_path):
    tree = make_tree(tmp_path, extra_low_source="int x;\n")
    (tree / "include" / "mimicit" / "stray.h").write_text("#pragma once\n")
    result = run(tree)
    assert result.returncode == 1
    assert "src/low/extra.cc: not in the SOURCES" in result.stderr
    assert "include/mimicit/stray.h: no module declares it" in result.stderr


def test_rejects_a_cycle(tmp_path):
    tree = make_tree(tmp_path)
    cmake = tree / "src" / "low" / "CMakeLists.txt"
    cmake.write_text(cmake.read_text().replace("mimicit_add_module(low ", "mimicit_add_module(low DEPENDS high"))
    result = run(tree)
    assert result.returncode == 1
    assert "cycle:" in result.stderr
