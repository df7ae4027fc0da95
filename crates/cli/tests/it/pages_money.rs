//! The donation and distribution pages.
