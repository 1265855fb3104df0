"""Web pages, one module per area; tandem.web.install includes each module's ``router``."""
