"""The exceptions claimwatch raises on purpose: one root, one class per stage that can fail."""


class ClaimwatchError(Exception):
    """Base of every error claimwatch raises on purpose; its message is meant for a person."""


class ConfigError(ClaimwatchError):
    """The watchlist or the environment is invalid; the message names the file, line and key."""


class FetchError(ClaimwatchError):
    """A page, feed or file could not be read (network, HTTP status, size or address limits)."""


class ExtractError(ClaimwatchError):
    """A document was read but holds no usable article text."""


class NotifyError(ClaimwatchError):
    """A notification target refused or could not be reached."""
