"""Task collection and the task-group lifecycle, as background activities."""
