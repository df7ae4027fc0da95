//! The register, campaign, settings and user pages.
