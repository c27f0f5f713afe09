"""The report directory: report.json is the source of truth, the rest are renderings of it."""

from conformance.report.writer import prepare_report_dir, write_report_dir

__all__ = ["prepare_report_dir", "write_report_dir"]
