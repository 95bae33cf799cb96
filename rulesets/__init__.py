"""Bundled rulesets, as data: `<id>/<version>.yaml`, test suites in `<id>/tests/`."""
