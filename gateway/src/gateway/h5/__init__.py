"""The gateway's own mobile H5 pages (`/h5/...`): self-hosted HTML, script and styles."""
