//! Reads for the donation and distribution pages.
