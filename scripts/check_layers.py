#!/usr/bin/env python3
"""Checks that the includes follow the declared module graph.

The graph is the build's: each src/<module>/CMakeLists.txt declares its
module with mimicit_add_module(<name> DEPENDS <modules below> HEADERS
<public headers> SOURCES <files>) (cmake/MimicitModule.cmake). A file of
src/<module>/, or a public header that module declares, may include:
  - headers of its own module;
  - headers of the modules below it (DEPENDS, transitively);
  - system and third-party headers (<...>).
Anything else is an upward (or sideways) edge and fails the check. So do a
cycle in DEPENDS, a .cc under src/ that no module lists (it would not be
built), a listed file that does not exist, and a public header under
include/mimicit/ that no module (or two) declares.

Usage: scripts/check_layers.py [ROOT]   (pure Python, no dependencies)
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
CALL = re.compile(r"mimicit_add_module\s*\(([^)]*)\)", re.S)
KEYWORDS = ("DEPENDS", "PRIVATE_LIBS", "HEADERS", "SOURCES")


def parse_modules(root):
    """{module: {"DEPENDS": [...], "HEADERS": [...], "SOURCES": [...]}}."""
    modules = {}
    src = os.path.join(root, "src")
    for name in sorted(os.listdir(src)):
        cmake = os.path.join(src, name, "CMakeLists.txt")
        if not os.path.isfile(cmake):
            continue
        with open(cmake, encoding="utf-8") as f:
            text = re.sub(r"#.*", "", f.read())
        for match in CALL.finditer(text):
            words = match.group(1).split()
            module, fields, key = words[0], {k: [] for k in KEYWORDS}, None
            for word in words[1:]:
                if word in KEYWORDS:
                    key = word
                elif key is None:
                    raise SystemExit(f"{cmake}: unexpected {word!r} in mimicit_add_module")
                else:
                    fields[key].append(word)
            if module != name:
                raise SystemExit(f"{cmake}: declares module {module!r}, expected {name!r}")
            modules[module] = fields
    return modules


def below(modules):
    """{module: set of modules below it}; fails on unknown names and cycles."""
    errors = []
    closure = {}

    def visit(module, path):
        if module in closure:
            return closure[module]
        if module in path:
            errors.append("cycle: " + " -> ".join(path[path.index(module):] + [module]))
            return set()
        result = set()
        for dep in modules[module]["DEPENDS"]:
            if dep not in modules:
                errors.append(f"src/{module}: DEPENDS on unknown module {dep!r}")
                continue
            result |= {dep} | visit(dep, path + [module])
        closure[module] = result
        return result

    for module in modules:
        visit(module, [])
    return closure, errors


def main(root):
    modules = parse_modules(root)
    if not modules:
        raise SystemExit(f"{root}: no mimicit_add_module in src/*/CMakeLists.txt")
    closure, errors = below(modules)

    # Owners of files: src/<module>/... and the declared public headers.
    header_owner = {}
    for module, fields in modules.items():
        for header in fields["HEADERS"]:
            path = "mimicit/" + header
            if path in header_owner:
                errors.append(f"include/{path}: declared by {header_owner[path]} and {module}")
            header_owner[path] = module
            if not os.path.isfile(os.path.join(root, "include", path)):
                errors.append(f"src/{module}/CMakeLists.txt: no header include/{path}")
    for dirpath, _, files in os.walk(os.path.join(root, "include")):
        for name in files:
            path = os.path.relpath(os.path.join(dirpath, name), os.path.join(root, "include"))
            if path not in header_owner:
                errors.append(f"include/{path}: no module declares it (HEADERS)")

    listed = set()
    for module, fields in modules.items():
        for source in fields["SOURCES"]:
            path = f"src/{module}/{source}"
            listed.add(path)
            if not os.path.isfile(os.path.join(root, path)):
                errors.append(f"src/{module}/CMakeLists.txt: no source {path}")

    def owner(include):
        if include in header_owner:
            return header_owner[include]
        first = include.split("/", 1)[0]
        return first if first in modules else None

    files = [(f"include/{h}", m) for h, m in header_owner.items()]
    for module in modules:
        for dirpath, _, names in os.walk(os.path.join(root, "src", module)):
            for name in sorted(names):
                path = os.path.relpath(os.path.join(dirpath, name), root)
                if name.endswith(".cc") and path not in listed:
                    errors.append(f"{path}: not in the SOURCES of src/{module}/CMakeLists.txt")
                if name.endswith((".cc", ".h", ".inc")):
                    files.append((path, module))

    edges = 0
    for path, module in sorted(files):
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        for line_no, include in ((text.count("\n", 0, m.start()) + 1, m.group(1))
                                 for m in INCLUDE.finditer(text)):
            target = owner(include)
            edges += 1
            if target is None:
                errors.append(f"{path}:{line_no}: #include \"{include}\" belongs to no module")
            elif target != module and target not in closure[module]:
                errors.append(f"{path}:{line_no}: {module} includes \"{include}\" of {target}, "
                              f"which is not below it (src/{module}/CMakeLists.txt DEPENDS)")

    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"check_layers: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    order = sorted(modules, key=lambda m: (len(closure[m]), m))
    print(f"check_layers: {len(modules)} modules ({' < '.join(order)}), "
          f"{len(files)} files, {edges} includes: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
