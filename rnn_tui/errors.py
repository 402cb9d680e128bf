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
