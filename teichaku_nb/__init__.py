"""teichaku_nb: monthly case conferences for 就労定着支援 offices."""

__version__ = "0.1.0"
