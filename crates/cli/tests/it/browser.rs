//! The browser tests: headless Chromium through the pages (tests/browser/flow.mjs).
