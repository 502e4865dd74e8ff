"""The preset networks. This folder ships inside the package as netbuilder._presets (see pyproject.toml)."""
