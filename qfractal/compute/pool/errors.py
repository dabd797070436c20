"""What a call to the worker pool can fail with."""


class WorkerPoolError(Exception):
    """A call did not produce a result."""


class WorkerStartError(WorkerPoolError):
    """A worker could not start: its interpreter failed, or a preload or the initializer
    raised (the message carries the worker's traceback)."""


class CallFailed(WorkerPoolError):
    """The function raised in the worker; the worker lives on.

    `error_type` is the exception's qualified name, `remote_message` its message,
    `remote_traceback` the worker's traceback text (trusted code: meant for the server's
    log).
    """

    def __init__(
        self, message: str, *, error_type: str, remote_message: str, remote_traceback: str
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.remote_message = remote_message
        self.remote_traceback = remote_traceback


class WorkerCrashed(WorkerPoolError):
    """The worker died during the call (a signal, os._exit, the OOM killer); it is
    replaced."""


class CallTimeout(WorkerPoolError):
    """The call ran past its timeout; its worker was killed and is replaced."""


class CallStopped(WorkerPoolError):
    """The caller's stop event was set during the call; its worker was killed and is
    replaced."""


class PoolClosed(WorkerPoolError):
    """The pool is closed, or closed during the call."""
