"""cherry-tui: a keyboard-driven terminal client for LLM providers."""

__version__ = "0.1.0"
