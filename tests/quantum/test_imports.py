import subprocess
import sys


def test_importing_the_library_does_not_import_the_sdks() -> None:
    code = (
        "import sys\n"
        "import qfractal.quantum.transpilers, qfractal.quantum.results\n"
        "print(sorted(m for m in ('qiskit', 'qiskit_aer', 'braket', 'pyquil') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
