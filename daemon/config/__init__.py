"""config.toml: one pydantic model per section, loading with clear errors, secrets, reload diffs."""
