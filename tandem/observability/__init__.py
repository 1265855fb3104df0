"""Health, metrics and logs (SPEC O2): what Tandem's processes tell the people who run them.

``requests``: the request id that ties an API call to the workflow and activity work it started;
``logs``: one JSON line per event (or text at a terminal), carrying it; ``metrics``: Tandem's
own Prometheus metrics; ``temporal_metrics``: the Temporal SDK's, served beside them.
"""
