//! The dashboard, report and audit pages.
