"""The Temporal SDK runtime a worker's client runs on (one per process).

The SDK's core (Rust) writes its own log lines to stderr in its own format; here they are
forwarded into Python logging (logger ``temporalio.core``), so they become JSON lines like every
other (tandem.observability.logs). Its metrics go into a buffer when the worker serves metrics
(tandem.observability.temporal_metrics).
"""

from __future__ import annotations

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    MetricBuffer,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


def worker_runtime(metrics: MetricBuffer | None) -> Runtime:
    return Runtime(
        telemetry=TelemetryConfig(
            # The SDK's defaults: core warnings and errors, other crates' errors.
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            ),
            metrics=metrics,
        )
    )
