"""Executors: where units of work (commands) run, and how they are stopped.

An executor takes commands and returns outcomes; it never touches the database.
"""
