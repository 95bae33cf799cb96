"""Built-in plugins, registered like any third-party plugin (see core/hooks/host.py)."""
