"""The gate-name shim between the two OpenQASM 3 dialects that Qiskit and Braket speak.

Qiskit writes (and reads) *standard* OpenQASM 3: `include "stdgates.inc";` and the gate
names of that file (`cx`, `sdg`, `p`, ...). Braket's interpreter has no include files and
its own built-in names (`cnot`, `si`, `phaseshift`, ...); its exporter writes those names
and no include. The shim makes either dialect loadable by the other side by *defining* the
missing names as gates in terms of the other side's names, instead of rewriting the
program's statements: a definition cannot touch a register or variable that happens to
share a gate's name, which a regular-expression rename can.

Only names the program uses as gates and does not define itself get a definition. Braket
pragmas with no effect on the circuit (`verbatim`, `result`) are dropped for Qiskit, which
rejects every pragma; any other pragma is left in place and fails loudly there.

Definitions of the Braket-only two-qubit rotations (`pswap`, `xy`, `ms`, `ecr`, ...) are
exact up to a global phase.
"""

import re
from dataclasses import dataclass

_STANDARD_TO_BRAKET: dict[str, str] = {
    "p": "gate p(l) a { phaseshift(l) a; }",
    "phase": "gate phase(l) a { phaseshift(l) a; }",
    "u1": "gate u1(l) a { phaseshift(l) a; }",
    "u2": "gate u2(p0, p1) a { U(pi/2, p0, p1) a; }",
    "u3": "gate u3(p0, p1, p2) a { U(p0, p1, p2) a; }",
    "id": "gate id a { i a; }",
    "sdg": "gate sdg a { si a; }",
    "tdg": "gate tdg a { ti a; }",
    "sx": "gate sx a { v a; }",
    "cx": "gate cx a, b { cnot a, b; }",
    "CX": "gate CX a, b { cnot a, b; }",
    "cp": "gate cp(l) a, b { cphaseshift(l) a, b; }",
    "cphase": "gate cphase(l) a, b { cphaseshift(l) a, b; }",
    "crx": "gate crx(t) a, b { ctrl @ rx(t) a, b; }",
    "cry": "gate cry(t) a, b { ctrl @ ry(t) a, b; }",
    "crz": "gate crz(t) a, b { ctrl @ rz(t) a, b; }",
    "ch": "gate ch a, b { ctrl @ h a, b; }",
    "cu": "gate cu(p0, p1, p2, p3) a, b { phaseshift(p3) a; ctrl @ U(p0, p1, p2) a, b; }",
    "ccx": "gate ccx a, b, c { ccnot a, b, c; }",
}
"""stdgates.inc names Braket lacks, defined with Braket's built-ins. `cu` follows Qiskit's
CUGate (phase `p3` on the control), which is what Qiskit means when it writes `cu`.

Gates with several parameters name them p0, p1, ... in order: Qiskit's OpenQASM 3 importer
(qiskit-qasm3-import 0.6.0) binds a defined gate's parameters in *alphabetical* order of
their names, so `gate prx(t, f)` called as `prx(0.3, 0.7)` would get t=0.7, f=0.3."""

_XX = "h {a}; h {b}; cx {a}, {b}; rz({t}) {b}; cx {a}, {b}; h {a}; h {b};"
_YY = (
    "rx(pi/2) {a}; rx(pi/2) {b}; cx {a}, {b}; rz({t}) {b}; cx {a}, {b};"
    " rx(-pi/2) {a}; rx(-pi/2) {b};"
)


def _xx(t: str, a: str = "a", b: str = "b") -> str:
    return _XX.format(a=a, b=b, t=t)


def _yy(t: str, a: str = "a", b: str = "b") -> str:
    return _YY.format(a=a, b=b, t=t)


_BRAKET_TO_STANDARD: dict[str, str] = {
    "cnot": "gate cnot a, b { cx a, b; }",
    "ccnot": "gate ccnot a, b, c { ccx a, b, c; }",
    "i": "gate i a { id a; }",
    "si": "gate si a { sdg a; }",
    "ti": "gate ti a { tdg a; }",
    "v": "gate v a { sx a; }",
    "vi": "gate vi a { inv @ sx a; }",
    "cv": "gate cv a, b { ctrl @ sx a, b; }",
    "phaseshift": "gate phaseshift(l) a { p(l) a; }",
    "cphaseshift": "gate cphaseshift(l) a, b { cp(l) a, b; }",
    "cphaseshift00": "gate cphaseshift00(l) a, b { x a; x b; cp(l) a, b; x a; x b; }",
    "cphaseshift01": "gate cphaseshift01(l) a, b { x a; cp(l) a, b; x a; }",
    "cphaseshift10": "gate cphaseshift10(l) a, b { x b; cp(l) a, b; x b; }",
    "xx": f"gate xx(t) a, b {{ {_xx('t')} }}",
    "yy": f"gate yy(t) a, b {{ {_yy('t')} }}",
    "zz": "gate zz(t) a, b { cx a, b; rz(t) b; cx a, b; }",
    "xy": f"gate xy(t) a, b {{ {_xx('-t/2')} {_yy('-t/2')} }}",
    "iswap": "gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }",
    "pswap": "gate pswap(t) a, b { swap a, b; cx a, b; rz(t) b; cx a, b; }",
    "ecr": (
        "gate ecr a, b { h b; cx a, b; rz(pi/4) b; cx a, b; h b; x a;"
        " h b; cx a, b; rz(-pi/4) b; cx a, b; h b; }"
    ),
    "gpi": "gate gpi(f) a { U(pi, f, pi - f) a; }",
    "gpi2": "gate gpi2(f) a { U(pi/2, f - pi/2, pi/2 - f) a; }",
    "prx": "gate prx(p0, p1) a { rz(-p1) a; rx(p0) a; rz(p1) a; }",
    "ms": (
        "gate ms(p0, p1, p2) a, b { rz(-p0) a; rz(-p1) b; " + _xx("p2") + " rz(p0) a; rz(p1) b; }"
    ),
}
"""Braket built-ins that stdgates.inc lacks, defined with standard gates."""

BRAKET_ONLY_GATES = frozenset(_BRAKET_TO_STANDARD)
STANDARD_ONLY_GATES = frozenset(_STANDARD_TO_BRAKET)

_HEADER = re.compile(r"^\s*OPENQASM\s+[0-9.]+\s*;[^\n]*\n?", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*include\s+\"stdgates\.inc\"\s*;[^\n]*\n?", re.MULTILINE)
_DROPPED_PRAGMA = re.compile(r"^[ \t]*#pragma\s+braket\s+(?:verbatim|result)\b[^\n]*\n?", re.M)


@dataclass(frozen=True)
class ShimmedSource:
    """A program rewritten for one dialect, and the gate names the shim defined in it."""

    text: str
    defined: frozenset[str]


def to_braket_dialect(source: str) -> ShimmedSource:
    """`source` loadable by Braket: stdgates.inc replaced by definitions of what it uses
    (and the shim's own definitions of Braket names, from `to_standard_dialect`, removed:
    Braket has those built in, and keeping them would define `cnot` by `cx` by `cnot`)."""
    source = _without_lines(source, _BRAKET_TO_STANDARD)
    defined = _missing_gates(source, _STANDARD_TO_BRAKET)
    block = _definitions(defined, _STANDARD_TO_BRAKET)
    include = _INCLUDE.search(source)
    if include:
        text = source[: include.start()] + block + source[include.end() :]
    else:
        text = _after_header(source, block)
    return ShimmedSource(text, defined)


def to_standard_dialect(source: str) -> ShimmedSource:
    """`source` loadable by Qiskit: stdgates.inc included, Braket built-ins it uses defined
    (and the shim's own definitions of standard names, from `to_braket_dialect`, removed)."""
    text = _DROPPED_PRAGMA.sub("", _without_lines(source, _STANDARD_TO_BRAKET))
    defined = _missing_gates(text, _BRAKET_TO_STANDARD)
    block = _definitions(defined, _BRAKET_TO_STANDARD)
    include = _INCLUDE.search(text)
    if include:
        text = text[: include.end()] + block + text[include.end() :]
    else:
        text = _after_header(text, 'include "stdgates.inc";\n' + block)
    return ShimmedSource(text, defined)


def _without_lines(source: str, table: dict[str, str]) -> str:
    """`source` without the lines that are exactly one of `table`'s definitions."""
    ours = set(table.values())
    lines = source.splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in ours)


def _missing_gates(source: str, table: dict[str, str]) -> frozenset[str]:
    """Names of `table` that `source` applies as gates and does not define."""
    found = set()
    for name in table:
        escaped = re.escape(name)
        applied = re.search(rf"(?:^|[;{{}}@])\s*{escaped}(?=\s*\(|\s+[\w$])", source, re.M)
        if applied and not re.search(rf"\bgate\s+{escaped}\b", source):
            found.add(name)
    return frozenset(found)


def _definitions(names: frozenset[str], table: dict[str, str]) -> str:
    return "".join(f"{table[name]}\n" for name in table if name in names)


def _after_header(source: str, block: str) -> str:
    header = _HEADER.search(source)
    if header is None:
        return block + source
    end = header.end()
    separator = "" if source[:end].endswith("\n") else "\n"
    return source[:end] + separator + block + source[end:]
