"""Tasks, task groups (one per package version) and their activities."""
