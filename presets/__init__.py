"""Presets shipped with synth: one TOML file per preset."""
