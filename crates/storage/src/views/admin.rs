//! Reads for the register, campaign, settings and user pages.
