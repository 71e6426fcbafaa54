"""hnet-lint: config linter, static validator and dry-run for H-Net training runs."""
