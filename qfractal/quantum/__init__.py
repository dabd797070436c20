"""The qunicorn compatible face: providers, devices, deployments, quantum jobs."""
