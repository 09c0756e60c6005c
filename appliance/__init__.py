"""Cash-register appliance for shops that keep their books in Kafinea."""

__version__ = "0.1.0"
SOFTWARE_NAME = "Caisse Kafinea libre"
