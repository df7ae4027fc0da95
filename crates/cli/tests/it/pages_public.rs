//! The public pages: calculator, receipt verification, campaign transparency.
