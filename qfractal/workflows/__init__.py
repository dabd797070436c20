"""The fractal-server compatible face: projects, datasets, tasks, workflows, jobs."""
