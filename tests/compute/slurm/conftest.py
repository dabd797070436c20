"""The SLURM fixtures (`tests/slurm_cluster.py`), re-exported for the tests of this folder."""

from tests.slurm_cluster import (
    REPO,
    SUDO_RULE_FILE,
    ServiceUser,
    SSHServer,
    make_key,
    processes_holding_tcp,
    service_user,
    shared_dir,
    slurm_cluster,
    slurm_user,
    sshd,
    start_sshd,
    stop_sshd,
    sudo_rule,
    worker_python,
)

__all__ = [
    "REPO",
    "SUDO_RULE_FILE",
    "SSHServer",
    "ServiceUser",
    "make_key",
    "processes_holding_tcp",
    "service_user",
    "shared_dir",
    "slurm_cluster",
    "slurm_user",
    "sshd",
    "start_sshd",
    "stop_sshd",
    "sudo_rule",
    "worker_python",
]
