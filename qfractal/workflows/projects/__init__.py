"""Projects: the folders of datasets and workflows that users share by link."""
