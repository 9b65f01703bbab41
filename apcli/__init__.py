"""ap: alternative provision case records for an English primary school."""

__version__ = "0.1.0"
