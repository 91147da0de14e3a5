"""The CLI commands, one module per group; each registers its commands on
``iotpolicy.cli.app.app``."""
