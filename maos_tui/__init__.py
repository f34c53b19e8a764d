"""maos-tui: local-first multi-agent orchestration in the terminal."""

__version__ = "0.1.0"
