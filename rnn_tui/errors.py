"""User-facing errors: each carries a one-line message that front ends print as is."""


class RnnTuiError(Exception):
    """Base class: `str(error)` is the one-line message shown to the user."""


class ConfigError(RnnTuiError):
    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class CorpusError(RnnTuiError):
    pass


class VocabError(RnnTuiError):
    pass


class CheckpointError(RnnTuiError):
    pass


class StoreError(RnnTuiError):
    pass


class NoSuchRun(StoreError):
    """The store holds no run with that id (it never had one, or it was deleted)."""


class DamagedRun(StoreError):
    """The run's row in the store cannot be used (see rnn_tui.store.validate)."""


class StoreFull(StoreError):
    """The store's disk (or its quota) is full: retrying will not help."""
