"""The SLURM executor: options, batching, sbatch scripts, squeue polling, the remote worker.

This package imports nothing on purpose: `remote` runs on the cluster under a Python that
has qfractal and no other dependency, so importing the package must not pull any in.
"""
