"""Quantum jobs: a deployment's programs run on a device by the job engine (routes
`/quantum/jobs/`, handler of kind `quantum_job`)."""
