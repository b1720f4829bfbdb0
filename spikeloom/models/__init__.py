"""Bundled models, runnable from the command line (``spikeloom run <name>``); the registry maps names to them."""
