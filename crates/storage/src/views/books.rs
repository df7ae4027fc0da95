//! Reads for the dashboard, report and audit pages.
