"""Trusted collectors that run in the sandbox child after a `*_PYTHON` program: each
turns the program's `circuit` into text or bytes that cross the process boundary.

One module per SDK, each importing its SDK at module level (the sandbox imports a
collector before the program runs and before it drops privileges). This package and
its modules import nothing of the server.
"""
