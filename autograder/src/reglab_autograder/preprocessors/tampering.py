"""A static scan of a code cell for tampering with the grading machinery (used by ``intake_rules.FlagTampering``)."""

from __future__ import annotations

import ast

PROTECTED_NAMES = {"checks", "reglab", "np", "numpy", "builtins", "__builtins__", "sys", "math", "scipy", "plt",
                   "matplotlib"}
SUSPICIOUS_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "get_ipython", "globals", "vars"}
SUSPICIOUS_ATTRS = {"modules", "settrace", "setprofile", "showtraceback", "excepthook", "__code__", "__globals__",
                    "__dict__", "__class__", "f_globals", "f_locals", "gi_frame", "tb_frame"}
SUSPICIOUS_IMPORTS = {"ctypes", "gc", "inspect", "importlib", "builtins", "IPython"}
# string literals that point at the grader's files (solutions, gradebook, other submissions)
PROTECTED_PATH_PARTS = ("solutions/", "gradebook", "/autograded", "/submitted", "/source/", "/release/", "/feedback",
                        ".ipynb", "nbgrader_config")


def find_tampering(source: str):
    """Reasons this code cell's source tampers with the grading machinery ([] if none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it cannot run either; the cell simply fails
    reasons = []

    def root_name(node):
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                if isinstance(t, (ast.Attribute, ast.Subscript)) and root_name(t) in PROTECTED_NAMES:
                    reasons.append(f"line {node.lineno}: assigns to {ast.unparse(t)}")
                elif isinstance(t, ast.Name) and t.id in {"checks", "reglab", "np", "numpy"}:
                    reasons.append(f"line {node.lineno}: rebinds the name {t.id}")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in {"checks", "reglab", "np", "numpy"}:
            reasons.append(f"line {node.lineno}: redefines {node.name}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else None)
            if name in SUSPICIOUS_CALLS:
                reasons.append(f"line {node.lineno}: calls {name}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                any(part in node.value for part in PROTECTED_PATH_PARTS):
            reasons.append(f"line {node.lineno}: refers to grading files ({node.value[:60]!r})")
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRS:
            reasons.append(f"line {node.lineno}: uses .{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] in SUSPICIOUS_IMPORTS:
                    reasons.append(f"line {node.lineno}: imports {m}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reglab"):
                for a in node.names:
                    if a.asname in {"np", "numpy"}:
                        reasons.append(f"line {node.lineno}: imports under a protected name")
    return reasons
