"""One module per resource; each declares its filters and sort keys and how to shape its items."""
