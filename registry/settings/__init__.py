"""Settings package: ``base`` (development and the default), ``test`` and ``production``."""
