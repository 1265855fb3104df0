"""Use cases: one function per thing a person does (actor + request model -> result or a domain
error). The JSON API, the web pages and the CLI are thin adapters over these; every access check,
store read, solver call and workflow update that a use case combines is combined here only."""
