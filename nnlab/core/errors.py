"""The errors a user can cause. Their messages are written to be shown as they are: each names
what is wrong and what to change. The dashboard and the CLI catch UserError and show the text."""


class UserError(ValueError):
    """Base of every error caused by a setting or a file the user chose."""


class ConfigError(UserError):
    """A setting is out of range or unknown: the message names the setting, the value and what is
    allowed."""


class DataError(UserError):
    """A data set cannot be had or a file cannot be used: the message says why and what to do."""
