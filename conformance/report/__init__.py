"""The report directory: report.json is the source of truth, the rest are renderings of it."""

from conformance.report.writer import write_report_dir

__all__ = ["write_report_dir"]
