"""Click subcommands of `hnet-lint`, one module per command; `hnet_lint.cli` registers them."""
