"""Icons and data files. This folder ships inside the package as netbuilder._resources (see pyproject.toml)."""
