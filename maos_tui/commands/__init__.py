"""The CLI's subcommands, one module per group (see maos_tui/cli.py)."""
