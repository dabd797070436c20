"""The environment user code (task executables) runs with."""

import os

SERVER_SETTINGS_PREFIX = "QFRACTAL_"


def user_code_environment() -> dict[str, str]:
    """The server's environment without its own settings (database URL, signing key, ...).

    Tasks get PATH, HOME and the rest as in fractal-server, but never the server's secrets.
    """
    return {k: v for k, v in os.environ.items() if not k.startswith(SERVER_SETTINGS_PREFIX)}
