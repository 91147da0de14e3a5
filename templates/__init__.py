"""The built-in Jinja templates, installed as the package ``iotpolicy.templates``."""
