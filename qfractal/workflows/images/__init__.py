"""Images of a dataset: one row each, filtered in SQL."""
