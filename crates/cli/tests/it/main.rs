//! Integration tests of the whole platform: the application in-process (`TestApp`) and the
//! real `donation_platform` binary in temporary directories. The same suite runs on SQLite
//! (default) and on PostgreSQL (`TEST_DATABASE_URL`).

mod app;
mod artifacts;
mod audit;
mod auth;
mod balances;
mod bounds;
mod browser;
mod cli;
mod deploy;
mod durability;
mod faults;
mod fund_rules;
mod healthcheck;
mod hostile;
mod idempotency;
mod ledger;
mod migrations;
mod openapi;
mod pages;
mod pages_admin;
mod pages_books;
mod pages_money;
mod pages_public;
mod receipts;
mod registers;
mod release;
mod reports;
mod shutdown;
mod support;
mod systemd;
mod tls;
mod upgrade;
mod users;
mod zakat;
