//! Reads for the public pages.
