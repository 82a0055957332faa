"""Leaving cleanly: what sfp made on this machine (`footprint`), which of it may go (`retention`),
what the installed hooks still use (`in_use`), and taking it away without touching anything else (`remove`)."""
