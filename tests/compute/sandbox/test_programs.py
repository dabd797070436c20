"""Sandboxed programs that work, fail, or misbehave within their limits (real children)."""

import io
import os
import time

import pytest
from qiskit import QuantumCircuit, qasm3, qpy

from qfractal.compute.sandbox import (
    Limits,
    SandboxEntry,
    SandboxSetupError,
    SandboxStatus,
    run_in_sandbox,
    run_in_sandbox_blocking,
)

TEXT = SandboxEntry(collector="tests.compute.sandbox.collectors:collect_text", variable="x")
BELL = """
from qiskit import QuantumCircuit

circuit = QuantumCircuit(2, name="bell")
circuit.h(0)
circuit.cx(0, 1)
circuit.measure_all()
print("built", circuit.num_qubits, "qubits")
"""


async def test_a_qiskit_program_comes_back_as_openqasm3() -> None:
    entry = SandboxEntry(
        collector="tests.compute.sandbox.qiskit_collectors:collect_qasm3", preload=("qiskit",)
    )
    started = time.monotonic()
    outcome = await run_in_sandbox(BELL, entry=entry)
    total = time.monotonic() - started
    print(f"\nqiskit program: setup {outcome.setup_seconds:.3f} s, run {outcome.seconds:.3f} s,")
    print(f"total {total:.3f} s")
    assert outcome.ok, outcome
    assert isinstance(outcome.value, str)
    circuit = qasm3.loads(outcome.value)
    assert circuit.num_qubits == 2
    assert [i.operation.name for i in circuit.data][:2] == ["h", "cx"]
    assert outcome.output == "built 2 qubits\n"


async def test_a_qiskit_program_comes_back_as_qpy() -> None:
    entry = SandboxEntry(
        collector="tests.compute.sandbox.qiskit_collectors:collect_qpy", preload=("qiskit",)
    )
    outcome = await run_in_sandbox(BELL, entry=entry)
    assert outcome.ok, outcome
    assert isinstance(outcome.value, bytes)
    (circuit,) = qpy.load(io.BytesIO(outcome.value))
    assert isinstance(circuit, QuantumCircuit)
    assert circuit.name == "bell"
    assert circuit.count_ops() == {"h": 1, "cx": 1, "barrier": 1, "measure": 2}


async def test_startup_without_sdks_is_short() -> None:
    outcome = await run_in_sandbox("x = 'ok'", entry=TEXT)
    print(f"\nbare program: setup {outcome.setup_seconds:.3f} s, run {outcome.seconds:.3f} s")
    assert outcome.ok
    assert outcome.value == "ok"


async def test_an_exception_reports_only_the_programs_frames() -> None:
    source = (
        "def build():\n    QuantumCircuit(1).h(5)\n\nfrom qiskit import QuantumCircuit\nbuild()\n"
    )
    entry = SandboxEntry(collector=TEXT.collector, variable="x", preload=("qiskit",))
    outcome = await run_in_sandbox(source, entry=entry)
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "qiskit.circuit.exceptions.CircuitError"
    assert "index" in outcome.message.lower()
    assert outcome.traceback is not None
    assert 'File "<program>", line 5, in <module>' in outcome.traceback
    assert 'File "<program>", line 2, in build' in outcome.traceback
    assert "QuantumCircuit(1).h(5)" in outcome.traceback
    for server_path in ("/work", "site-packages", "bootstrap", ".py"):
        assert server_path not in outcome.traceback


async def test_a_syntax_error_is_the_programs_error() -> None:
    outcome = await run_in_sandbox("x = (1,\n", entry=TEXT)
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "SyntaxError"
    assert '"<program>", line 1' in (outcome.traceback or "")


async def test_exit_is_an_error_not_a_result() -> None:
    outcome = await run_in_sandbox("import sys\nx = 'early'\nsys.exit(3)", entry=TEXT)
    assert outcome.status is SandboxStatus.USER_ERROR
    assert outcome.exception_type == "SystemExit"


async def test_no_variable_and_a_refused_value() -> None:
    missing = await run_in_sandbox("y = 'no x here'", entry=TEXT)
    assert missing.status is SandboxStatus.MISSING_VARIABLE
    assert "'x'" in missing.message
    refused = await run_in_sandbox("x = 42", entry=TEXT)
    assert refused.status is SandboxStatus.INVALID_VALUE
    assert "expected a str, not int" in refused.message


async def test_an_os_exit_is_a_crash() -> None:
    outcome = await run_in_sandbox("import os\nx = 'a'\nos._exit(7)", entry=TEXT)
    assert outcome.status is SandboxStatus.CRASHED
    assert "exit status 7" in outcome.message


async def test_an_endless_loop_times_out() -> None:
    limits = Limits(wall_seconds=1.5, cpu_seconds=60)
    started = time.monotonic()
    outcome = await run_in_sandbox("while True:\n    pass\n", entry=TEXT, limits=limits)
    elapsed = time.monotonic() - started
    assert outcome.status is SandboxStatus.TIMEOUT
    assert "1.5 s" in outcome.message
    assert elapsed < limits.wall_seconds + 3.0


async def test_a_sleeping_program_times_out() -> None:
    limits = Limits(wall_seconds=1.0)
    outcome = await run_in_sandbox("import time\ntime.sleep(60)", entry=TEXT, limits=limits)
    assert outcome.status is SandboxStatus.TIMEOUT


async def test_cpu_time_is_limited() -> None:
    limits = Limits(wall_seconds=30, cpu_seconds=1)
    started = time.monotonic()
    outcome = await run_in_sandbox("while True:\n    pass\n", entry=TEXT, limits=limits)
    assert outcome.status is SandboxStatus.CPU_TIME, outcome
    assert time.monotonic() - started < 10


async def test_a_memory_bomb_gets_a_memory_error() -> None:
    rss_before = _rss()
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))\n"
    limits = Limits(memory_bytes=512 * 1024 * 1024)
    outcome = await run_in_sandbox(source, entry=TEXT, limits=limits)
    assert outcome.status is SandboxStatus.MEMORY, outcome
    assert outcome.exception_type == "MemoryError"
    one_big = await run_in_sandbox("x = bytearray(64 * 1024**3)", entry=TEXT, limits=limits)
    assert one_big.status is SandboxStatus.MEMORY
    assert _rss() - rss_before < 100 * 1024 * 1024  # the server did not pay for it


async def test_files_are_size_limited() -> None:
    source = "with open('big', 'wb') as f:\n    f.write(bytes(2 * 1024 * 1024))\n"
    outcome = await run_in_sandbox(source, entry=TEXT, limits=Limits(file_bytes=1024 * 1024))
    assert outcome.status is SandboxStatus.USER_ERROR
    assert "File too large" in outcome.message


async def test_a_huge_result_is_refused() -> None:
    source = "x = 'q' * (3 * 1024 * 1024)"
    outcome = await run_in_sandbox(source, entry=TEXT, limits=Limits(result_bytes=1024 * 1024))
    assert outcome.status is SandboxStatus.OUTPUT_TOO_LARGE
    assert outcome.value is None


async def test_a_flood_of_prints_is_stopped() -> None:
    source = "while True:\n    print('spam' * 1000)\n"
    limits = Limits(output_bytes=256 * 1024, wall_seconds=20)
    started = time.monotonic()
    outcome = await run_in_sandbox(source, entry=TEXT, limits=limits)
    assert outcome.status is SandboxStatus.OUTPUT_TOO_LARGE
    assert "printed more than" in outcome.message
    assert len(outcome.output) <= limits.output_bytes
    assert time.monotonic() - started < 10


async def test_setup_failures_are_the_servers() -> None:
    missing = SandboxEntry(collector="tests.compute.sandbox.collectors:no_such_function")
    with pytest.raises(SandboxSetupError, match="no_such_function"):
        await run_in_sandbox("circuit = 1", entry=missing)
    unknown = SandboxEntry(collector="no_such_package.collectors:collect")
    with pytest.raises(SandboxSetupError, match="no_such_package"):
        await run_in_sandbox("circuit = 1", entry=unknown)


async def test_a_forged_setup_error_is_a_crash() -> None:
    """The program can write on the result channel; it cannot pass for the server."""
    source = (
        "import json, os\n"
        "for fd in range(3, 20):\n"
        "    try:\n"
        '        os.write(fd, b\'{"status": "setup_error", "message": "forged"}\\n\')\n'
        "    except OSError:\n"
        "        pass\n"
        "os._exit(0)\n"
    )
    outcome = await run_in_sandbox(source, entry=TEXT)
    assert outcome.status is SandboxStatus.CRASHED


def test_the_blocking_form_runs_from_synchronous_code() -> None:
    outcome = run_in_sandbox_blocking("x = 'sync'", entry=TEXT)
    assert outcome.value == "sync"


async def test_the_blocking_form_runs_under_a_running_loop() -> None:
    outcome = run_in_sandbox_blocking("x = 'nested'", entry=TEXT)
    assert outcome.value == "nested"


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
