"""The pure core of the SLURM executor and its remote worker."""
