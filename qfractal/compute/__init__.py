"""Where code runs: compute resources and profiles, executors and the job engine."""
